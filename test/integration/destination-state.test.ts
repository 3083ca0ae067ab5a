// Issue 14 against the REAL servers, each with exact counts:
//  (a) Elasticsearch comes back empty mid-run (a rebuilt cluster: no data stream, no template): every event
//      is delivered, none dead-lettered; the exporter reinstalls its templates once.
//  (b) two real-shaped events that differ only in their data (destination IP and DNS question) → two documents.
//  (c) shutdown while Elasticsearch is unreachable (a FAKE outage proxy in front of the real node), then
//      `replay` once it is back: every event stored exactly once; a second replay finds only duplicates; the
//      closing summary adds up.
//
// (a) needs a cluster that can lose everything: the shared node has no `_data_stream` API (integ-test
// distribution), so a data stream cannot be deleted there, and our templates cannot be deleted while a data
// stream uses them. The test starts a PRIVATE node of the same distribution on port 9211
// (scripts/services/elasticsearch.sh, ES_HTTP_PORT=9211), and rebuilds it (stop, start: every start begins
// with an empty data dir) mid-run. The shared node is never touched by (a).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src/config/run-config.ts';
import { preparePipeline, ledgerGap, type RunSummary } from '../../src/pipeline/pipeline.ts';
import { runReplay } from '../../src/cli/replay-command.ts';
import { countDocs, esRequest, esUrl, uniqueNamespace } from '../helpers/elasticsearch.ts';
import { createFakeOutageProxy } from '../helpers/fake-outage-proxy.ts';
import { ROOT } from '../helpers/samples.ts';

/** A real net_packet_dns event (examples/events/tracee-samples.ndjson, line 1), in Tracee's classic JSON. */
const DNS_EVENT = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').split('\n')[0];
const TS = /"timestamp":(\d+)/.exec(DNS_EVENT)![1];

/** `n` distinct events: the real one, its time moved by `from + i` ns. */
function events(from: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => DNS_EVENT.replace(`"timestamp":${TS}`, `"timestamp":${BigInt(TS) + BigInt(from + i)}`));
}

function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (await cond().catch(() => false)) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const dlLines = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0);

// ---- (a) a private node that can be rebuilt
const PRIVATE_PORT = 9211;
const PRIVATE = `http://127.0.0.1:${PRIVATE_PORT}`;
const esScript = (cmd: 'start' | 'stop') => execFileSync('bash', [path.join(ROOT, 'scripts/services/elasticsearch.sh'), cmd], {
  env: { ...process.env, ES_HTTP_PORT: String(PRIVATE_PORT), ES_HEAP: '384m', ES_START_TIMEOUT: '240' }, stdio: ['ignore', 'ignore', 'pipe'],
});

async function privateCount(index: string): Promise<number> {
  await fetch(`${PRIVATE}/${index}/_refresh`, { method: 'POST' });
  const r = await fetch(`${PRIVATE}/${index}/_count`);
  if (r.status === 404) return 0;
  return ((await r.json()) as { count: number }).count;
}

