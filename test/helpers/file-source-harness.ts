// A file source wired to the real ingest (decode → map) and the real delivery, with a FAKE
// exporter that records every delivered input line: what the file tests count across restarts.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDelivery } from '../../src/delivery/index.ts';
import type { Exporter, SendOutcome } from '../../src/model/exporter.ts';
import { createIngest } from '../../src/pipeline/ingest.ts';
import { createFileSource, type FileSource, type FileSourceOptions } from '../../src/sources/files/file-source.ts';
import { ROOT, testMapper } from './samples.ts';

const SAMPLE = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').split('\n')[0];
const TS = '1696259024822467299';

/** Event line i (a real Tracee event; the timestamp makes each one distinct). */
export function eventLine(i: number): string {
  return SAMPLE.replace(TS, String(BigInt(TS) + BigInt(i)));
}
export const eventId = (line: string): number => Number(BigInt(/"timestamp":(\d+)/.exec(line)![1]) - BigInt(TS));
export const lines = (from: number, n: number): string =>
  Array.from({ length: n }, (_, k) => eventLine(from + k) + '\n').join('');

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function until(cond: () => boolean, timeoutMs = 8000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What the fake exporter answers; `down` makes it answer retryable (the destination is down). */
export interface FakeSink {
  down: boolean;
  delivered: Map<number, number>;
  origins: string[];
}

export function fakeSink(): FakeSink {
  return { down: false, delivered: new Map(), origins: [] };
}

export interface Run {
  source: FileSource;
  logs: string[];
  errors: string[];
  /** Stop reading, let the delivery flush, then the final commit (a clean shutdown). */
  stop(): Promise<void>;
  done: Promise<void>;
}

/** Start a file source (options + short intervals) feeding the sink. */
export function startRun(sink: FakeSink, o: FileSourceOptions): Run {
  const exporter: Exporter = {
    name: 'fake-sink',
    target: 'ecs',
    async start() {},
    async shutdown() {},
    async send(batch): Promise<SendOutcome> {
      if (sink.down) return { status: 'retryable', reason: 'fake-sink is down' };
      for (const item of batch) {
        const input = (item as { input?: string }).input!;
        const id = eventId(input);
        sink.delivered.set(id, (sink.delivered.get(id) ?? 0) + 1);
        sink.origins.push(`${item.origin.source}:${item.origin.line}`);
      }
      return { status: 'ok' };
    },
  };
  const delivery = createDelivery(exporter, {
    flushIntervalMs: 5,
    maxBatchItems: 7,
    initialBackoffMs: 10,
    maxBackoffMs: 30,
  });
  const ingest = createIngest({
    mapper: testMapper(),
    routes: [{ exporter, delivery }],
    counts: { received: 0, mapped: 0, rejected: 0, filteredOut: 0 },
    reject() {},
    lateRefusal() {},
  });
  const ac = new AbortController();
  const logs: string[] = [];
  const errors: string[] = [];
  const source = createFileSource(
    { pollIntervalMs: 10, scanIntervalMs: 50, checkpointIntervalMs: 20, quietMs: 200, ...o },
    {
      ingest,
      log: (m) => logs.push(m),
      error: (f, e) => errors.push(`${f}: ${e.message}`),
      signal: ac.signal,
    },
  );
  const done = source.run();
  return {
    source,
    logs,
    errors,
    done,
    async stop() {
      ac.abort();
      await done;
      await delivery.shutdown(5000);
      await source.close();
    },
  };
}

/** Ids delivered more than once, and ids in [0, n) never delivered. */
export function tally(sink: FakeSink, n: number): { missing: number[]; duplicated: number[]; total: number } {
  const missing: number[] = [];
  const duplicated: number[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const c = sink.delivered.get(i) ?? 0;
    total += c;
    if (c === 0) missing.push(i);
    if (c > 1) duplicated.push(i);
  }
  return { missing, duplicated, total };
}
