// event.id (log.record.uid): deterministic across replays and input shapes, distinct for distinct events
// (src/mapping/transforms/event-identity.ts). Randomized with a seeded PRNG, so a failure replays exactly.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { decodeText, decodeValue } from '../../../src/normalize/decode.ts';
import { eventId, identityKey } from '../../../src/mapping/transforms/event-identity.ts';
import { messageToRecord, streamEventsMethod } from '../../../src/sources/grpc/index.ts';
import { decodeFrame } from '../../../src/sources/forward/protocol.ts';
import { toInputRecord } from '../../../src/sources/forward/records.ts';
import type { TraceeEvent } from '../../../src/model/event.ts';
import { parseLossless, reviveBigDeep } from '../../../src/util/lossless-json.ts';
import { grpcSamples } from '../../helpers/tracee-grpc-samples.ts';
import { encodeEventMessage } from '../../helpers/tracee-grpc-test-server.ts';
import { seeded } from '../../helpers/random.ts';
import { sharedSamples, testMapper } from '../../helpers/samples.ts';

const DNS_CAPTURE = path.resolve(import.meta.dirname, '../../data/tracee-net_packet_dns-24010.ndjson.gz');

type Obj = Record<string, unknown>;

function ok(d: ReturnType<typeof decodeText>): TraceeEvent {
  if (!d.ok) throw new Error(d.reason);
  return d.event;
}

/** The event as the forward source gets it from a forwarder that parsed the JSON: a msgpack map (int64 → bigint). */
function viaForwardMap(text: string): TraceeEvent {
  // a forwarder parses int64 exactly (Fluent Bit does): big integers stay bigint in the map
  const parsed = parseLossless(text);
  const value = parsed.marked ? reviveBigDeep(parsed.value) : parsed.value;
  const bytes = encode({ event: value as Obj }, { useBigInt64: true });
  const rec = toInputRecord(decodeFrame(bytes, 1 << 24) as Obj, { source: 'forward', line: 1 });
  if (rec.kind !== 'value') throw new Error(`forward: ${rec.kind}`);
  return ok(decodeValue(rec.value, rec.marked));
}

/** …and as Tracee sends it, the JSON text in the `event` key. */
function viaForwardText(text: string): TraceeEvent {
  const rec = toInputRecord(decodeFrame(encode({ event: text }), 1 << 24) as Obj, { source: 'forward', line: 1 });
  if (rec.kind !== 'text') throw new Error(`forward: ${rec.kind}`);
  return ok(decodeText(rec.text));
}

function viaGrpc(structured: Obj): TraceeEvent {
  const m = streamEventsMethod();
  const rec = messageToRecord(encodeEventMessage(structured), m.responseDeserialize as never, {
    source: 'grpc',
    line: 1,
  });
  if (rec.kind !== 'value') throw new Error(`grpc: ${rec.kind}`);
  return ok(decodeValue(rec.value, rec.marked));
}

/**
 * Arguments our test printer (print-structured.ts) spells otherwise than Tracee's proto, so the protobuf
 * encoder drops part of them: the same exceptions as test/component/sources/grpc-source.test.ts PROTO_CANNOT_CARRY.
 * A real Tracee sends the proto names; for these the gRPC copy is compared without those arguments.
 */
const PRINTER_LOSES = new Set(['dns_response', 'proto_tcp', 'proto_dns']);
const without = (ev: TraceeEvent): TraceeEvent => ({ ...ev, data: ev.data.filter((d) => !PRINTER_LOSES.has(d.name)) });

