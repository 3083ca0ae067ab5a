import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createElasticsearchExporter,
  type ElasticsearchExporterOptions,
} from '../../../../src/exporters/elasticsearch/index.ts';
import { resolveElasticsearchOptions } from '../../../../src/exporters/elasticsearch/config.ts';
import { loadTemplateSet } from '../../../../src/exporters/elasticsearch/templates.ts';
import { FakeElasticsearch, type FakeEsRequest, type FakeReply } from '../../../helpers/fake-elasticsearch.ts';

let es: FakeElasticsearch;
let url: string;
let logs: string[];
const logger = { info: (m: string) => logs.push(`INFO ${m}`), warn: (m: string) => logs.push(`WARN ${m}`) };
const targets = resolveElasticsearchOptions({ endpoints: 'http://x:9200' }).targets;

beforeEach(async () => {
  es = new FakeElasticsearch();
  url = await es.start();
  logs = [];
});
afterEach(async () => {
  await es.close();
});

const exporter = (o: Partial<ElasticsearchExporterOptions> = {}) =>
  createElasticsearchExporter({ endpoints: url, logger, ...o });
const puts = () => es.requests.filter((r) => r.method === 'PUT').map((r) => r.path);
const record = {
  record: { id: 'a', kind: 'event' as const, doc: { '@timestamp': '2026-01-01T00:00:00Z' } },
  origin: { source: 't' },
};

/** Like the integ-test distribution: no wildcard / match_only_text / constant_keyword. */
function minimalCluster(r: FakeEsRequest): FakeReply | undefined {
  if (r.method !== 'PUT') return undefined;
  if (r.body.includes('"wildcard"'))
    return {
      status: 400,
      body: {
        error: {
          type: 'mapper_parsing_exception',
          reason: 'Failed to parse mapping: No handler for type [wildcard] declared on field [command_line]',
        },
        status: 400,
      },
    };
  for (const t of ['match_only_text', 'constant_keyword']) {
    if (r.body.includes(`"${t}"`))
      return {
        status: 400,
        body: {
          error: {
            type: 'mapper_parsing_exception',
            reason: `Failed to parse mapping: The mapper type [${t}] declared on field [text] does not exist. It might have been created within a future version or requires a plugin to be installed.`,
          },
          status: 400,
        },
      };
  }
  return undefined;
}

describe('templates: install', () => {
  it('PUTs the three component templates, then the index template', async () => {
    const ex = exporter();
    await ex.start();
    expect(puts()).toEqual([
      '/_component_template/tracee-ecs%40mappings',
      '/_component_template/tracee%40mappings',
      '/_component_template/tracee%40settings',
      '/_index_template/logs-tracee',
    ]);
    const set = loadTemplateSet(targets);
    expect(JSON.parse(es.requests[0].body)).toEqual(set.components[0].body);
    expect(JSON.parse(es.requests[3].body)).toEqual(set.indexTemplate.body);
    expect(ex.downgradedTypes).toEqual([]);
    expect(logs).toEqual([]);
    await ex.shutdown();
  });

  it('falls back to core types on a minimal cluster, with ONE log line saying what was downgraded', async () => {
    es.handler = minimalCluster;
    const ex = exporter();
    await ex.start();
    expect(ex.downgradedTypes).toEqual(['constant_keyword', 'match_only_text', 'wildcard']);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(
      /no constant_keyword, match_only_text, wildcard field type.*constant_keyword→keyword, match_only_text→text, wildcard→keyword/,
    );
    const installed = es.requests.filter(
      (r) => r.method === 'PUT' && r.path.startsWith('/_component_template/tracee-ecs'),
    );
    const last = installed[installed.length - 1].body;
    expect(last).not.toMatch(/"(wildcard|match_only_text|constant_keyword)"/);
    expect(puts().at(-1)).toBe('/_index_template/logs-tracee');
    await ex.shutdown();
  });

  it('a permanent refusal (401) makes start() fail clearly, without the secret', async () => {
    es.handler = () => ({
      status: 401,
      body: {
        error: { type: 'security_exception', reason: 'missing authentication credentials for REST request' },
        status: 401,
      },
    });
    const ex = exporter({ auth: { apiKey: 'TOPSECRETKEY' } });
    await expect(ex.start()).rejects.toThrow(
      /cannot install component template tracee-ecs@mappings: HTTP 401: security_exception/,
    );
    await ex.start().catch((e) => expect(String(e)).not.toContain('TOPSECRETKEY'));
    await ex.shutdown();
  });

  it('a transient failure at start is logged and the install is retried before the first bulk', async () => {
    let down = true;
    es.handler = (r) =>
      down && r.method === 'PUT'
        ? { status: 503, body: { error: { type: 'master_not_discovered_exception', reason: 'no master' } } }
        : undefined;
    const ex = exporter();
    await ex.start();
    expect(logs.join('\n')).toMatch(
      /templates not installed yet .*HTTP 503.*will install before the first bulk request/,
    );
    expect(await ex.send([record])).toMatchObject({ status: 'retryable', reason: /templates not installed yet/ });
    expect(es.bulkRequests).toHaveLength(0);
    down = false;
    expect(await ex.send([record])).toEqual({ status: 'ok' });
    expect(puts().filter((p) => p === '/_index_template/logs-tracee')).toHaveLength(1);
    expect(es.requests.at(-1)!.path).toBe('/_bulk');
    await ex.shutdown();
  });

  it("'skip' touches no template", async () => {
    const ex = exporter({ templates: 'skip' });
    await ex.start();
    expect(es.requests).toHaveLength(0);
    await ex.shutdown();
  });
});

