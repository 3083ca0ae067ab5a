// The OpenSearch exporter against the REAL OpenSearch node (scripts/services/opensearch.sh, the integ-test zip):
// templates installed (adapted to OpenSearch), events and alerts in their data streams with ECS types and
// nanosecond @timestamp, `_id` dedupe on replay (409 → duplicate), a refused document, and an outage (a FAKE
// outage proxy in front of the real node) during a full pipeline run with nothing lost.
// Fails (never skips) when the node is not running.

import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src/config/run-config.ts';
import { createOpenSearchExporter, type OpenSearchExporter } from '../../src/exporters/opensearch/index.ts';
import { loadEcsFlat } from '../../src/exporters/elasticsearch/ecs-flat.ts';
import type { ExportItem, ItemOutcome, SendOutcome } from '../../src/model/exporter.ts';
import type { EcsRecord } from '../../src/model/records.ts';
import { preparePipeline, ledgerGap } from '../../src/pipeline/pipeline.ts';
import { uniqueNamespace } from '../helpers/elasticsearch.ts';
import { createFakeOutageProxy } from '../helpers/fake-outage-proxy.ts';
import { osCount, osDeleteDataStreams, osIds, osMapping, osRequest, osUrl } from '../helpers/opensearch.ts';
import { ROOT } from '../helpers/samples.ts';

const ecsFlat = loadEcsFlat();
const ns = uniqueNamespace('osexp');
const eventsStream = `logs-tracee.events-${ns}`;
const alertsStream = `logs-tracee.alerts-${ns}`;
const logs: string[] = [];
const logger = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };
let ex: OpenSearchExporter;

function event(i: number): EcsRecord {
  return {
    id: `exec-${ns}-${i}`,
    kind: 'event',
    doc: {
      '@timestamp': `2026-11-28T10:00:0${i}.123456789Z`,
      message: 'sched_process_exec: /usr/bin/curl',
      ecs: { version: '9.4.0' },
      event: { kind: 'event', category: ['process'], type: ['start'], action: 'sched_process_exec', code: '715', module: 'tracee', sequence: i, severity: 0 },
      host: { name: 'node-1', id: 'f00dfeed', architecture: 'x86_64' },
      process: { pid: 4242, name: 'curl', executable: '/usr/bin/curl', args: ['curl', '-s'], command_line: 'curl -s http://example.com', start: '2026-11-28T09:59:59.999Z', parent: { pid: 4000 } },
      container: { id: 'c0ffee', name: 'web' },
      source: { ip: '10.0.0.5', port: 43210 },
      url: { full: 'http://example.com/', original: 'http://example.com/' },
      tracee: { event_id: 715, data: { pathname: '/usr/bin/curl', flags: 0 }, not_in_template: { deep: 'x' } },
    },
  };
}

const alert: EcsRecord = {
  id: `alert-${ns}-1`,
  kind: 'alert',
  doc: {
    '@timestamp': '2026-11-28T10:00:05.000000007Z',
    message: 'Anti-Debugging detected',
    event: { kind: 'alert', category: ['intrusion_detection'], type: ['info'], action: 'anti_debugging', severity: 47, risk_score: 47 },
    rule: { id: 'TRC-102', name: 'Anti-Debugging detected' },
    threat: { framework: 'MITRE ATT&CK', technique: { id: ['T1622'], name: ['Debugger Evasion'] } },
    process: { pid: 99, name: 'strace' },
    tracee: { detected_from: { id: 1, name: 'ptrace', data: { request: 'PTRACE_TRACEME' } } },
  },
};

const items = (recs: EcsRecord[]): ExportItem<EcsRecord>[] => recs.map((record, i) => ({ record, origin: { source: 'integration', line: i + 1 } }));

function statuses(o: SendOutcome, n: number): ItemOutcome['status'][] {
  if (o.status === 'ok') return Array(n).fill('ok');
  if (o.status === 'partial') return o.items.map((x) => x.status);
  throw new Error(`unexpected outcome ${JSON.stringify(o)}`);
}

function leafNames(doc: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(doc)) {
    const name = prefix ? `${prefix}.${k}` : k;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== null && typeof first === 'object') out.push(...leafNames(first as Record<string, unknown>, name));
    else if (first !== undefined) out.push(name);
  }
  return out;
}