describe('event.id: one event, every input shape, one id', () => {
  const samples = grpcSamples();
  it.each(samples.map((s) => [s.id, s] as const))('%s', (_id, s) => {
    const classic = ok(decodeText(s.text));
    const id = eventId(classic);
    expect(eventId(ok(decodeText(s.structuredText))), 'structured JSON').toBe(id);
    expect(eventId(viaForwardText(s.text)), 'forward, JSON text').toBe(id);
    expect(eventId(viaForwardMap(s.text)), 'forward, msgpack map of the classic event').toBe(id);
    expect(eventId(viaForwardMap(s.structuredText)), 'forward, msgpack map of the structured event').toBe(id);
    const g = viaGrpc(s.structured);
    if (g.data.some((d) => PRINTER_LOSES.has(d.name)))
      expect(eventId(without(g)), 'protobuf (gRPC)').toBe(eventId(without(classic)));
    else expect(eventId(g), 'protobuf (gRPC)').toBe(id);
  });

  it('the mapped documents carry it: ECS event.id = OTel log.record.uid', () => {
    const mapper = testMapper();
    const s = samples[0];
    const ecs = mapper.toEcs(ok(decodeText(s.text))).doc as { event: { id: string } };
    const otel = mapper.toOtel(ok(decodeText(s.structuredText)));
    expect(ecs.event.id).toBe(eventId(ok(decodeText(s.structuredText))));
    expect(JSON.stringify(otel.attributes)).toContain(ecs.event.id);
  });
});

// ---- random events, each differing from its twin in exactly one field
const KINDS = ['str', 'int32', 'u_int64', 'bool', 'str_array', 'sockaddr', 'dns'] as const;

function randomValue(r: () => number, kind: (typeof KINDS)[number]): [string, unknown] {
  const word = () => Math.floor(r() * 36 ** 6).toString(36) || 'x';
  const int = () => 1 + Math.floor(r() * 1e6);
  switch (kind) {
    case 'str':
      return ['str', `/tmp/${word()}`];
    case 'int32':
      return ['int32', int()];
    case 'u_int64':
      return ['u_int64', String(BigInt(int()) * 1000003n)];
    case 'bool':
      return ['bool', true];
    case 'str_array':
      return ['str_array', { value: [word(), word()] }];
    case 'sockaddr':
      return [
        'sockaddr',
        { sa_family: 'AF_INET', sin_addr: `10.0.${int() % 256}.${int() % 256}`, sin_port: (int() % 65535) + 1 },
      ];
    case 'dns':
      return ['dns', { questions: [{ query: `${word()}.example.com`, query_type: 'A', query_class: 'IN' }] }];
  }
}

function randomEvent(r: () => number): Obj {
  const n = 1 + Math.floor(r() * 5);
  const data = Array.from({ length: n }, (_, i) => {
    const [member, value] = randomValue(r, KINDS[Math.floor(r() * KINDS.length)]);
    return { name: `arg${i}`, [member]: value };
  });
  return {
    timestamp: `2026-01-01T00:00:00.${String(Math.floor(r() * 1e9)).padStart(9, '0')}Z`,
    id: 1000 + Math.floor(r() * 100),
    name: `event_${Math.floor(r() * 50)}`,
    workload: {
      process: {
        host_pid: 1 + Math.floor(r() * 1e5),
        unique_id: 1 + Math.floor(r() * 2 ** 31),
        thread: { host_tid: 1 + Math.floor(r() * 1e5), name: 'comm' },
      },
      container: { id: r() < 0.5 ? 'c'.repeat(12) + Math.floor(r() * 1e6) : '' },
    },
    data,
  };
}

