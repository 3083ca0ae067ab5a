// The Elasticsearch exporter against the REAL Elasticsearch node (scripts/services/elasticsearch.sh): the
// scenarios shared with OpenSearch (test/helpers/bulk-destination.ts: data streams, ECS types, nanosecond
// @timestamp, `_id` dedupe, a refused document, templates: check, an outage through a FAKE proxy), plus what
// is Elasticsearch's own: REST compatibility, the core-type fallbacks of the integ-test distribution, the
// tracee@custom hook, flattened, and search-side checks. Fails (never skips) when the node is not running.

import { beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchExporter } from '../../src/exporters/elasticsearch/index.ts';
import { CORE_FALLBACK } from '../../src/exporters/elasticsearch/field-types.ts';
import {
  describeExporterScenarios,
  describeOutage,
  execEvent,
  items,
  mappedType,
} from '../helpers/bulk-destination.ts';
import { elasticsearchTarget } from '../helpers/bulk-targets.ts';
import { esRequest, esUrl, getMapping, refresh } from '../helpers/elasticsearch.ts';

let serverMajor: number;
beforeAll(async () => {
  const { body } = await esRequest('GET', '/_nodes/_local/version');
  const node = Object.values(body.nodes as Record<string, { version: string }>)[0];
  serverMajor = Number(node.version.split('.')[0]);
});

const f = describeExporterScenarios(elasticsearchTarget, 'esexp');

describe('Elasticsearch exporter → real Elasticsearch: what is its own', () => {
  it('REST compatibility: falls back to compatible-with=8 only on an 8.x server', () => {
    const fellBack = f.logs.some((l) => l.includes('using compatible-with=8'));
    expect(fellBack).toBe(serverMajor === 8);
  });

  it('installs the templates (core-type fallbacks on the integ-test distribution, said once), with the tracee@custom hook', async () => {
    const { body } = await esRequest('GET', '/_index_template/logs-tracee');
    const t = body.index_templates[0].index_template;
    expect(t.index_patterns).toEqual(['logs-tracee.*-*']);
    expect(t.priority).toBeGreaterThan(200);
    expect(t.composed_of).toEqual(['tracee-ecs@mappings', 'tracee@mappings', 'tracee@settings', 'tracee@custom']);
    expect(f.logs.filter((l) => l.includes('core-type fallbacks')).length).toBeLessThanOrEqual(1);
    for (const d of f.ex().downgradedTypes) expect(CORE_FALLBACK[d]).toBeDefined();
  });

  it('tracee.* is mapped deliberately: event data flattened and searchable by sub-field', async () => {
    const mapping = await getMapping(f.eventsStream);
    expect(mapping.properties.tracee.dynamic).toBe('false');
    expect(mappedType(mapping, 'tracee.data')).toBe('flattened');
    await refresh(f.eventsStream);
    const r = await esRequest('POST', `/${f.eventsStream}/_search`, {
      body: { query: { term: { 'tracee.data.pathname': '/usr/bin/curl' } } },
    });
    expect(r.body.hits.total.value).toBe(4); // the 3 events and the 4th of the refused-document scenario
  });

  it('event.ingested is searchable as a date (Kibana External Alerts looks back 2 minutes on it)', async () => {
    await refresh(f.alertsStream);
    const r = await esRequest('POST', `/${f.alertsStream}/_search`, {
      body: { query: { range: { 'event.ingested': { gte: new Date(Date.now() - 600_000).toISOString() } } } },
    });
    expect(r.body.hits.total.value).toBe(1);
  });

  it('the nanoseconds of @timestamp come back from a search with the nanos format', async () => {
    await refresh(f.eventsStream);
    const { body } = await esRequest('POST', `/${f.eventsStream}/_search`, {
      body: {
        query: { ids: { values: [f.events[0].id] } },
        fields: [{ field: '@timestamp', format: 'strict_date_optional_time_nanos' }],
      },
    });
    expect(body.hits.hits[0].fields['@timestamp']).toEqual(['2026-11-28T10:00:01.123456789Z']);
  });

  it('serverMajor 8 works against this server too (REST compatibility N-1)', async () => {
    const e8 = createElasticsearchExporter({
      endpoints: esUrl(),
      dataStream: { namespace: f.ns },
      templates: 'skip',
      serverMajor: 8,
      logger: { info() {}, warn() {} },
    });
    expect(await e8.send(items([execEvent(f.ns, 5)]))).toEqual({ status: 'ok' });
    await e8.shutdown();
  });
});

describeOutage(elasticsearchTarget, 'esout');
