// The gRPC stream source against an in-process TraceeService (our protos): the real samples,
// printed in the structured shape and encoded as protobuf, arrive as records that map to the same
// ECS documents as the same events read from JSON; policies and mask reach the server; bytes that
// are not a StreamEventsResponse become rejections with the stream message's origin.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeText, decodeValue } from '../../../src/normalize/decode.ts';
import type { InputRecord } from '../../../src/sources/read-records.ts';
import { parseGrpcAddress, reconnectDelay, streamTraceeEvents } from '../../../src/sources/grpc/index.ts';
import { testMapper } from '../../helpers/samples.ts';
import { grpcSamples } from '../../helpers/tracee-grpc-samples.ts';
import { startTraceeGrpcServer, type TraceeGrpcTestServer } from '../../helpers/tracee-grpc-test-server.ts';

const mapper = testMapper();
const samples = grpcSamples();
/** How many samples give exactly the same ECS document both ways (the others differ only as explained below). */
const IDENTICAL_AT_LEAST = 24;

let server: TraceeGrpcTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function socketPath(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-src-')), 'tracee.sock');
}

/** Take `n` records from the source, then stop it. */
async function take(
  address: string,
  n: number,
  extra: Partial<Parameters<typeof streamTraceeEvents>[0]> = {},
  logs: string[] = [],
): Promise<InputRecord[]> {
  const ac = new AbortController();
  const out: InputRecord[] = [];
  const timer = setTimeout(() => ac.abort(), 10_000); // never hang the suite
  for await (const r of streamTraceeEvents({
    address,
    signal: ac.signal,
    log: (m) => logs.push(m),
    reconnectInitialMs: 20,
    reconnectMaxMs: 100,
    ...extra,
  })) {
    out.push(r);
    if (out.length >= n) break;
  }
  clearTimeout(timer);
  ac.abort();
  return out;
}

function ecs(text: string): Record<string, unknown> {
  const d = decodeText(text);
  if (!d.ok) throw new Error(d.reason);
  return JSON.parse(mapper.toEcsJson(d.event).json!);
}

function ecsOfRecord(r: InputRecord): Record<string, unknown> {
  if (r.kind !== 'value') throw new Error(`expected a value record, got ${JSON.stringify(r)}`);
  const d = decodeValue(r.value, r.marked);
  if (!d.ok) throw new Error(`${r.origin.line}: ${d.reason}`);
  return JSON.parse(mapper.toEcsJson(d.event).json!);
}

const isZero = (v: unknown) => v === 0 || v === '' || v === false || v === null || (Array.isArray(v) && v.length === 0);

/**
 * Dotted paths where two documents differ (objects compared key by key, anything else whole).
 * A field of a raw argument payload (tracee.data.*) that holds a zero value in `a` and is absent
 * in `b` is not a difference: proto3 does not send zero values (Tracee's protojson omits them too).
 */
function diffPaths(a: unknown, b: unknown, p = '', out: string[] = []): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return out;
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diffPaths(a[k], b[k], p ? `${p}.${k}` : k, out);
  } else if (!(p.startsWith('tracee.data.') && b === undefined && isZero(a))) {
    out.push(p);
  }
  return out;
}

/**
 * Where the gRPC path legitimately differs from reading the same structured JSON: what the proto
 * cannot carry, and keys our structured printer (print-structured.ts) spells otherwise than
 * Tracee's proto, which the encoder therefore drops. Everything else must be identical.
 */
const PROTO_CANNOT_CARRY: Array<[RegExp, string]> = [
  [
    /^tracee\.data\.proto_dns\.(answers|authorities|additionals)$/,
    "proto3 sends no empty repeated field (Tracee's own JSON omits them too); and the printer writes the DNS record keys tx_ts / soa.m_name / soa.r_name / mx.preference, which Tracee's proto names txts / mname / rname / Preference",
  ],
  [
    /^tracee\.data\.proto_tcp\.(fin|syn|rst|psh|urg|ece|cwr|ns)$/,
    "the printer spells the TCP flags like the classic event (FIN → fin); Tracee's proto names them fin_flag … ns_flag",
  ],
  [
    /^(tracee\.data\.dns_response|dns\.question|dns\.answers|related\.hosts)$/,
    "the printer keeps the classic DnsResponseData keys query_data / answer_type; Tracee's proto names them dns_query_data / type (the mapper reads both; a real Tracee sends the proto names); related.hosts is collected from dns.question.name",
  ],
  [
    /^tracee\.data\.[abd]$/,
    'google.protobuf.Struct (the `struct` member) holds only objects: a scalar detection field is wrapped as {value: x}',
  ],
  [
    /^event\.id$/,
    "event.id hashes the event's data: where the printer loses part of an argument (the rows above), the id follows (test/unit/mapping/event-id.test.ts compares the ids of every shape, without those arguments)",
  ],
  [
    /^tracee\.compat$/,
    'a proto3 bool has no "unknown": events older than v0.9 carry no context flags (JSON: no compat), the source reads a missing compat as false, which is what Tracee always sends',
  ],
];