async function privateIds(index: string): Promise<string[]> {
  await fetch(`${PRIVATE}/${index}/_refresh`, { method: 'POST' });
  const r = await fetch(`${PRIVATE}/${index}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 10_000, _source: false, query: { match_all: {} } }) });
  return ((await r.json()) as { hits: { hits: Array<{ _id: string }> } }).hits.hits.map((h) => h._id);
}

describe('(a) Elasticsearch comes back empty mid-run (rebuilt cluster)', () => {
  afterAll(() => { esScript('stop'); });

  it('every event is delivered, none dead-lettered: the templates are reinstalled and the items retried', async () => {
    esScript('start');
    const dir = tmp('rebuilt-');
    const dl = path.join(dir, 'dl.ndjson');
    const ns = uniqueNamespace('rebuilt');
    const ds = `logs-tracee.events-${ns}`;
    const config: RunConfig = {
      version: 1, node: { name: 'n' }, dead_letter: { path: dl },
      sources: [{ type: 'stdin' }],
      exporters: [{ type: 'elasticsearch', name: 'es', endpoints: PRIVATE, dataStream: { namespace: ns },
        delivery: { maxBatchItems: 50, flushIntervalMs: 50, initialBackoffMs: 200, maxBackoffMs: 1000 } }],
    } as RunConfig;
    const stdin = new PassThrough();
    const logs: string[] = [];
    const p = await preparePipeline(config, { stdin, log: (l) => logs.push(l) }, { shutdownTimeoutMs: 120_000 });
    const running = p.run();
    await p.ready();
    const first = events(0, 200);
    const second = events(1000, 200);
    stdin.write(first.join('\n') + '\n');
    await until(async () => (await privateCount(ds)) === 200, 60_000, 'the first 200 events in the first cluster');
    // the cluster is rebuilt: down (the events meanwhile are retried), then up with nothing in it
    esScript('stop');
    stdin.write(second.join('\n') + '\n');
    await until(async () => logs.some((l) => /es: (retrying|circuit open)/.test(l)), 60_000, 'the exporter retrying');
    esScript('start');
    await until(async () => (await privateCount(ds)) === 200, 120_000, 'the second 200 events in the rebuilt cluster');
    stdin.end();
    const summary: RunSummary = await running;
    const es = summary.exporters[0];
    expect(es.ledger).toEqual({ entered: 400, delivered: 400, duplicates: 0, deadLettered: {}, dropped: 0, buffered: 0, unsettled: 0, filtered: 0 });
    expect(ledgerGap(es.ledger)).toBe(0);
    expect(dlLines(dl)).toBe(0);
    // the rebuilt cluster holds exactly the events sent after it was rebuilt, once each
    const ids = await privateIds(ds);
    expect(ids.length).toBe(200);
    expect(new Set(ids).size).toBe(200);
    // one episode: said once, with what Elasticsearch answered
    expect(logs.filter((l) => l.includes('reinstalling the templates and retrying them (not dead-lettered)'))).toHaveLength(1);
    expect(logs.some((l) => /no matching index template/.test(l))).toBe(true);
    expect(logs.some((l) => l === 'es: templates reinstalled' || l.endsWith(': templates reinstalled'))).toBe(true);
    const tpl = await fetch(`${PRIVATE}/_index_template/logs-tracee`);
    expect(tpl.status).toBe(200);
  }, 600_000);
});

// ---- (b) and (c): the shared node, names unique to this test
async function ids(index: string): Promise<string[]> {
  await esRequest('POST', `/${index}/_refresh`);
  const { body } = await esRequest<{ hits: { hits: Array<{ _id: string }> } }>('POST', `/${index}/_search`, { body: { size: 10_000, _source: false, query: { match_all: {} } } });
  return body.hits.hits.map((h) => h._id);
}

describe('(b) two events differing only in their data', () => {
  it('get two ids and become two documents', async () => {
    const ns = uniqueNamespace('pair');
    // the same packet time, thread, process and name; another destination and another DNS question
    const twin = DNS_EVENT.replace('"dst","type":"const char*","value":"127.0.0.53"', '"dst","type":"const char*","value":"10.0.0.53"')
      .replace('"questions":[{"name":"www.uol.com.br"', '"questions":[{"name":"example.org"');
    expect(twin).not.toBe(DNS_EVENT);
    expect(twin.replace(/"value":"10\.0\.0\.53"|"name":"example\.org"/g, '')).toBe(DNS_EVENT.replace(/"value":"127\.0\.0\.53"|"name":"www\.uol\.com\.br"/g, ''));
    const config = {
      version: 1, node: { name: 'n' }, sources: [{ type: 'stdin' }],
      exporters: [{ type: 'elasticsearch', name: 'es', endpoints: esUrl(), dataStream: { namespace: ns }, delivery: { flushIntervalMs: 50 } }],
    } as RunConfig;
    const summary = await (await preparePipeline(config, { stdin: Readable.from([`${DNS_EVENT}\n${twin}\n`]), log: () => {} }, { shutdownTimeoutMs: 60_000 })).run();
    expect(summary.exporters[0].ledger).toEqual({ entered: 2, delivered: 2, duplicates: 0, deadLettered: {}, dropped: 0, buffered: 0, unsettled: 0, filtered: 0 });
    const stored = await ids(`logs-tracee.events-${ns}`);
    expect(stored.length).toBe(2);
    expect(new Set(stored).size).toBe(2);
  }, 120_000);
});

describe('(c) shutdown while Elasticsearch is unreachable, then replay', () => {
  it('every event stored once; a second replay finds only duplicates; the summaries add up', async () => {
    const target = new URL(esUrl());
    const proxy = await createFakeOutageProxy({ host: target.hostname, port: Number(target.port || 9200) }, { up: false });
    try {
      const dir = tmp('replay-es-');
      const dl = path.join(dir, 'dl.ndjson');
      const ns = uniqueNamespace('replay');
      const ds = `logs-tracee.events-${ns}`;
      const N = 150;
      const config = {
        version: 1, node: { name: 'n' }, dead_letter: { path: dl }, sources: [{ type: 'stdin' }],
        exporters: [{ type: 'elasticsearch', name: 'es', endpoints: proxy.url, dataStream: { namespace: ns },
          delivery: { maxBatchItems: 50, flushIntervalMs: 50, initialBackoffMs: 100, maxBackoffMs: 300 } }],
      } as RunConfig;
      const run = await (await preparePipeline(config, { stdin: Readable.from([events(0, N).join('\n') + '\n']), log: () => {} }, { shutdownTimeoutMs: 1500 })).run();
      const l = run.exporters[0].ledger;
      expect(l).toEqual({ entered: N, delivered: 0, duplicates: 0, deadLettered: { shutdown_deadline: N }, dropped: 0, buffered: 0, unsettled: 0, filtered: 0 });
      expect(ledgerGap(l)).toBe(0);
      expect(dlLines(dl)).toBe(N);

      proxy.up();
      const out1 = path.join(dir, 'replay1.ndjson');
      const s1 = await runReplay({ files: [dl], config, out: out1, shutdownTimeoutMs: 60_000, log: () => {} });
      expect(s1.targets).toEqual([{ exporter: 'es', replayed: N, delivered: N, duplicates: 0, filtered: 0, stillFailing: 0 }]);
      expect(s1.stillFailing).toBe(0);
      const stored = await ids(ds);
      expect(stored.length).toBe(N);
      expect(new Set(stored).size).toBe(N);

      // idempotent: the same _id → 409 → duplicate; nothing stored twice
      const out2 = path.join(dir, 'replay2.ndjson');
      const s2 = await runReplay({ files: [dl], config, out: out2, shutdownTimeoutMs: 60_000, log: () => {} });
      expect(s2.targets).toEqual([{ exporter: 'es', replayed: N, delivered: 0, duplicates: N, filtered: 0, stillFailing: 0 }]);
      expect(await countDocs(ds)).toBe(N);
      expect(dlLines(out1) + dlLines(out2)).toBe(0);
    } finally {
      await proxy.close();
    }
  }, 180_000);
});
