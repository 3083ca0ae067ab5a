// The OTLP/HTTP exporter against a REAL OpenTelemetry Collector (scripts/services/collector.sh:
// OTLP/HTTP on 127.0.0.1:4318, every received request written as one JSON line to
// ${TRACEE_EXPORTER_RUN:-/tmp/tracee-exporter-services}/collector-out/logs.jsonl, truncated on start).
// Each test tags its records with a unique `test.run.id` resource attribute, so tests only read
// their own lines. The restart test stops and starts the shared collector: other integration files
// that use the collector must not run at the same time as this one (it is the only one so far).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyResponse } from '../../src/exporters/otlp-http/classify.ts';
import { createOtlpHttpExporter } from '../../src/exporters/otlp-http/index.ts';
import type { OtlpHttpExporter, OtlpHttpOptions } from '../../src/exporters/otlp-http/index.ts';
import { decodeRpcStatus } from '../../src/exporters/otlp-http/rpc-status.ts';
import { createTransport } from '../../src/exporters/otlp-http/transport.ts';
import { EXPORTER_VERSION } from '../../src/exporters/otlp-http/version.ts';
import type { ExportItem, SendOutcome } from '../../src/model/exporter.ts';
import type { OtelRecord } from '../../src/model/records.ts';
import {
  COLLECTOR_OTLP_HTTP_URL as ENDPOINT,
  assertCollectorRunning,
  attributeMap as attrs,
  collectorScript,
  readCollectorOutput,
  uniqueTestId,
} from '../helpers/collector.ts';
import type { Json } from '../helpers/collector.ts';
import { BASE_NS, batch, workloads } from '../helpers/otel-record-builders.ts';

async function collector(cmd: 'start' | 'stop'): Promise<void> {
  const r = await collectorScript(cmd);
  if (r.code !== 0) throw new Error(`collector.sh ${cmd} failed (exit ${r.code}):\n${r.stderr}`);
}

/** Requests (lines) that carry this run id, each reduced to this run's ResourceLogs. */
function linesOf(runId: string, lines: Json[] = readCollectorOutput()): Json[][] {
  return lines
    .map((l) =>
      (l.resourceLogs ?? []).filter((rl: Json) => attrs(rl.resource?.attributes)['test.run.id']?.stringValue === runId),
    )
    .filter((rls) => rls.length > 0);
}

function recordsOf(runId: string, lines?: Json[]): Array<{ rl: Json; sl: Json; lr: Json }> {
  return linesOf(runId, lines)
    .flat()
    .flatMap((rl: Json) => rl.scopeLogs.flatMap((sl: Json) => sl.logRecords.map((lr: Json) => ({ rl, sl, lr }))));
}

async function waitForRecords(
  runId: string,
  n: number,
  timeoutMs = 15_000,
): Promise<Array<{ rl: Json; sl: Json; lr: Json }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const recs = recordsOf(runId);
    if (recs.length >= n || Date.now() > deadline) return recs;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the pre-stop lines plus the current file hold `n` distinct records of the run. */