/** Change exactly one field to another non-zero value (what every shape would carry differently). */
const MUTATIONS: Array<[string, (e: Obj, r: () => number) => void]> = [
  [
    'timestamp +1 ns',
    (e) => {
      e.timestamp = (e.timestamp as string).replace(
        /(\d{9})Z$/,
        (_m, ns: string) => `${String((Number(ns) + 1) % 1e9).padStart(9, '0')}Z`,
      );
    },
  ],
  [
    'event name',
    (e) => {
      e.name = `${e.name as string}_other`;
    },
  ],
  [
    'host_tid',
    (e) => {
      ((e.workload as Obj).process as { thread: Obj }).thread.host_tid =
        ((e.workload as Obj).process as { thread: { host_tid: number } }).thread.host_tid + 1;
    },
  ],
  [
    'host_pid',
    (e) => {
      const p = (e.workload as Obj).process as Obj;
      p.host_pid = (p.host_pid as number) + 1;
    },
  ],
  [
    'container id',
    (e) => {
      (e.workload as { container: Obj }).container.id = 'ffffffffffff';
    },
  ],
  [
    'one argument value',
    (e, r) => {
      const data = e.data as Obj[];
      const d = data[Math.floor(r() * data.length)];
      const member = Object.keys(d).find((k) => k !== 'name')!;
      const v = d[member];
      if (typeof v === 'string') d[member] = /^\d+$/.test(v) ? String(BigInt(v) + 1n) : `${v}-changed`;
      else if (typeof v === 'number') d[member] = v + 1;
      else if (typeof v === 'boolean') {
        d.str = 'now a string';
        delete d[member];
      } else if (member === 'str_array') (v as { value: string[] }).value[0] += '-changed';
      else if (member === 'sockaddr') (v as { sin_addr: string }).sin_addr = '192.0.2.1';
      else (v as { questions: Array<{ query: string }> }).questions[0].query = 'changed.example.org';
    },
  ],
  [
    'an argument added',
    (e) => {
      (e.data as Obj[]).push({ name: 'extra', str: 'more' });
    },
  ],
  [
    'an argument removed',
    (e) => {
      (e.data as Obj[]).pop();
      if ((e.data as Obj[]).length === 0) (e.data as Obj[]).push({ name: 'other', int32: 7 });
    },
  ],
  [
    'an argument renamed',
    (e) => {
      (e.data as Obj[])[0].name = 'renamed';
    },
  ],
];

describe('event.id: distinct events never collide', () => {
  it('10 000 random events, each against every one-field variant of itself and against each other', () => {
    const r = seeded(14);
    const seen = new Map<string, string>();
    for (let i = 0; i < 10_000; i++) {
      const base = randomEvent(r);
      const baseText = JSON.stringify(base);
      const id = eventId(ok(decodeText(baseText)));
      const prev = seen.get(id);
      if (prev !== undefined)
        expect(prev, `collision of two random events`).toBe(identityKey(ok(decodeText(baseText))));
      seen.set(id, identityKey(ok(decodeText(baseText))));
      for (const [what, mutate] of MUTATIONS) {
        const twin = JSON.parse(baseText) as Obj;
        mutate(twin, r);
        const twinText = JSON.stringify(twin);
        if (twinText === baseText) continue;
        expect(eventId(ok(decodeText(twinText))), `${what} changed, same id:\n${baseText}\n${twinText}`).not.toBe(id);
      }
      // and the same event re-read (structured JSON → forward msgpack map) keeps its id
      if (i % 50 === 0) expect(eventId(viaForwardMap(baseText))).toBe(id);
    }
  });

  it("the issue's pair: two DNS events of one base event at the same instant, differing only in data, get two ids", () => {
    const base = randomEvent(seeded(7));
    base.name = 'net_packet_dns_request';
    base.data = [
      { name: 'dst', str: '10.0.0.53' },
      { name: 'proto_dns', dns: { questions: [{ query: 'a.example.com', query_type: 'A', query_class: 'IN' }] } },
    ];
    const other = structuredClone(base);
    other.data = [
      { name: 'dst', str: '10.0.0.54' },
      { name: 'proto_dns', dns: { questions: [{ query: 'b.example.com', query_type: 'A', query_class: 'IN' }] } },
    ];
    expect(eventId(ok(decodeText(JSON.stringify(base))))).not.toBe(eventId(ok(decodeText(JSON.stringify(other)))));
  });
});

// --- Pinned ids: the ids of real fixture events and of synthetic values, as computed before the fold was
// made faster (numbers and byte lists hashed digit by digit, no strings made): the same events must keep
// the same ids (Elasticsearch deduplicates on them across versions and replays).

