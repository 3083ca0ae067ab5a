// #14.3: a webhook 503 is a refusal. 200 = the event is in every exporter's queue (or disk
// buffer); 503 = it is in none and is never delivered (counted as refused, dead-lettered as input
// once). Two routes: a console exporter (never full) and otlp_http to a FAKE collector that hangs,
// so only the second route fills: the event a 503'd request was waiting for must not reach the
// console either. Then the fake answers, a retrying sender resends what got 503, and every route
// delivers exactly the events answered 200 — no duplicates, no loss.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../../src/config/run-config.ts';
import { createPipeline, type RunSummary } from '../../../src/pipeline/pipeline.ts';
import { fakeHang, fakeOk, FakeOtlpHttpServer } from '../../helpers/fake-otlp-http-server.ts';
import { ROOT } from '../../helpers/samples.ts';

const BASE = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').split('\n')[0],
);
/** Event n: the sample with its own timestamp (a distinct @timestamp at the console). */
const event = (n: number) => JSON.stringify({ ...BASE, timestamp: BASE.timestamp + n * 1_000_000 });
const stampOf = (n: number) => new Date(Math.floor(BASE.timestamp / 1e6) + n).toISOString().slice(0, 23);

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(slow: Record<string, unknown>) {
  const fake = await FakeOtlpHttpServer.start();
  fake.always(fakeHang);
  cleanups.push(() => fake.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-refusal-'));
  const out = path.join(dir, 'out.ndjson');
  const config: RunConfig = {
    version: 1,
    data_dir: dir,
    sources: [{ type: 'webhook', listen: '127.0.0.1:0', path: '/events', max_queue_wait_ms: 200 }],
    dead_letter: { path: path.join(dir, 'dl.ndjson') },
    exporters: [
      { type: 'console', path: out, delivery: { flush_interval_ms: 5 } },
      { type: 'otlp_http', endpoint: fake.baseUrl, ...slow },
    ],
  };
  const logs: string[] = [];
  const p = createPipeline(
    config,
    { stdin: Readable.from([]), log: (l) => logs.push(l) },
    { shutdownTimeoutMs: 3_000 },
  );
  const done = p.run();
  let stopped: Promise<RunSummary> | undefined;
  const stop = () => (stopped ??= (p.stop(), done));
  cleanups.push(stop);
  const { webhooks } = await p.ready();
  const read = (f: string) =>
    fs.existsSync(f)
      ? fs
          .readFileSync(f, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      : [];
  return {
    fake,
    url: webhooks[0].url,
    stats: webhooks[0].stats,
    logs,
    stop,
    console: () => read(out).map((l) => (JSON.parse(l)['@timestamp'] as string).slice(0, 23)),
    deadLetter: () => read(path.join(dir, 'dl.ndjson')).map((l) => JSON.parse(l)),
  };
}

const post = (url: string, body: string) =>
  fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then(async (r) => {
    await r.text();
    return r.status;
  });

async function scenario(slow: Record<string, unknown>) {
  const w = await start(slow);
  // never-retrying sender (Tracee): post until the slow route is full and a few 503s came back
  const answered = new Map<number, number>();
  let n = 0;
  for (let got503 = 0; got503 < 3 && n < 500; n++) {
    const status = await post(w.url, event(n));
    answered.set(n, status);
    if (status === 503) got503++;
  }
  const ok = [...answered].filter(([, s]) => s === 200).map(([i]) => i);
  const refused = [...answered].filter(([, s]) => s === 503).map(([i]) => i);
  expect(refused).toHaveLength(3);
  expect(ok.length + refused.length).toBe(n);
  // the 503'd events are not in the fast route either: a 503 took them nowhere
  await expect.poll(() => w.console().length).toBe(ok.length);
  expect(w.console().sort()).toEqual(ok.map(stampOf).sort());
  expect(w.stats().events).toMatchObject({ accepted: ok.length, refused: 3, waiting: 0 });

  // the destination comes back; a retrying sender resends each 503'd event until it gets 200
  w.fake.always(fakeOk);
  let answered503 = refused.length;
  for (const i of refused) {
    let status = 503;
    for (let k = 0; k < 100 && status !== 200; k++) {
      status = await post(w.url, event(i));
      if (status === 503) answered503++;
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);
  }
  const summary = await w.stop();
  const total = ok.length + refused.length;
  // each route delivered each event exactly once: as many as were answered 200
  expect(summary.exporters.map((e) => [e.stats.delivered, e.stats.duplicates])).toEqual([
    [total, 0],
    [total, 0],
  ]);
  expect(w.console().sort()).toEqual([...ok, ...refused].map(stampOf).sort());
  // every 503 (resends included) is counted as refused and dead-lettered as input (with the event), never as an exporter's
  const dl = w.deadLetter();
  expect(dl.filter((e) => e.exporter === 'input')).toHaveLength(answered503);
  expect(dl.filter((e) => e.exporter !== 'input')).toHaveLength(0);
  expect(summary.rejected).toBe(answered503);
  expect(w.stats().events).toMatchObject({ accepted: total, refused: answered503, waiting: 0 });
  expect(w.stats().responses).toEqual({ 200: total, 503: answered503 });
}

describe('webhook 503 is a refusal', () => {
  it('in-memory queues: the waiting push is withdrawn from every route; delivered = answered 200, exactly', async () => {
    await scenario({
      delivery: {
        max_queue_items: 2,
        max_batch_items: 1,
        concurrency: 1,
        flush_interval_ms: 1,
        send_timeout_ms: 1_000,
        initial_backoff_ms: 50,
        max_backoff_ms: 200,
      },
    });
  });

  it('behind a disk buffer: the same', async () => {
    await scenario({
      buffer: { type: 'disk', max_bytes: 65536, segment_bytes: 16384, fsync: 'never' },
      delivery: {
        max_queue_items: 2,
        max_batch_items: 1,
        concurrency: 1,
        flush_interval_ms: 1,
        send_timeout_ms: 1_000,
        initial_backoff_ms: 50,
        max_backoff_ms: 200,
      },
    });
  });
});