async function waitForLines(runId: string, beforeRestart: Json[], n: number, timeoutMs = 15_000): Promise<Json[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = readCollectorOutput(0); // after the restart the file starts over: read all of it
    const seqs = new Set([...recordsOf(runId, beforeRestart), ...recordsOf(runId, lines)].map((f) => seqOf(f.lr)));
    if (seqs.size >= n || Date.now() > deadline) return lines;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const seqOf = (lr: Json): number => Number(attrs(lr.attributes)['tracee.seq'].intValue);
const newRunId = () => uniqueTestId('otlp-itest');

const exporters: OtlpHttpExporter[] = [];
async function make(runId: string, opts: OtlpHttpOptions = {}): Promise<OtlpHttpExporter> {
  const e = createOtlpHttpExporter(
    { endpoint: ENDPOINT, resourceAttributes: { 'test.run.id': runId }, ...opts },
    { env: {}, warn: () => {} },
  );
  exporters.push(e);
  await e.start();
  return e;
}

beforeAll(async () => {
  await assertCollectorRunning(); // fails (never skips) when the services are not started
});

afterAll(async () => {
  for (const e of exporters) await e.shutdown();
  // the restart test stops the shared collector: whatever happened, leave it running for the next file
  await collector('start');
});

function checkRecordContent(found: Json[], k: number, n: number): void {
  expect(found).toHaveLength(n);
  const bySeq = new Map(found.map((f) => [seqOf(f.lr), f]));
  expect([...bySeq.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
  for (const [i, { rl, sl, lr }] of bySeq) {
    expect(lr.timeUnixNano).toBe((BASE_NS + BigInt(i)).toString());
    expect(lr.observedTimeUnixNano).toBe((BASE_NS + 1_000_000_007n + BigInt(i)).toString());
    expect(lr.severityNumber).toBe(13);
    expect(lr.severityText).toBe('WARN');
    expect(lr.eventName).toBe('tracee.security_file_open');
    expect(lr.body).toEqual({ stringValue: `open of /etc/shadow-${i}` });
    const a = attrs(lr.attributes);
    expect(a['process.pid']).toEqual({ intValue: String(1000 + i) });
    expect(a['tracee.event.id']).toEqual({ intValue: String(700 + (i % 10)) });
    expect(a['file.path']).toEqual({ stringValue: `/etc/shadow-${i}` });
    expect(a['tracee.ratio']).toEqual({ doubleValue: 0.25 });
    expect(a['tracee.big']).toEqual({ stringValue: '18446744073709551615' });
    expect(a['tracee.args.flags']).toEqual({
      arrayValue: { values: [{ stringValue: 'O_RDONLY' }, { stringValue: 'O_CLOEXEC' }] },
    });
    expect(a['tracee.args.nested']).toEqual({
      kvlistValue: {
        values: [
          { key: 'a', value: { intValue: '1' } },
          { key: 'b', value: { stringValue: 'two' } },
          { key: 'c', value: { arrayValue: { values: [{ boolValue: true }, { boolValue: false }] } } },
        ],
      },
    });
    expect(sl.scope).toMatchObject({ name: 'tracee-exporter', version: EXPORTER_VERSION });
    const ra = attrs(rl.resource.attributes);
    expect(ra['service.name']).toEqual({ stringValue: 'tracee' });
    expect(ra['k8s.pod.name']).toEqual({ stringValue: `pod-${i % k}` });
    expect(ra['host.name']).toEqual({ stringValue: 'node-1' });
  }
}

describe('otlp_http exporter → real collector', () => {
  it.each([
    ['http/protobuf', 'gzip'],
    ['http/protobuf', 'none'],
    ['http/json', 'gzip'],
    ['http/json', 'none'],
  ] as const)(
    '%s + %s: K workloads → K resourceLogs in ONE request line; fields exact',
    async (protocol, compression) => {
      const runId = newRunId();
      const e = await make(runId, {
        protocol,
        compression,
        headers: { authorization: 'Bearer test-token', 'x-scope-orgid': 'tenant-1' },
      });
      const K = 4;
      const N = 40;
      expect(await e.send(batch(workloads(K), N))).toEqual({ status: 'ok' });
      const found = await waitForRecords(runId, N);
      const lines = linesOf(runId);
      expect(lines).toHaveLength(1); // one request
      expect(lines[0]).toHaveLength(K); // K ResourceLogs in it
      for (const rl of lines[0]) expect(rl.scopeLogs).toHaveLength(1);
      checkRecordContent(found, K, N);
    },
  );

  it('a batch over maxRequestBytes arrives as several requests, nothing lost or duplicated', async () => {
    const runId = newRunId();
    const e = await make(runId, { maxRequestBytes: 8 * 1024 });
    expect(await e.send(batch(workloads(3), 120))).toEqual({ status: 'ok' });
    const found = await waitForRecords(runId, 120);
    expect(linesOf(runId).length).toBeGreaterThan(3);
    checkRecordContent(found, 3, 120);
  });

  it('the real collector answers garbage with 400 + google.rpc.Status, classified as rejected with its message', async () => {
    const t = createTransport({ url: `${ENDPOINT}/v1/logs`, timeoutMs: 5000, maxResponseBytes: 65536 });
    try {
      const proto = await t.post(Buffer.from([0xff, 0xff, 0xff]), { 'content-type': 'application/x-protobuf' });
      if (proto.kind !== 'response') throw new Error(`no answer: ${proto.code}`);
      expect(proto.status).toBe(400);
      expect(proto.headers['content-type']).toBe('application/x-protobuf');
      const status = decodeRpcStatus(proto.body);
      expect(status?.code).toBe(3); // INVALID_ARGUMENT
      expect(status?.message).toBeTruthy();
      // The decoded Status message, not the raw protobuf bytes.
      expect(classifyResponse(proto)).toEqual({
        status: 'rejected',
        cause: 'permanent',
        reason: `HTTP 400 Bad Request: ${status!.message}`,
      });

      const json = await t.post(Buffer.from('{"resourceLogs": [{"nope"'), { 'content-type': 'application/json' });
      if (json.kind !== 'response') throw new Error(`no answer: ${json.code}`);
      const jsonStatus = JSON.parse(json.body.toString('utf8')) as { code: number; message: string };
      expect(jsonStatus.code).toBe(3);
      expect(classifyResponse(json)).toEqual({
        status: 'rejected',
        cause: 'permanent',
        reason: `HTTP 400 Bad Request: ${jsonStatus.message}`,
      });

      // Not OTLP at all: 415 with a text body, rejected with that text.
      const text = await t.post(Buffer.from('x'), { 'content-type': 'text/plain' });
      if (text.kind !== 'response') throw new Error(`no answer: ${text.code}`);
      expect(classifyResponse(text)).toMatchObject({
        status: 'rejected',
        cause: 'destination_state',
        reason: expect.stringMatching(/^HTTP 415 Unsupported Media Type: 415 unsupported media type/),
      });
    } finally {
      t.close();
    }
  });

  it('collector stopped mid-stream and restarted: sends fail retryable while down, succeed after, nothing accepted is lost', async () => {
    const runId = newRunId();
    const e = await make(runId, { timeoutMs: 3000 });
    const ws = workloads(3);
    const BATCH = 25;
    const TOTAL_BATCHES = 40;
    const pending: Array<{ n: number; items: ExportItem<OtelRecord>[] }> = [];
    for (let b = 0; b < TOTAL_BATCHES; b++) pending.push({ n: b, items: batch(ws, BATCH, b * BATCH) });
    const accepted = new Set<number>();
    const outcomes: SendOutcome[] = [];

    // A tiny stand-in for the delivery layer: send in order, keep what failed retryable.
    let stopped = false;
    let restarted = false;
    const retry: typeof pending = [];
    const sender = (async () => {
      while (pending.length > 0 || retry.length > 0) {
        const next = restarted && retry.length > 0 ? retry.shift()! : pending.shift();
        if (next === undefined) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        const o = await e.send(next.items);
        outcomes.push(o);
        if (o.status === 'ok') for (const it of next.items) accepted.add(Number(it.record.attributes['tracee.seq']));
        else if (o.status === 'retryable') retry.push(next);
        else throw new Error(`unexpected outcome ${JSON.stringify(o)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // Let some batches through, then stop the collector while the sender keeps going.
    while (accepted.size < 5 * BATCH) await new Promise((r) => setTimeout(r, 10));
    await collector('stop');
    stopped = true;
    const acceptedBeforeStop = new Set(accepted);
    const beforeRestart = readCollectorOutput(); // the file is truncated when the collector starts again
    // While down: at least a few sends must come back retryable (connection refused).
    const t0 = Date.now();
    while (outcomes.filter((o) => o.status === 'retryable').length < 3 && Date.now() - t0 < 20_000)
      await new Promise((r) => setTimeout(r, 20));
    const downOutcomes = outcomes.filter((o) => o.status === 'retryable');
    expect(downOutcomes.length).toBeGreaterThanOrEqual(3);
    for (const o of downOutcomes) expect((o as { reason: string }).reason).toMatch(/ECONNREFUSED|ECONNRESET|TIMEOUT/);

    await collector('start');
    restarted = true;
    await sender;
    expect(stopped).toBe(true);

    // The collector's file exporter runs with `append: false`: the file is truncated at start
    // (scripts/services/collector.sh says so; checked here, and handled either way).
    const all = await waitForLines(runId, beforeRestart, TOTAL_BATCHES * BATCH);
    const appended =
      all.length >= beforeRestart.length &&
      beforeRestart.length > 0 &&
      JSON.stringify(all[0]) === JSON.stringify(beforeRestart[0]);
    expect(appended, 'expected the collector to truncate its output file on restart').toBe(false);
    const afterLines = appended ? all.slice(beforeRestart.length) : all;

    // Every record the exporter saw accepted before the stop is in the pre-restart file ...
    const before = recordsOf(runId, beforeRestart);
    const seqsBefore = new Set(before.map((f) => seqOf(f.lr)));
    for (const s of acceptedBeforeStop)
      expect(seqsBefore.has(s), `seq ${s} accepted before the stop but not written`).toBe(true);
    // ... and every record is delivered overall. Duplicates are allowed (a request the collector
    // wrote just before dying, whose answer the client never got, is sent again) but bounded.
    const after = recordsOf(runId, afterLines);
    const seqsAll = new Set([...seqsBefore, ...after.map((f) => seqOf(f.lr))]);
    expect(accepted.size).toBe(TOTAL_BATCHES * BATCH);
    expect(seqsAll.size).toBe(TOTAL_BATCHES * BATCH);
    const dupes = before.length + after.length - seqsAll.size;
    expect(dupes).toBeLessThanOrEqual(BATCH * 2);
    if (process.env.OTLP_ITEST_VERBOSE) {
      console.log({
        acceptedBeforeStop: acceptedBeforeStop.size,
        writtenBeforeStop: before.length,
        retryable: downOutcomes.length,
        after: after.length,
        dupes,
        appended,
      });
    }
  }, 300_000);
});