/** A synthetic event with one argument `x` holding `value` (the id only reads these fields). */
const synthetic = (value: unknown): TraceeEvent =>
  ({
    timestamp: 1700000000123456789n,
    name: 'synthetic',
    workload: { process: { host_pid: 7, thread: { host_tid: 8 } } },
    data: [{ name: 'x', kind: 'struct', value }],
  }) as TraceeEvent;

const SYNTHETIC: Record<string, TraceeEvent> = {
  'small integers': synthetic({ a: 1, b: 9, c: 10, d: 99, e: 100, f: 12345 }),
  'negative integers': synthetic([-1, -10, -2147483648, -9007199254740991]),
  'integers past 2^31': synthetic([2147483647, 2147483648, 4294967295, 4294967296, 9007199254740991]),
  'unsafe and fractional numbers': synthetic([2 ** 53, 1e21, 1.5, -0.25, 1e-7, 123456789012345680000]),
  bigints: synthetic([18446744073709551615n, -5n, 1n]),
  'byte list': synthetic([0, 1, 9, 10, 127, 200, 255]),
  'not a byte list (256)': synthetic([0, 1, 256]),
  'bytes (Uint8Array)': synthetic(new Uint8Array([0, 10, 255, 3])),
  'strings, booleans, zero values': synthetic({
    s: 'héllo \u2603',
    z: '0',
    e: '',
    t: true,
    f: false,
    n: null,
    o: {},
    a: [],
  }),
  nested: synthetic({ q: [{ name: 'example.com', ttl: 300, ip: [10, 0, 0, 1] }], deep: { a: { b: { c: -42 } } } }),
};

/** ids by sample (test/fixtures/tracee, single events) */
const PINNED_SINGLES: Record<string, string> = {
  'edge-cases/tracee-rules-finding-rawjson-golden.json': 'u7B2iSLcOMuJZhACyPoA5P',
  'legacy/v0.13-v0.17/execve-minikube-policy.json': 'O6pOMoooY-CekYjitf8LRs',
  'legacy/v0.13-v0.17/security_file_open.json': 'U_9sl5Kc553NEtwwMHy1ud',
  'legacy/v0.13-v0.17/signature-custom-golang.json': '3YOdT9hwM_o76YdkKlDsuB',
  'legacy/v0.13-v0.17/signature-custom-rego.json': 'L2pns1pMY_zTD4Xr2MP2aa',
  'legacy/v0.18-v0.24/net_packet_dns-query.json': 'QsTH9t23eUlScicYAzlBQq',
  'legacy/v0.18-v0.24/net_packet_dns-response.json': 'X45DqgLTxsHpIq5ZjawTjH',
  'legacy/v0.18-v0.24/net_packet_dns-v0.24-types.json': 'E0nwPpQklKk-cI-ZfG5bq2',
  'legacy/v0.18-v0.24/net_packet_dns_request.json': 'A76penN1SuuSW7PrgfaOHY',
  'legacy/v0.18-v0.24/net_packet_dns_response.json': '951GTjQhAHS8W_KFGz1x3n',
  'legacy/v0.18-v0.24/net_packet_http-container.json': 'HSwwWiaj5QDJijkkxMCBbM',
  'legacy/v0.18-v0.24/net_packet_http-headers.json': 'xyiNVx3q7nXvOLVCdX-i2O',
  'legacy/v0.18-v0.24/net_packet_http_response-container.json': 'n6Mw23oOanLIUWShyeZt26',
  'legacy/v0.18-v0.24/net_packet_http_response-headers.json': 'NVBwzmQkwgwIFKSZ8Tn3DM',
  'legacy/v0.18-v0.24/net_packet_icmp.json': 'xMDhnLFpjSIqpI2ibgj4e9',
  'legacy/v0.18-v0.24/net_packet_ipv4.json': 'dVELUkqp_YSwVPiSQJTOrs',
  'legacy/v0.18-v0.24/net_packet_ipv6.json': 'h2M6QGvWGWnyhO4tBa-06c',
  'legacy/v0.18-v0.24/net_packet_tcp.json': '4hi1zGZcG1oVGcdksKaw7t',
  'legacy/v0.18-v0.24/net_packet_udp.json': 'AMtoyQ3liQJx-5Yw_ZnzXl',
  'legacy/v0.8-v0.12/clone.json': '9P-zT8433iB38Up5EPhq30',
  'legacy/v0.8-v0.12/close.json': 'hM9M0myiA5GYVyK6yNJim5',
  'legacy/v0.8-v0.12/execve-exec-env.json': 'YkgTqA8g3kHIzCsDDsdug2',
  'legacy/v0.8-v0.12/execve-k8s-container.json': 'tx5SbD5zJC_CEPLeTjvw3Z',
  'legacy/v0.8-v0.12/net_packet_dns_response-v0.10.json': '2-QNrvA2bS8cRbgAC26pPv',
  'legacy/v0.8-v0.12/net_packet_ipv4-v0.10.json': 'aJnv8Urk_OHtrdUXqTFtIs',
  'legacy/v0.8-v0.12/sched_process_exec-exec-hash.json': 'VJpvNiSbTtVBf2G2elfaNP',
  'legacy/v0.8-v0.12/security_file_open-parse-arguments.json': 'PcF7xTQxgn-MOHlEhWA5gk',
  'legacy/v0.8-v0.12/signature-anti_debugging-TRC-102.json': 'Gsd0qHPsOaxUSSbonJgmki',
  'legacy/v0.8-v0.12/signature-fileless_execution-k8s.json': 'VuTS2AJ0ZPsG_fMP5O9kGi',
};