/** ECS fields made from classic-only data (structured events do not have it; tracee-formats.md §4.4). */
const CLASSIC_ONLY =
  /^(event\.code|event\.outcome|rule\.version|process\.parent|tracee\.(legacy_event_id|return_value|processor_id|cgroup_id|mount_namespace|pid_namespace|uts_name|args_num|pod_sandbox|data\..*)|event\.(severity|risk_score|risk_score_norm)|tracee\.threat\.severity)$/;

async function serveSamples(listen: string): Promise<TraceeGrpcTestServer> {
  return startTraceeGrpcServer(listen, async (call) => {
    for (const s of samples) await call.send(s.structured);
    // the stream stays open, as Tracee's does
  });
}

describe('gRPC source: the samples over the stream map like the same events read from JSON', () => {
  for (const transport of ['unix socket', 'TCP'] as const) {
    it(`over a ${transport}`, async () => {
      server = await serveSamples(transport === 'TCP' ? '127.0.0.1:0' : `unix://${socketPath()}`);
      const records = await take(server.address, samples.length);
      expect(records).toHaveLength(samples.length);
      const source = `grpc ${server.address}`;
      const diffs = new Map<string, string[]>();
      records.forEach((r, i) => {
        expect(r.origin).toEqual({ source, line: i + 1, detail: `connection 1, message ${i + 1}` });
        const viaGrpc = ecsOfRecord(r);
        const viaJson = ecs(samples[i].structuredText);
        const diff = diffPaths(viaJson, viaGrpc);
        for (const p of diff) {
          // the id may differ only along with an argument the printer loses
          if (p === 'event.id')
            expect(
              diff.some((q) => q.startsWith('tracee.data.')),
              `${samples[i].id}: event.id differs, no argument does`,
            ).toBe(true);
          const why = PROTO_CANNOT_CARRY.find(([re]) => re.test(p));
          expect(
            why,
            `${samples[i].id}: ${p} differs without an explanation:\n json ${JSON.stringify((viaJson as never)[p.split('.')[0]])}`,
          ).toBeDefined();
        }
        diffs.set(samples[i].id, diff);
        // against the classic JSON the event came from: only classic-only fields and raw payload keys differ
        for (const p of diffPaths(ecs(samples[i].text), viaGrpc)) {
          expect(
            CLASSIC_ONLY.test(p) || PROTO_CANNOT_CARRY.some(([re]) => re.test(p)),
            `${samples[i].id}: ${p} differs from the classic event`,
          ).toBe(true);
        }
      });
      // every non-network event (exec, open, clone, signatures, k8s/container enriched) is identical
      // (but for compat in events older than v0.9); most network events too
      const nonNetwork = samples.filter(
        (s) => !String(s.structured.name).startsWith('net_packet') && !s.id.startsWith('edge-cases/'),
      );
      expect(nonNetwork.length).toBeGreaterThan(10);
      for (const s of nonNetwork)
        expect(
          diffs.get(s.id)!.filter((p) => p !== 'tracee.compat'),
          s.id,
        ).toEqual([]);
      const identical = [...diffs.values()].filter((d) => d.length === 0).length;
      expect(identical).toBeGreaterThanOrEqual(IDENTICAL_AT_LEAST);
    });
  }
});

describe('gRPC source: request', () => {
  it('sends policies and the field mask (always with name and timestamp, which every event needs); no mask when none is configured', async () => {
    server = await startTraceeGrpcServer('127.0.0.1:0', async (call) => {
      await call.send(samples[0].structured);
    });
    await take(server.address, 1, {
      policies: ['policy-a', 'policy-b'],
      mask: ['name', 'timestamp', 'workload.process.pid'],
    });
    await take(server.address, 1);
    await take(server.address, 1, { mask: ['workload.process.pid', 'data'] });
    expect(server.requests).toEqual([
      { policies: ['policy-a', 'policy-b'], mask: ['name', 'timestamp', 'workload.process.pid'] },
      { policies: [], mask: undefined },
      { policies: [], mask: ['name', 'timestamp', 'workload.process.pid', 'data'] },
    ]);
  });
});