function mappedType(mapping: any, name: string): string | undefined {
  let node = mapping;
  for (const p of name === '@timestamp' ? [name] : name.split('.')) node = node?.properties?.[p];
  return node?.type;
}

beforeAll(async () => {
  const { body } = await osRequest('GET', '/');
  expect(body.version.distribution).toBe('opensearch');
  ex = createOpenSearchExporter({ endpoints: osUrl(), dataStream: { namespace: ns }, logger });
  await ex.start();
});
afterAll(async () => {
  await ex?.shutdown();
  await osDeleteDataStreams([eventsStream, alertsStream]);
});

describe('OpenSearch exporter → real OpenSearch', () => {
  const events = [event(1), event(2), event(3)];

  it('installs the templates adapted to OpenSearch (flat_object, no tracee@custom hook), no type downgraded', async () => {
    const { body } = await osRequest('GET', '/_index_template/logs-tracee');
    const t = body.index_templates[0].index_template;
    expect(t.index_patterns).toEqual(['logs-tracee.*-*']);
    expect(t.data_stream).toBeDefined();
    expect(t.composed_of).toEqual(['tracee-ecs@mappings', 'tracee@mappings', 'tracee@settings']);
    for (const c of ['tracee-ecs@mappings', 'tracee@mappings', 'tracee@settings']) {
      expect((await osRequest('GET', `/_component_template/${encodeURIComponent(c)}`)).status).toBe(200);
    }
    expect(ex.downgradedTypes).toEqual([]);
  });

  it('sends events and alerts into their data streams: every item ok', async () => {
    expect(await ex.send(items([...events, alert]))).toEqual({ status: 'ok' });
    const { body } = await osRequest('GET', `/_data_stream/logs-tracee.*-${ns}`);
    expect(body.data_streams.map((d: { name: string }) => d.name).sort()).toEqual([alertsStream, eventsStream]);
    for (const d of body.data_streams) expect(d.timestamp_field.name).toBe('@timestamp');
    expect(await osCount(eventsStream)).toBe(3);
    expect(await osCount(alertsStream)).toBe(1);
  });

  it('maps every field sent with its ECS type, @timestamp as date_nanos, tracee.data as flat_object', async () => {
    for (const [stream, rec] of [[eventsStream, events[0]], [alertsStream, alert]] as const) {
      const mapping = await osMapping(stream);
      const wrong: string[] = [];
      for (const name of leafNames(rec.doc)) {
        const got = mappedType(mapping, name);
        if (name === '@timestamp') { if (got !== 'date_nanos') wrong.push(`${name}: ${got}`); continue; }
        if (name.startsWith('tracee.')) continue;
        const want = ecsFlat[name]?.type;
        if (got !== want) wrong.push(`${name}: mapped ${got}, ECS ${want}`);
      }
      expect(wrong, stream).toEqual([]);
    }
    const m = await osMapping(eventsStream);
    expect(mappedType(m, 'tracee.data')).toBe('flat_object');
    expect(mappedType(m, 'tracee.event_id')).toBe('long');
    expect(m.properties.tracee.properties.not_in_template).toBeUndefined();
  });

  it('keeps the nanoseconds of @timestamp and the deterministic _id; alerts carry their dataset', async () => {
    const { body } = await osRequest('POST', `/${eventsStream}/_search`, { query: { ids: { values: [events[0].id] } } });
    expect(body.hits.hits[0]._id).toBe(events[0].id);
    expect(body.hits.hits[0]._source['@timestamp']).toBe('2026-11-28T10:00:01.123456789Z');
    const a = await osRequest('POST', `/${alertsStream}/_search`, { query: { match_all: {} } });
    const src = a.body.hits.hits[0]._source;
    expect(a.body.hits.hits[0]._id).toBe(alert.id);
    expect(src.event.dataset).toBe('tracee.alerts');
    expect(src.data_stream).toEqual({ type: 'logs', dataset: 'tracee.alerts', namespace: ns });
  });

  it('replaying the same records adds no documents: every item is a duplicate (409)', async () => {
    const again = await ex.send(items([...events, alert]));
    expect(statuses(again, 4)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect(await osCount(eventsStream)).toBe(3);
    expect(await osCount(alertsStream)).toBe(1);
  });

  it("a document OpenSearch refuses comes back rejected with OpenSearch's reason; the others are stored", async () => {
    const bad: EcsRecord = { id: `bad-${ns}`, kind: 'event', doc: { '@timestamp': '2026-11-28T10:00:09Z', event: { kind: 'event' }, process: { pid: 'not-a-pid' } } };
    const out = await ex.send(items([event(4), bad, events[0]]));
    expect(out.status).toBe('partial');
    if (out.status !== 'partial') return;
    expect(out.items[0]).toEqual({ status: 'ok' });
    expect(out.items[1]).toMatchObject({ status: 'rejected', cause: 'permanent', reason: expect.stringMatching(/^400 mapper_parsing_exception: failed to parse field \[process\.pid\] of type \[long\]/) });
    expect(out.items[2]).toEqual({ status: 'duplicate' });
    expect(await osCount(eventsStream)).toBe(4);
  });

  it("templates: 'check' finds the installed templates in sync", async () => {
    const checker = createOpenSearchExporter({ endpoints: osUrl(), dataStream: { namespace: ns }, templates: 'check', logger });
    await checker.start();
    expect(checker.templateDiffs).toEqual([]);
    await checker.shutdown();
  });
});

/** A real net_packet_dns event (examples/events/tracee-samples.ndjson, line 1), in Tracee's classic JSON. */
const DNS_EVENT = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').split('\n')[0];
const TS = /"timestamp":(\d+)/.exec(DNS_EVENT)![1];
const dnsEvents = (from: number, n: number) => Array.from({ length: n }, (_, i) => DNS_EVENT.replace(`"timestamp":${TS}`, `"timestamp":${BigInt(TS) + BigInt(from + i)}`));

async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (await cond().catch(() => false)) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('OpenSearch unreachable in the middle of a run (FAKE outage proxy before the real node)', () => {
  const ns2 = uniqueNamespace('osout');
  const ds = `logs-tracee.events-${ns2}`;
  afterAll(async () => { await osDeleteDataStreams([ds]); });

  it('every event is delivered once after the outage, none dead-lettered or dropped; the ledger adds up', async () => {
    const target = new URL(osUrl());
    const proxy = await createFakeOutageProxy({ host: target.hostname, port: Number(target.port) }, { up: true });
    try {
      const config = {
        version: 1, node: { name: 'n' }, sources: [{ type: 'stdin' }],
        exporters: [{ type: 'opensearch', name: 'os', endpoints: proxy.url, dataStream: { namespace: ns2 },
          delivery: { maxBatchItems: 50, flushIntervalMs: 50, initialBackoffMs: 100, maxBackoffMs: 400 } }],
      } as unknown as RunConfig;
      const stdin = new PassThrough();
      const runLogs: string[] = [];
      const p = await preparePipeline(config, { stdin, log: (l) => runLogs.push(l) }, { shutdownTimeoutMs: 120_000 });
      const running = p.run();
      await p.ready();
      stdin.write(dnsEvents(0, 100).join('\n') + '\n');
      await until(async () => (await osCount(ds)) === 100, 60_000, 'the first 100 events');
      proxy.down();
      stdin.write(dnsEvents(1000, 100).join('\n') + '\n');
      await until(async () => proxy.counts.reset >= 2, 60_000, 'the exporter retrying against the outage');
      expect(await osCount(ds)).toBe(100);
      proxy.up();
      await until(async () => (await osCount(ds)) === 200, 120_000, 'the second 100 events after the outage');
      stdin.end();
      const summary = await running;
      const l = summary.exporters[0].ledger;
      expect(l.entered).toBe(200);
      expect(l.delivered + l.duplicates).toBe(200);
      expect(l.deadLettered).toEqual({});
      expect(l.dropped).toBe(0);
      expect(ledgerGap(l)).toBe(0);
      const ids = await osIds(ds);
      expect(ids.length).toBe(200);
      expect(new Set(ids).size).toBe(200);
    } finally {
      await proxy.close();
    }
  }, 240_000);
});