/** sha256 of the ids of every line (one per line, "-" for a line that does not decode), by stream */
const PINNED_STREAMS: Record<string, string> = {
  'streams/dns_events_test-first200.ndjson': 'bc20c8a9e522b6800ae99aa10ec817fcb8f432bf34d7f76d769450841f8b7212',
  'streams/net_packet_dns-sequence-v0.18.ndjson': 'e333660002fc246e27d0922985a32a6981df0b771761c6fc5abca596d04ee763',
};

/** sha256 of the ids of the 24,010 events of test/data/tracee-net_packet_dns-24010.ndjson.gz, one per line */
const PINNED_DNS_CAPTURE = '38e4e5570a20ca5ea1c7c93472ddcbc166898d132e4a1748d7e4c7b4d696964f';

const PINNED_SYNTHETIC: Record<string, string> = {
  'small integers': 'daIp-Oga5xk5WIvLZ1o0Li',
  'negative integers': 'MNZmQ8YvsXcqrvLIzgyNtu',
  'integers past 2^31': 'JxyTs2xmdVjOgVYFD7kPsh',
  'unsafe and fractional numbers': 'vr2WFDCmnLhNZutzCNWEoQ',
  bigints: 'ZpDV1ELkXkAh-cclccyncJ',
  'byte list': '6r7baPcJJmUo1CF8vVpv67',
  'not a byte list (256)': 'BYaekKCLbUpIrBzVoaprXt',
  'bytes (Uint8Array)': 'ohGjEjSl5Uskf5Krn1OGFd',
  'strings, booleans, zero values': '2cU4va9JO2mrMp4ikVxJov',
  nested: '9sX9x2Rag5mAdkTkTVLHj3',
};