describe("templates: 'check'", () => {
  const serve =
    (mutate: (b: any) => void = () => {}) =>
    (r: FakeEsRequest): FakeReply | undefined => {
      if (r.method !== 'GET') return undefined;
      const set = loadTemplateSet(targets);
      const name = decodeURIComponent(r.path.split('/').pop()!);
      if (r.path.startsWith('/_component_template/')) {
        const c = structuredClone(set.components.find((x) => x.name === name)!.body);
        mutate(c);
        return { status: 200, body: { component_templates: [{ name, component_template: c }] } };
      }
      const it = structuredClone(set.indexTemplate.body) as any;
      it.data_stream = { hidden: false, allow_custom_routing: false }; // ES adds defaults
      return { status: 200, body: { index_templates: [{ name, index_template: it }] } };
    };

  it('in sync → no differences, nothing written', async () => {
    es.handler = serve();
    const ex = exporter({ templates: 'check' });
    await ex.start();
    expect(ex.templateDiffs).toEqual([]);
    expect(puts()).toEqual([]);
    await ex.shutdown();
  });

  it('reports what differs', async () => {
    es.handler = serve((b) => {
      const p = b.template?.mappings?.properties;
      if (p?.process) {
        p.process.properties.pid.type = 'keyword';
        p.extra = { type: 'keyword' };
      }
      if (b.template?.settings) b.template.settings.index.mapping.total_fields.limit = '1000';
    });
    const ex = exporter({ templates: 'check' });
    await ex.start();
    expect(ex.templateDiffs).toEqual(
      expect.arrayContaining([
        'component template tracee-ecs@mappings: template.mappings.properties.process.properties.pid.type: expected "long", found "keyword"',
        'component template tracee-ecs@mappings: template.mappings.properties.extra: not in our template',
        'component template tracee@settings: template.settings.index.mapping.total_fields.limit: expected 2000, found "1000"',
      ]),
    );
    expect(logs[0]).toMatch(/templates differ/);
    await ex.shutdown();
  });

  it('reports missing templates', async () => {
    const ex = exporter({ templates: 'check' });
    await ex.start();
    expect(ex.templateDiffs).toEqual([
      'component template tracee-ecs@mappings: missing',
      'component template tracee@mappings: missing',
      'component template tracee@settings: missing',
      'index template logs-tracee: missing',
    ]);
    await ex.shutdown();
  });
});
