// Every real Tracee sample (all shared fixtures and streams, plus the structured ones) through the
// whole pipeline (decode → map → delivery → exporter) into the REAL OpenTelemetry Collector and the
// REAL Elasticsearch started by `npm run services:start`, read back and checked against the mapper.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { preparePipeline } from '../../src/pipeline/pipeline.ts';
import type { RunConfig } from '../../src/config/run-config.ts';
import { decodeText } from '../../src/normalize/decode.ts';
import { compileMapper } from '../../src/mapping/compile.ts';
import { loadMappingTables } from '../../src/mapping/load.ts';
import {
  COLLECTOR_OTLP_HTTP_URL,
  anyValueToJs,
  assertCollectorRunning,
  attributeMap,
  recordsWithResourceAttribute,
  uniqueTestId,
  waitForCollectorOutput,
} from '../helpers/collector.ts';
import {
  countDocs,
  esRequest,
  esUrl,
  getMapping,
  refresh,
  searchAll,
  uniqueNamespace,
} from '../helpers/elasticsearch.ts';
import { sharedSamples, structuredSamples, ROOT } from '../helpers/samples.ts';

const NODE = { name: 'it-node', cluster_name: 'it-cluster' };
// one event per line (NDJSON): the pretty-printed finding golden is the one multi-line sample; it is
// covered by the map CLI tests
const lines = [...sharedSamples(Infinity), ...structuredSamples()]
  .flatMap((s) => s.records.map((r) => r.trim()))
  .filter((r) => !r.includes('\n'));
const ecsRef = JSON.parse(fs.readFileSync(path.join(ROOT, 'mappings/reference/ecs-9.4.0-types.json'), 'utf8'))
  .fields as Record<string, { type: string }>;
const mapper = compileMapper(loadMappingTables(), { node: NODE });
const expected = lines.map((l) => {
  const r = decodeText(l);
  if (!r.ok) throw new Error(r.reason);
  return r.event;
});

async function runPipeline(config: RunConfig, input: string[]) {
  const log: string[] = [];
  const p = await preparePipeline(
    config,
    { stdin: Readable.from([input.join('\n') + '\n']), log: (l) => log.push(l) },
    { shutdownTimeoutMs: 60_000 },
  );
  const summary = await p.run();
  return { summary, log };
}

describe('samples → pipeline → real OpenTelemetry Collector', () => {
  it('every sample arrives once, with the mapped attributes, exact ns timestamps and one ResourceLogs per workload per request', async () => {
    await assertCollectorRunning();
    const runId = uniqueTestId('samples');
    const { summary } = await runPipeline(
      {
        version: 1,
        node: NODE,
        exporters: [
          {
            type: 'otlp_http',
            endpoint: COLLECTOR_OTLP_HTTP_URL,
            resource_attributes: { 'test.run.id': runId },
            delivery: { max_batch_items: 100, flush_interval_ms: 100 },
          },
        ],
      },
      lines,
    );
    expect(summary).toMatchObject({ received: lines.length, mapped: lines.length, rejected: 0 });
    expect(summary.exporters[0].stats).toMatchObject({ delivered: lines.length, deadLettered: 0, droppedTotal: 0 });

    const got = await waitForCollectorOutput((ls) => recordsWithResourceAttribute('test.run.id', runId, ls), {
      count: lines.length,
      timeoutMs: 30_000,
    });
    expect(got.length).toBe(lines.length);
    const byUid = new Map(got.map((r) => [anyValueToJs(attributeMap(r.record.attributes)['log.record.uid']), r]));
    for (const ev of expected) {
      const want = mapper.toOtel(ev);
      const uid = want.attributes['log.record.uid'] as string;
      const r = byUid.get(uid)!;
      expect(r, `event ${ev.name} ${uid}`).toBeDefined();
      expect(r.record.timeUnixNano).toBe(ev.timestamp.toString());
      expect(r.record.eventName).toBe(want.eventName);
      expect(r.record.severityNumber).toBe(want.severityNumber);
      const attrs = Object.fromEntries(
        Object.entries(attributeMap(r.record.attributes)).map(([k, v]) => [k, anyValueToJs(v)]),
      );
      for (const k of [
        'process.pid',
        'process.vpid',
        'thread.name',
        'source.address',
        'dns.question.name',
        'security_rule.uuid',
      ]) {
        if (want.attributes[k] !== undefined)
          expect(String(attrs[k]), `${ev.name} ${k}`).toBe(String(want.attributes[k]));
      }
      const res = Object.fromEntries(
        Object.entries(attributeMap(r.resourceLogs.resource.attributes)).map(([k, v]) => [k, anyValueToJs(v)]),
      );
      for (const [k, v] of Object.entries(want.resource.attributes))
        expect(res[k], `resource ${k}`).toEqual(Array.isArray(v) ? v : v);
      expect(res['host.name']).toBe('it-node');
    }
    // grouping: within each request, one ResourceLogs per distinct workload (container / pod)
    for (const line of new Set(got.map((r) => r.line))) {
      const keys = line.resourceLogs.map((rl: { resource: { attributes: Array<{ key: string; value: unknown }> } }) =>
        JSON.stringify(attributeMap(rl.resource.attributes)),
      );
      expect(new Set(keys).size).toBe(keys.length);
    }
  });
});