describe('gRPC source: messages that are not events', () => {
  it('undecodable bytes and a message without an event are rejections naming the stream message; the rest continue', async () => {
    const noName = { ...samples[1].structured };
    delete noName.name;
    server = await startTraceeGrpcServer(`unix://${socketPath()}`, async (call) => {
      await call.send(samples[0].structured);
      await call.send(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])); // field 1, length far beyond the message
      await call.send(noName);
      await call.send(Buffer.alloc(0)); // StreamEventsResponse{} : no event
      await call.send(samples[2].structured);
    });
    const records = await take(server.address, 5);
    const source = `grpc ${server.address}`;
    expect(records.map((r) => r.kind)).toEqual(['value', 'error', 'value', 'error', 'value']);
    expect(records[1]).toMatchObject({
      kind: 'error',
      code: 'malformed_protobuf',
      origin: { source, line: 2, detail: 'connection 1, message 2' },
      reason: expect.stringMatching(/not a StreamEventsResponse/),
      text: 'base64:Cv////8P',
    });
    expect(records[3]).toMatchObject({
      kind: 'error',
      code: 'malformed_protobuf',
      origin: { source, line: 4 },
      reason: 'message carries no event',
    });
    // the event without a name is decoded, and rejected by the normalizer with its origin
    const r2 = records[2];
    expect(r2.kind === 'value' && decodeValue(r2.value, false)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/name/),
    });
    expect(r2.origin).toEqual({ source, line: 3, detail: 'connection 1, message 3' });
    expect(
      diffPaths(ecs(samples[2].structuredText), ecsOfRecord(records[4])).filter(
        (p) => !PROTO_CANNOT_CARRY.some(([re]) => re.test(p)),
      ),
    ).toEqual([]);
  });
});

describe('gRPC source: an oversized message', () => {
  it('is one too_large rejection with its stream origin (not only a log line), then the stream is back', async () => {
    let calls = 0;
    server = await startTraceeGrpcServer(`unix://${socketPath()}`, async (call) => {
      if (++calls === 1) {
        await call.send(samples[0].structured);
        await call.send(Buffer.alloc(5 * 1024 * 1024, 0x0a)); // over grpc-js's 4 MiB receive limit: the call ends RESOURCE_EXHAUSTED
      } else {
        await call.send(samples[1].structured);
      }
    });
    const logs: string[] = [];
    const records = await take(server.address, 3, {}, logs);
    const source = `grpc ${server.address}`;
    expect(records.map((r) => r.kind)).toEqual(['value', 'error', 'value']);
    expect(records[1]).toMatchObject({
      kind: 'error',
      code: 'too_large',
      origin: { source, line: 2, detail: 'connection 1, message 2' },
      reason: expect.stringMatching(/RESOURCE_EXHAUSTED/),
    });
    expect(records[2].origin).toEqual({ source, line: 3, detail: 'connection 2, message 1' });
    expect(logs.some((l) => /stream ended \(RESOURCE_EXHAUSTED/.test(l))).toBe(true);
  });
});

describe('gRPC source: address and backoff', () => {
  it("accepts Tracee's address spellings", () => {
    expect(parseGrpcAddress('unix:///var/run/tracee.sock')).toEqual({
      target: 'unix:///var/run/tracee.sock',
      source: 'grpc unix:///var/run/tracee.sock',
    });
    expect(parseGrpcAddress('unix:/var/run/tracee.sock').target).toBe('unix:///var/run/tracee.sock');
    expect(parseGrpcAddress('tcp:4466').target).toBe('127.0.0.1:4466');
    expect(parseGrpcAddress('tcp:tracee:4466').target).toBe('tracee:4466');
    expect(parseGrpcAddress('[::1]:4466').target).toBe('[::1]:4466');
    expect(() => parseGrpcAddress('unix:tracee.sock')).toThrow(/absolute path/);
    expect(() => parseGrpcAddress('tracee')).toThrow(/expected unix/);
    expect(() => parseGrpcAddress('h:70000')).toThrow(/expected unix/);
  });

  it('reconnect delay: doubles from the initial value to the cap, jittered within [ceiling/2, ceiling]', () => {
    expect([1, 2, 3, 4, 10].map((a) => reconnectDelay(a, 500, 4000, 0))).toEqual([250, 500, 1000, 2000, 2000]);
    expect([1, 2, 3, 4, 10].map((a) => reconnectDelay(a, 500, 4000, 0.999999))).toEqual([500, 1000, 2000, 4000, 4000]);
  });
});
