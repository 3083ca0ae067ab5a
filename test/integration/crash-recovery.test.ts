// kill -9 with disk buffers: the real CLI receives N distinct events over its webhook while both
// destinations are down (a fake outage proxy in front of the real Elasticsearch and the real
// collector), answers 200 once each event is in the disk buffers, and is killed with SIGKILL. Then
// the destinations come back and the exporter starts again with the same data_dir: every one of the
// N events must be in Elasticsearch exactly once and in the collector's output at least once.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertCollectorRunning,
  attributeMap,
  collectorLogRecords,
  collectorOutputSize,
  readCollectorOutput,
  uniqueTestId,
} from '../helpers/collector.ts';
import { esRequest, esUrl, refresh, uniqueNamespace } from '../helpers/elasticsearch.ts';
import { createFakeOutageProxy, type FakeOutageProxy } from '../helpers/fake-outage-proxy.ts';
import { ROOT } from '../helpers/samples.ts';

const N = 500;
const SAMPLES = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').trim().split('\n');
const PATH = `${path.join(ROOT, 'node_modules/.bin')}:${process.env.PATH}`;

/** N distinct events: the samples in turn, each with its own timestamp (so its own event id). */
function distinctEvents(): string[] {
  const ms = Date.now();
  return Array.from({ length: N }, (_, i) => {
    const line = SAMPLES[i % SAMPLES.length];
    // classic Tracee JSON: nanoseconds; the structured (proto3 JSON) sample: an RFC 3339 string
    const out = line
      .replace(/"timestamp":\d+/, `"timestamp":${BigInt(ms + i) * 1_000_000n}`)
      .replace(/"timestamp":"[^"]+"/, `"timestamp":"${new Date(ms + i).toISOString()}"`);
    if (out === line) throw new Error('sample without a timestamp');
    return out;
  });
}

interface Run {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
  url: Promise<string>;
}

function startExporter(config: string): Run {
  const child = spawn(
    'node',
    [path.join(ROOT, 'src/cli/main.ts'), 'run', '--config', config, '--shutdown-timeout', '5000'],
    {
      cwd: ROOT,
      env: { ...process.env, PATH, NODE_NAME: 'crash-node' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (c: string) => {
      stderr += c;
      const m = /webhook: listening on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    void exited.then(() => reject(new Error(`exited before listening:\n${stderr}`)));
  });
  return { child, stderr: () => stderr, exited, url };
}

// 8 at a time: below the webhook's default per-client connection cap (16), which counts sockets still closing
async function post(url: string, events: string[], concurrency = 8): Promise<number[]> {
  const statuses: number[] = new Array(events.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < events.length) {
        const i = next++;
        const r = await fetch(`${url}?timeout=10s`, {
          method: 'POST',
          body: events[i],
          headers: { 'content-type': 'application/json' },
        });
        await r.text();
        statuses[i] = r.status;
      }
    }),
  );
  return statuses;
}

/** Every document of the test's data streams: _id and event.id. */
async function esDocs(ns: string): Promise<{ _id: string; eventId: string }[]> {
  const index = `logs-tracee.*-${ns}`;
  try {
    await refresh(index);
  } catch {
    return [];
  }
  const { status, body } = await esRequest<{ hits: { hits: { _id: string; _source: { event?: { id?: string } } }[] } }>(
    'POST',
    `/${index}/_search?expand_wildcards=all`,
    {
      body: { query: { match_all: {} }, size: 10_000, _source: ['event.id'] },
      // a data stream's first backing index answers 503 (no shard available) until its shard starts
      okStatuses: [503],
    },
  );
  if (status === 503) return [];
  return body.hits.hits.map((h) => ({ _id: h._id, eventId: String(h._source.event?.id) }));
}