describe('event.id: pinned ids (the same events keep their ids)', () => {
  const samples = sharedSamples(Infinity);
  const singles = samples.filter((s) => !s.rel.endsWith('.ndjson'));
  const streams = samples.filter((s) => s.rel.endsWith('.ndjson'));
  it('every single-event sample has a pinned id', () => {
    expect(singles.map((s) => s.rel).sort()).toEqual(Object.keys(PINNED_SINGLES).sort());
  });
  it.each(singles.map((s) => [s.rel, s] as const))('%s', (rel, s) => {
    expect(eventId(ok(decodeText(s.records[0])))).toBe(PINNED_SINGLES[rel]);
  });
  it.each(streams.map((s) => [s.rel, s] as const))('%s (every line)', (rel, s) => {
    const h = createHash('sha256');
    for (const r of s.records) {
      const d = decodeText(r);
      h.update(d.ok ? eventId(d.event) : '-');
      h.update('\n');
    }
    expect(h.digest('hex')).toBe(PINNED_STREAMS[rel]);
  });
  it('the 24,010 events of the DNS capture', () => {
    const text = zlib.gunzipSync(fs.readFileSync(DNS_CAPTURE)).toString('utf8');
    const h = createHash('sha256');
    let n = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      h.update(eventId(ok(decodeText(line))));
      h.update('\n');
      n++;
    }
    expect(n).toBe(24010);
    expect(h.digest('hex')).toBe(PINNED_DNS_CAPTURE);
  });
  it.each(Object.keys(SYNTHETIC))('synthetic: %s', (k) => {
    expect(eventId(SYNTHETIC[k])).toBe(PINNED_SYNTHETIC[k]);
  });
});

describe('event.id: the key is hashed as bytes written piece by piece, the same as identityKey encoded', () => {
  // eventId writes the key's UTF-8 bytes without making the string (key-bytes.ts); identityKey is the
  // same key as text. Every value a field can hold is written as `${v ?? ''}` writes it.
  const reference = (ev: TraceeEvent, name?: string) =>
    createHash('sha256').update(identityKey(ev, name)).digest('base64url').slice(0, 22);
  const timestamps: unknown[] = [
    0n,
    1n,
    9_999_999n,
    10_000_000n,
    4_294_967_295n,
    4_294_967_296n,
    10_000_000_000_000n,
    1_000_000_000_000_000_000n,
    1_700_000_000_000_000_001n,
    10_000_000_000_000_000_000n,
    9_223_372_036_854_775_808n,
    18_446_744_073_709_551_615n,
    18_446_744_073_709_551_616n,
    -1n,
    -1_700_000_000_000_000_000n,
    1_700_000_000_000_000_000,
    12.5,
  ];
  const numbers: unknown[] = [
    undefined,
    null,
    0,
    -0,
    7,
    -7,
    2 ** 53 - 1,
    2 ** 53,
    1.5,
    Number.NaN,
    -Infinity,
    123n,
    'x',
  ];
  const texts: unknown[] = ['', 'net_packet_dns', 'é', '容器', '😀', '\ud800 lone', 'a'.repeat(5000), 42];
  const rand = seeded(16);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];

  it('for timestamps around every 10^7 and 2^32 step, ids, names and container ids of any kind', () => {
    for (let i = 0; i < 600; i++) {
      const ev = {
        timestamp: i < timestamps.length ? timestamps[i] : pick([...timestamps, undefined, null]),
        name: rand() < 0.1 ? undefined : 'open',
        workload: {
          process: { host_pid: pick(numbers), unique_id: pick(numbers), thread: { host_tid: pick(numbers) } },
          container: { id: pick(texts) },
        },
        data: [
          { name: pick(texts) as string, kind: 'string', value: pick([...texts, ...numbers, [1, 2, 3], { a: 'b' }]) },
          { name: 'n', kind: 'int', value: pick(numbers) },
        ],
        detected_from:
          rand() < 0.3
            ? { name: pick(texts), data: [{ name: 'x', kind: 'int', value: 5 }], parent: { name: 'p' } }
            : undefined,
      } as unknown as TraceeEvent;
      const name = rand() < 0.5 ? undefined : (pick([...texts, null]) as string);
      expect(
        eventId(ev, name),
        JSON.stringify(ev, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)).slice(0, 600),
      ).toBe(reference(ev, name));
    }
  });
});