describe('samples → pipeline → real Elasticsearch', () => {
  it('events and alerts in their data streams with ECS types; replay adds nothing; a refused document is dead-lettered with its reason', async () => {
    const ns = uniqueNamespace('samples');
    const dl = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-dl-')), 'dead-letter.ndjson');
    const config: RunConfig = {
      version: 1,
      node: NODE,
      dead_letter: { path: dl },
      exporters: [
        {
          type: 'elasticsearch',
          endpoints: esUrl(),
          data_stream: { namespace: ns },
          delivery: { max_batch_items: 200, flush_interval_ms: 100 },
        },
      ],
    };
    const first = await runPipeline(config, lines);
    expect(first.summary).toMatchObject({ received: lines.length, mapped: lines.length, rejected: 0 });
    const docs = expected.map((e) => mapper.toEcs(e));
    const alerts = docs.filter((d) => d.kind === 'alert');
    const uniqueIds = new Set(docs.map((d) => d.id));
    const st = first.summary.exporters[0].stats;
    expect(st.delivered + st.duplicates).toBe(lines.length);
    expect(st.delivered).toBe(uniqueIds.size); // the same real event appears in more than one fixture
    expect(st.deadLettered).toBe(0);

    const events = `logs-tracee.events-${ns}`;
    const alertStream = `logs-tracee.alerts-${ns}`;
    await refresh(`${events},${alertStream}`);
    const resolved = (
      await esRequest<{ data_streams: Array<{ name: string }> }>('GET', `/_resolve/index/logs-tracee.*-${ns}`)
    ).body;
    expect(resolved.data_streams.map((d) => d.name).sort()).toEqual([alertStream, events].sort());
    const alertDocs = await searchAll<Record<string, any>>(alertStream);
    expect(alertDocs.length).toBe(new Set(alerts.map((a) => a.id)).size);
    for (const d of alertDocs) expect(d.event.kind).toBe('alert');
    expect(await countDocs(events)).toBe(uniqueIds.size - alertDocs.length);

    // every ECS field in the index has its ECS type (or the documented core-type fallback)
    const FALLBACK: Record<string, string[]> = {
      wildcard: ['keyword'],
      match_only_text: ['text'],
      constant_keyword: ['keyword'],
      date: ['date_nanos'],
    }; // @timestamp keeps Tracee's ns
    const props = (await getMapping(events)).properties;
    const flat: Array<[string, string]> = [];
    const walk = (o: Record<string, any>, p: string) => {
      for (const [k, v] of Object.entries(o)) {
        const n = p ? `${p}.${k}` : k;
        if (v.type) flat.push([n, v.type]);
        if (v.properties && n !== 'tracee') walk(v.properties, n);
      }
    };
    walk(props, '');
    let checked = 0;
    for (const [name, type] of flat) {
      const ref = ecsRef[name];
      if (!ref || name.startsWith('tracee.')) continue;
      checked++;
      expect([ref.type, ...(FALLBACK[ref.type] ?? [])], name).toContain(type);
    }
    expect(checked).toBeGreaterThan(80);
    const sample = (await searchAll<Record<string, any>>(events)).find(
      (d) => d.event.action === 'net_packet_dns' && d.dns?.question?.name,
    );
    expect(sample?.['@timestamp']).toMatch(/\.\d{9}Z$/);

    // replay: every event is already there → 409 → counted as duplicate, no new documents
    const again = await runPipeline(config, lines);
    expect(again.summary.exporters[0].stats).toMatchObject({ delivered: 0, duplicates: lines.length, deadLettered: 0 });
    await refresh(`${events},${alertStream}`);
    expect((await countDocs(events)) + (await countDocs(alertStream))).toBe(uniqueIds.size);

    // a document Elasticsearch refuses: a stream whose template maps process.name as long
    const badNs = uniqueNamespace('refused');
    await esRequest('PUT', `/_index_template/test-refuse-${badNs}`, {
      body: {
        index_patterns: [`logs-tracee.events-${badNs}`],
        priority: 900,
        data_stream: {},
        template: {
          settings: { number_of_replicas: 0 },
          mappings: {
            properties: { '@timestamp': { type: 'date_nanos' }, process: { properties: { name: { type: 'long' } } } },
          },
        },
      },
    });
    const one = lines.find((l) => l.includes('"processName":"dnsperf"'))!;
    const refused = await runPipeline(
      {
        ...config,
        exporters: [{ ...config.exporters[0], data_stream: { namespace: badNs } } as RunConfig['exporters'][number]],
      },
      [one],
    );
    expect(refused.summary.exporters[0].stats).toMatchObject({ delivered: 0, deadLettered: 1 });
    const entry = JSON.parse(fs.readFileSync(dl, 'utf8').trim().split('\n').at(-1)!);
    expect(entry).toMatchObject({ exporter: 'elasticsearch', origin: { source: 'stdin', line: 1 } });
    expect(entry.reason).toMatch(/document_parsing_exception|mapper_parsing_exception/);
    expect(entry.input).toBe(one);
    expect(entry.record.doc.process.name).toBe('dnsperf');
  });
});
