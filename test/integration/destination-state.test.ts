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
// (scripts/services/elasticsearch.sh, ES_HTTP_PORT=9211, its own run dir), and rebuilds it (stop, start: every start begins
// with an empty data dir) mid-run. The shared node is never touched by (a).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src/config/run-config.ts';
import { preparePipeline, ledgerGap } from '../../src/pipeline/pipeline.ts';
import { runReplay } from '../../src/cli/replay-command.ts';
import { DNS_EVENT, dnsEvents as events, describeRebuiltCluster } from '../helpers/bulk-destination.ts';
import { elasticsearchTarget } from '../helpers/bulk-targets.ts';
import { countDocs, esRequest, esUrl, uniqueNamespace } from '../helpers/elasticsearch.ts';
import { createFakeOutageProxy } from '../helpers/fake-outage-proxy.ts';

function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const dlLines = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0);

// ---- (a) a private node that can be rebuilt (the scenario shared with OpenSearch: test/helpers/bulk-destination.ts)
describeRebuiltCluster(elasticsearchTarget, 9211, async (logs) => {
  // what Elasticsearch answered (require_data_stream), said in the episode's one line
  expect(logs.some((l) => /no matching index template/.test(l))).toBe(true);
});

// ---- (b) and (c): the shared node, names unique to this test
async function ids(index: string): Promise<string[]> {
  await esRequest('POST', `/${index}/_refresh`);
  const { body } = await esRequest<{ hits: { hits: Array<{ _id: string }> } }>('POST', `/${index}/_search`, {
    body: { size: 10_000, _source: false, query: { match_all: {} } },
  });
  return body.hits.hits.map((h) => h._id);
}

describe('(b) two events differing only in their data', () => {
  it('get two ids and become two documents', async () => {
    const ns = uniqueNamespace('pair');
    // the same packet time, thread, process and name; another destination and another DNS question
    const twin = DNS_EVENT.replace(
      '"dst","type":"const char*","value":"127.0.0.53"',
      '"dst","type":"const char*","value":"10.0.0.53"',
    ).replace('"questions":[{"name":"www.uol.com.br"', '"questions":[{"name":"example.org"');
    expect(twin).not.toBe(DNS_EVENT);
    expect(twin.replace(/"value":"10\.0\.0\.53"|"name":"example\.org"/g, '')).toBe(
      DNS_EVENT.replace(/"value":"127\.0\.0\.53"|"name":"www\.uol\.com\.br"/g, ''),
    );
    const config = {
      version: 1,
      node: { name: 'n' },
      sources: [{ type: 'stdin' }],
      exporters: [
        {
          type: 'elasticsearch',
          name: 'es',
          endpoints: esUrl(),
          data_stream: { namespace: ns },
          delivery: { flush_interval_ms: 50 },
        },
      ],
    } as RunConfig;
    const summary = await (
      await preparePipeline(
        config,
        { stdin: Readable.from([`${DNS_EVENT}\n${twin}\n`]), log: () => {} },
        { shutdownTimeoutMs: 60_000 },
      )
    ).run();
    expect(summary.exporters[0].ledger).toEqual({
      entered: 2,
      delivered: 2,
      duplicates: 0,
      deadLettered: {},
      dropped: 0,
      buffered: 0,
      unsettled: 0,
      filtered: 0,
    });
    const stored = await ids(`logs-tracee.events-${ns}`);
    expect(stored.length).toBe(2);
    expect(new Set(stored).size).toBe(2);
  }, 120_000);
});

describe('(c) shutdown while Elasticsearch is unreachable, then replay', () => {
  it('every event stored once; a second replay finds only duplicates; the summaries add up', async () => {
    const target = new URL(esUrl());
    const proxy = await createFakeOutageProxy(
      { host: target.hostname, port: Number(target.port || 9200) },
      { up: false },
    );
    try {
      const dir = tmp('replay-es-');
      const dl = path.join(dir, 'dl.ndjson');
      const ns = uniqueNamespace('replay');
      const ds = `logs-tracee.events-${ns}`;
      const N = 150;
      const config = {
        version: 1,
        node: { name: 'n' },
        dead_letter: { path: dl },
        sources: [{ type: 'stdin' }],
        exporters: [
          {
            type: 'elasticsearch',
            name: 'es',
            endpoints: proxy.url,
            data_stream: { namespace: ns },
            delivery: { max_batch_items: 50, flush_interval_ms: 50, initial_backoff_ms: 100, max_backoff_ms: 300 },
          },
        ],
      } as RunConfig;
      const run = await (
        await preparePipeline(
          config,
          { stdin: Readable.from([events(0, N).join('\n') + '\n']), log: () => {} },
          { shutdownTimeoutMs: 1500 },
        )
      ).run();
      const l = run.exporters[0].ledger;
      expect(l).toEqual({
        entered: N,
        delivered: 0,
        duplicates: 0,
        deadLettered: { shutdown_deadline: N },
        dropped: 0,
        buffered: 0,
        unsettled: 0,
        filtered: 0,
      });
      expect(ledgerGap(l)).toBe(0);
      expect(dlLines(dl)).toBe(N);

      proxy.up();
      const out1 = path.join(dir, 'replay1.ndjson');
      const s1 = await runReplay({ files: [dl], config, out: out1, shutdownTimeoutMs: 60_000, log: () => {} });
      expect(s1.targets).toEqual([
        { exporter: 'es', replayed: N, delivered: N, duplicates: 0, filtered: 0, stillFailing: 0 },
      ]);
      expect(s1.stillFailing).toBe(0);
      const stored = await ids(ds);
      expect(stored.length).toBe(N);
      expect(new Set(stored).size).toBe(N);

      // idempotent: the same _id → 409 → duplicate; nothing stored twice
      const out2 = path.join(dir, 'replay2.ndjson');
      const s2 = await runReplay({ files: [dl], config, out: out2, shutdownTimeoutMs: 60_000, log: () => {} });
      expect(s2.targets).toEqual([
        { exporter: 'es', replayed: N, delivered: 0, duplicates: N, filtered: 0, stillFailing: 0 },
      ]);
      expect(await countDocs(ds)).toBe(N);
      expect(dlLines(out1) + dlLines(out2)).toBe(0);
    } finally {
      await proxy.close();
    }
  }, 180_000);
});
