// Options of the OpenSearch exporter and the template set adapted to OpenSearch.

import { describe, expect, it } from 'vitest';
import {
  OpenSearchConfigError,
  openSearchTemplates,
  resolveOpenSearchOptions,
} from '../../../../src/exporters/opensearch/index.ts';
import { driftCheck, loadTemplateSet } from '../../../../src/exporters/bulk-common/index.ts';
import { dataStreamTarget } from '../../../../src/exporters/elasticsearch/data-stream.ts';

const fail = (o: Record<string, unknown>) => {
  try {
    resolveOpenSearchOptions(o as never);
  } catch (e) {
    return e as OpenSearchConfigError;
  }
  throw new Error('no error');
};

describe('resolveOpenSearchOptions', () => {
  it('defaults: name opensearch, the tracee data streams, templates installed', () => {
    const r = resolveOpenSearchOptions({ endpoints: 'http://127.0.0.1:9201' });
    expect(r.name).toBe('opensearch');
    expect(r.endpoints).toEqual(['http://127.0.0.1:9201']);
    expect(r.targets.event.name).toBe('logs-tracee.events-default');
    expect(r.targets.alert.name).toBe('logs-tracee.alerts-default');
    expect(r.templates).toBe('install');
    expect(r.maxBulkBytes).toBe(5_000_000);
  });

  it('basic auth and TLS options are kept', () => {
    const r = resolveOpenSearchOptions({
      endpoints: ['https://a:9200', 'https://b:9200'],
      auth: { username: 'u', password: 'p' },
      tls: { insecureSkipVerify: true },
    });
    expect(r.auth).toEqual({ username: 'u', password: 'p' });
    expect(r.tls.insecureSkipVerify).toBe(true);
  });

  it.each([
    [{}, 'exporters.opensearch.endpoints', 'at least one URL'],
    [{ endpoints: 'ftp://x' }, 'exporters.opensearch.endpoints[0]', 'http(s) URL'],
    [{ endpoints: 'http://x', cloudId: 'a:b' }, 'exporters.opensearch.cloudId', 'not an opensearch option'],
    [{ endpoints: 'http://x', serverMajor: 8 }, 'exporters.opensearch.serverMajor', 'not an opensearch option'],
    [{ endpoints: 'http://x', auth: { apiKey: 'k' } }, 'exporters.opensearch.auth', 'username + password'],
    [{ endpoints: 'https://x', tls: { caFingerprint: 'AA' } }, 'exporters.opensearch.tls.caFingerprint', 'ca_file'],
    [
      { endpoints: 'http://x', dataStream: { namespace: 'Bad-NS' } },
      'exporters.opensearch.dataStream.namespace',
      'lower case',
    ],
    [{ endpoints: 'http://x', maxBulkBytes: 10 }, 'exporters.opensearch.maxBulkBytes', '>= 1024'],
  ])('refuses %j at %s', (o, path, text) => {
    const e = fail(o);
    expect(e).toBeInstanceOf(OpenSearchConfigError);
    expect(e.path).toBe(path);
    expect(e.message).toContain(text);
    expect(e.message.startsWith(`${path}: `)).toBe(true);
  });
});

describe('openSearchTemplates', () => {
  const targets = {
    event: dataStreamTarget('tracee.events', 'default'),
    alert: dataStreamTarget('tracee.alerts', 'default'),
  };
  const es = loadTemplateSet(targets);
  const os = openSearchTemplates(es);
  const text = JSON.stringify(os);

  it('no ignore_missing_component_templates and no tracee@custom in composed_of (OpenSearch refuses both)', () => {
    expect(os.indexTemplate.body.ignore_missing_component_templates).toBeUndefined();
    expect(os.indexTemplate.body.composed_of).toEqual(['tracee-ecs@mappings', 'tracee@mappings', 'tracee@settings']);
    expect(es.indexTemplate.body.composed_of).toContain('tracee@custom'); // the Elasticsearch set is unchanged
  });

  it('flattened → flat_object without ignore_above; constant_keyword without value → keyword; date_nanos kept', () => {
    expect(text).not.toContain('"flattened"');
    expect(text).not.toContain('"constant_keyword"');
    expect(text).toContain('"flat_object"');
    const tracee = os.components.find((c) => c.name === 'tracee@mappings')!.body as any;
    expect(tracee.template.mappings.properties.tracee.properties.data).toEqual({ type: 'flat_object' });
    expect((os.indexTemplate.body as any).template.mappings.properties['@timestamp'].type).toBe('date_nanos');
    const ecs = os.components.find((c) => c.name === 'tracee-ecs@mappings')!.body as any;
    expect(ecs.template.mappings.properties.data_stream.properties.namespace.type).toBe('keyword');
  });

  it('the same component names and field count as the Elasticsearch set (only types change)', () => {
    expect(os.components.map((c) => c.name)).toEqual(es.components.map((c) => c.name));
    const count = (s: string) => (s.match(/"type":/g) ?? []).length;
    expect(count(text)).toBe(count(JSON.stringify(es)));
  });
});

describe('template drift on OpenSearch is judged against the adapted templates', () => {
  const targets = {
    event: dataStreamTarget('tracee.events', 'default'),
    alert: dataStreamTarget('tracee.alerts', 'default'),
  };
  it('flat_object and keyword data_stream.* are ours there; another type is drift', () => {
    const os = driftCheck(targets, openSearchTemplates);
    expect(os('tracee.data', 'flat_object')).toBeUndefined();
    expect(os('data_stream.dataset', 'keyword')).toBeUndefined();
    expect(os('process.name', 'long')).toMatch(/^field process\.name is mapped as long in the index/);
    // the Elasticsearch view would call flat_object drift
    expect(driftCheck(targets)('tracee.data', 'flat_object')).toMatch(/maps it as flattened/);
  });
});