function collectorUids(testId: string, fromByte: number): string[] {
  return collectorLogRecords(readCollectorOutput(fromByte))
    .filter((r) => attributeMap(r.resourceLogs.resource?.attributes)['test.id']?.stringValue === testId)
    .map((r) => attributeMap(r.record.attributes)['log.record.uid']?.stringValue as string);
}

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('crash recovery with disk buffers (kill -9 during an outage)', () => {
  let esProxy: FakeOutageProxy;
  let otlpProxy: FakeOutageProxy;
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    await assertCollectorRunning();
    await esRequest('GET', '/_cluster/health');
    const es = new URL(esUrl());
    esProxy = await createFakeOutageProxy({ host: es.hostname, port: Number(es.port || 9200) });
    otlpProxy = await createFakeOutageProxy({ host: '127.0.0.1', port: 4318 });
  });
  afterAll(async () => {
    for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
    await esProxy?.close();
    await otlpProxy?.close();
  });

  it('every event accepted before kill -9 reaches Elasticsearch exactly once and the collector at least once', async () => {
    const t0 = Date.now();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crash-recovery-'));
    const ns = uniqueNamespace('crash');
    const testId = uniqueTestId('crash');
    const collectorFrom = collectorOutputSize();
    const config = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      config,
      `version: 1
data_dir: ${dir}/data
sources:
  - { type: webhook, listen: 127.0.0.1:0, path: /events }
dead_letter: { path: ${dir}/dead-letter.ndjson }
delivery:
  initial_backoff_ms: 100
  max_backoff_ms: 500
  flush_interval_ms: 100
  # batches of 50: the replay of 500 takes several bulk requests (each held 300 ms by the proxy in
  # the second run), so that run's kill -9 at the first documents leaves some to replay
  max_batch_items: 50
  buffer: { type: disk, fsync: interval, fsync_interval_ms: 200, max_bytes: 67108864 }
exporters:
  - type: elasticsearch
    name: es
    endpoints: ${esProxy.url}
    data_stream: { namespace: ${ns} }
    request_timeout_ms: 5000
  - type: otlp_http
    name: otlp
    endpoint: ${otlpProxy.url}
    timeout_ms: 5000
    resource_attributes: { test.id: ${testId} }
`,
    );
    const events = distinctEvents();

    // 1. destinations down: every event is answered 200 = written to both disk buffers
    const first = startExporter(config);
    running.push(first.child);
    const firstUrl = await first.url;
    const tListening = Date.now();
    const statuses = await post(firstUrl, events);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    for (const name of ['es', 'otlp']) {
      const files = fs.readdirSync(path.join(dir, 'data/buffer', name));
      expect(files.some((f) => f.endsWith('.seg'))).toBe(true);
      expect(files).toContain('lock');
    }
    expect(esProxy.counts.forwarded + otlpProxy.counts.forwarded).toBe(0);
    expect(esProxy.counts.reset).toBeGreaterThan(0); // the exporters did try: the outage was real
    expect(otlpProxy.counts.reset).toBeGreaterThan(0);
    const tPosted = Date.now();
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe(null);
    expect(await esDocs(ns)).toEqual([]);

    // 2. destinations back, same data_dir: the replay starts; kill -9 again as soon as the first
    // documents are in Elasticsearch (their acks are likely not checkpointed yet: replayed again)
    esProxy.up();
    esProxy.slow(300);
    otlpProxy.up();
    const middle = startExporter(config);
    running.push(middle.child);
    await middle.url;
    await until('the first documents in Elasticsearch', async () => (await esDocs(ns)).length > 0, 20_000);
    middle.child.kill('SIGKILL');
    expect(await middle.exited).toBe(null);
    const deliveredBeforeSecondKill = (await esDocs(ns)).length;
    expect(middle.stderr()).toMatch(/es: disk buffer \S+: 500 buffered event\(s\) to replay/);

    // 3. again, same data_dir: what was not acknowledged is replayed; Elasticsearch deduplicates by _id
    esProxy.slow(0);
    const second = startExporter(config);
    running.push(second.child);
    await second.url;
    await until(
      'all events in Elasticsearch and the collector',
      async () => {
        const docs = await esDocs(ns);
        return docs.length >= N && new Set(collectorUids(testId, collectorFrom)).size >= N;
      },
      40_000,
    );
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const log = second.stderr();
    expect(log).toMatch(/es: disk buffer \S+: \d+ buffered event\(s\) to replay/);
    expect(log).not.toMatch(/stay in the disk buffer/);
    const summary = /es: entered \d+ = delivered (\d+) \+ duplicates (\d+)/.exec(log);
    expect(summary).not.toBeNull();
    console.log(
      `crash-recovery: start-up ${tListening - t0} ms; ${N} events posted (8 concurrent requests, one event each) in ${tPosted - tListening} ms; ${deliveredBeforeSecondKill} in Elasticsearch at the second kill -9; ` +
        `last run: es delivered ${summary![1]}, duplicates ${summary![2]} (409 on replay); ${(log.match(/damaged record/g) ?? []).length} torn/damaged record report(s); total ${Date.now() - t0} ms`,
    );

    // Elasticsearch: exactly N documents, N distinct _id, N distinct event ids
    const docs = await esDocs(ns);
    expect(docs.length).toBe(N);
    expect(new Set(docs.map((d) => d._id)).size).toBe(N);
    const ids = new Set(docs.map((d) => d.eventId));
    expect(ids.size).toBe(N);
    // the collector: every one of those event ids at least once
    const uids = new Set(collectorUids(testId, collectorFrom));
    expect([...ids].filter((id) => !uids.has(id))).toEqual([]);
    expect(uids.size).toBe(N);
    // nothing dead-lettered, buffers empty
    expect(
      fs.existsSync(path.join(dir, 'dead-letter.ndjson'))
        ? fs.readFileSync(path.join(dir, 'dead-letter.ndjson'), 'utf8')
        : '',
    ).toBe('');
    for (const name of ['es', 'otlp']) {
      expect(
        fs.readdirSync(path.join(dir, 'data/buffer', name)).filter((f) => f.endsWith('.seg') || f === 'lock'),
      ).toEqual([]);
    }
    expect(Date.now() - t0).toBeLessThan(60_000);
  });
});
