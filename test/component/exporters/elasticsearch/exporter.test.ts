import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createElasticsearchExporter,
  type ElasticsearchExporterOptions,
} from '../../../../src/exporters/elasticsearch/index.ts';
import type { ExportItem } from '../../../../src/model/exporter.ts';
import type { EcsRecord } from '../../../../src/model/records.ts';
import { bulkReply, FakeElasticsearch, parseBulk } from '../../../helpers/fake-elasticsearch.ts';

let es: FakeElasticsearch;
let url: string;
let logs: string[];
const logger = { info: (m: string) => logs.push(`INFO ${m}`), warn: (m: string) => logs.push(`WARN ${m}`) };

beforeEach(async () => {
  es = new FakeElasticsearch();
  url = await es.start();
  logs = [];
});
afterEach(async () => {
  await es.close();
});

function item(
  i: number,
  kind: 'event' | 'alert' = 'event',
  extra: Record<string, unknown> = {},
): ExportItem<EcsRecord> {
  return {
    record: {
      id: `id-${i}`,
      kind,
      doc: { '@timestamp': '2026-11-28T10:00:00.000000001Z', event: { kind }, message: `m${i}`, ...extra },
    },
    origin: { source: 'test', line: i + 1 },
  };
}
const batch = (n: number) => Array.from({ length: n }, (_, i) => item(i));
function exporter(o: Partial<ElasticsearchExporterOptions> = {}) {
  return createElasticsearchExporter({ endpoints: url, templates: 'skip', logger, requestTimeoutMs: 2000, ...o });
}

describe('send', () => {
  it('one bulk request of create actions; all 201 → ok', async () => {
    const ex = exporter();
    expect(await ex.send([item(0), item(1, 'alert')])).toEqual({ status: 'ok' });
    expect(es.bulkRequests).toHaveLength(1);
    const r = es.bulkRequests[0];
    expect(r.query.get('require_data_stream')).toBe('true');
    expect(r.query.get('include_source_on_error')).toBe('false');
    expect(r.headers['content-type']).toBe('application/vnd.elasticsearch+x-ndjson; compatible-with=9');
    const lines = parseBulk(r.body);
    expect(lines.map((l) => l.action)).toEqual([
      { create: { _index: 'logs-tracee.events-default', _id: 'id-0' } },
      { create: { _index: 'logs-tracee.alerts-default', _id: 'id-1' } },
    ]);
    expect(lines[1].doc.data_stream).toEqual({ type: 'logs', dataset: 'tracee.alerts', namespace: 'default' });
    await ex.shutdown();
  });

  it('classifies each item: ok, duplicate, retryable 429/5xx, rejected 4xx with the ES reason', async () => {
    const answers = [
      { status: 201 },
      {
        status: 409,
        error: {
          type: 'version_conflict_engine_exception',
          reason: '[id-1]: version conflict, document already exists (current version [1])',
        },
      },
      {
        status: 429,
        error: { type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' },
      },
      { status: 503, error: { type: 'unavailable_shards_exception', reason: 'primary shard is not active' } },
      {
        status: 400,
        error: {
          type: 'document_parsing_exception',
          reason: "[1:80] failed to parse field [process.pid] of type [long] in document with id 'id-4'",
          caused_by: { type: 'illegal_argument_exception', reason: 'For input string: "abc"' },
        },
      },
      {
        status: 400,
        error: {
          type: 'mapper_parsing_exception',
          reason:
            'object mapping for [process.executable] tried to parse field [executable] as object, but found a concrete value',
        },
      },
    ];
    es.handler = (r) => (r.path === '/_bulk' ? bulkReply(r.body, (i) => answers[i]) : undefined);
    const ex = exporter();
    const out = await ex.send(batch(6));
    expect(out).toEqual({
      status: 'partial',
      items: [
        { status: 'ok' },
        { status: 'duplicate' },
        {
          status: 'retryable',
          reason: '429 es_rejected_execution_exception: rejected execution of coordinating operation',
        },
        { status: 'retryable', reason: '503 unavailable_shards_exception: primary shard is not active' },
        // our template maps process.pid as long too: a bad event
        {
          status: 'rejected',
          cause: 'permanent',
          reason:
            '400 document_parsing_exception: [1:80] failed to parse field [process.pid] of type [long] in document with id \'id-4\' (caused by illegal_argument_exception: For input string: "abc")',
        },
        // ours maps process.executable as keyword: the index was built from another template (drift, replayable)
        {
          status: 'rejected',
          cause: 'destination_state',
          reason: expect.stringMatching(
            /^template drift: field process\.executable is mapped as object in the index, but tracee-exporter's template tracee-ecs@mappings maps it as keyword .*\(400 mapper_parsing_exception: object mapping for \[process\.executable\]/,
          ),
        },
      ],
    });
    await ex.shutdown();
  });

  it('whole-request 429 → retryable with Retry-After', async () => {
    es.handler = () => ({
      status: 429,
      body: { error: { type: 'es_rejected_execution_exception', reason: 'too many requests' }, status: 429 },
      headers: { 'retry-after': '7' },
    });
    const ex = exporter();
    expect(await ex.send(batch(3))).toEqual({
      status: 'retryable',
      reason: 'HTTP 429 from Elasticsearch: es_rejected_execution_exception: too many requests',
      retryAfterMs: 7000,
    });
    await ex.shutdown();
  });

  it('whole-request 503 → retryable, sent once (no client retries)', async () => {
    es.handler = () => ({
      status: 503,
      body: {
        error: { type: 'cluster_block_exception', reason: 'blocked by: [SERVICE_UNAVAILABLE/1/state not recovered]' },
        status: 503,
      },
    });
    const ex = exporter();
    const out = await ex.send(batch(2));
    expect(out).toMatchObject({ status: 'retryable', reason: /HTTP 503 .*state not recovered/ });
    expect(es.bulkRequests).toHaveLength(1);
    await ex.shutdown();
  });

  it('connection reset → retryable', async () => {
    es.handler = () => 'reset';
    const ex = exporter();
    expect(await ex.send(batch(2))).toMatchObject({ status: 'retryable', reason: /cannot reach Elasticsearch/ });
    await ex.shutdown();
  });

  it('no answer within requestTimeoutMs → retryable', async () => {
    es.handler = () => 'hang';
    const ex = exporter({ requestTimeoutMs: 200 });
    expect(await ex.send(batch(1))).toMatchObject({ status: 'retryable', reason: /timed out/ });
    await ex.shutdown();
  });

  it('connection refused → retryable', async () => {
    const ex = createElasticsearchExporter({ endpoints: 'http://127.0.0.1:1', templates: 'skip', logger });
    expect(await ex.send(batch(1))).toMatchObject({ status: 'retryable', reason: /ECONNREFUSED/ });
    await ex.shutdown();
  });

  it('an aborted signal → retryable "request aborted"', async () => {
    es.handler = () => 'hang';
    const ex = exporter({ requestTimeoutMs: 5000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    expect(await ex.send(batch(1), ac.signal)).toEqual({ status: 'retryable', reason: 'request aborted' });
    await ex.shutdown();
  });

  it('413 → splits in halves until the bulk fits; a single document too large → rejected', async () => {
    es.handler = (r) => {
      if (r.path !== '/_bulk') return undefined;
      if (r.body.includes('"huge"')) return { status: 413, body: '' };
      return parseBulk(r.body).length > 2 ? { status: 413, body: '' } : bulkReply(r.body);
    };
    const ex = exporter();
    const items = [...batch(5), item(5, 'event', { huge: 'x' })];
    const out = await ex.send(items);
    expect(out.status).toBe('partial');
    if (out.status !== 'partial') return;
    expect(out.items.slice(0, 5)).toEqual(Array(5).fill({ status: 'ok' }));
    expect(out.items[5]).toMatchObject({ status: 'rejected', reason: /413 .*http.max_content_length/ });
    const sent = es.bulkRequests.filter((r) => !r.body.includes('"huge"')).map((r) => parseBulk(r.body).length);
    expect(sent.filter((n) => n <= 2).reduce((a, b) => a + b, 0)).toBe(5);
    await ex.shutdown();
  });

  it('splits a batch over maxBulkBytes into several bulk requests', async () => {
    const ex = exporter({ maxBulkBytes: 2048 });
    const items = Array.from({ length: 10 }, (_, i) => item(i, 'event', { pad: 'p'.repeat(500) }));
    expect(await ex.send(items)).toEqual({ status: 'ok' });
    expect(es.bulkRequests.length).toBeGreaterThanOrEqual(4);
    for (const r of es.bulkRequests) expect(Buffer.byteLength(r.body)).toBeLessThanOrEqual(2048);
    expect(es.bulkRequests.flatMap((r) => parseBulk(r.body).map((l) => l.action.create._id))).toEqual(
      items.map((x) => x.record.id),
    );
    await ex.shutdown();
  });

  it('after a retryable whole-request failure, the remaining chunks are not sent', async () => {
    es.handler = (r, i) =>
      r.path === '/_bulk' && i === 0
        ? bulkReply(r.body)
        : { status: 503, body: { error: { type: 'x', reason: 'down' } } };
    const ex = exporter({ maxBulkBytes: 2048 });
    const items = Array.from({ length: 10 }, (_, i) => item(i, 'event', { pad: 'p'.repeat(500) }));
    const out = await ex.send(items);
    expect(out.status).toBe('partial');
    if (out.status !== 'partial') return;
    expect(out.items.filter((o) => o.status === 'ok').length).toBeGreaterThan(0);
    expect(out.items.filter((o) => o.status === 'retryable').length).toBeGreaterThan(0);
    expect(es.bulkRequests).toHaveLength(2);
    await ex.shutdown();
  });

  it('a document that cannot be encoded is rejected, the rest is sent', async () => {
    const ex = exporter();
    const bad: ExportItem<EcsRecord> = { record: { id: 'b', kind: 'event', doc: { n: 10n } }, origin: { source: 't' } };
    const out = await ex.send([item(0), bad]);
    expect(out).toMatchObject({
      status: 'partial',
      items: [{ status: 'ok' }, { status: 'rejected', reason: /cannot encode/ }],
    });
    await ex.shutdown();
  });

  it.each([
    [401, /HTTP 401 .*authentication failed/],
    [403, /HTTP 403 .*not allowed/],
    [400, /HTTP 400 .*refused/],
  ])('whole-request %i → rejected with a clear reason and no secret', async (status, reason) => {
    es.handler = () => ({
      status,
      body: {
        error: {
          type: 'security_exception',
          reason:
            'unable to authenticate with provided credentials and anonymous access is not allowed for this request',
        },
        status,
      },
    });
    const ex = exporter({ auth: { apiKey: 'SECRETAPIKEY123' } });
    const out = await ex.send(batch(2));
    expect(out).toMatchObject({ status: 'rejected', reason });
    expect(JSON.stringify(out)).not.toContain('SECRETAPIKEY123');
    expect(es.requests[0].headers.authorization).toBe('ApiKey SECRETAPIKEY123');
    await ex.shutdown();
  });

  it('basic and bearer auth headers', async () => {
    const b = exporter({ auth: { username: 'elastic', password: 'pw-secret' } });
    await b.send(batch(1));
    expect(es.requests[0].headers.authorization).toBe(`Basic ${Buffer.from('elastic:pw-secret').toString('base64')}`);
    const t = exporter({ auth: { bearer: 'tok-secret' } });
    await t.send(batch(1));
    expect(es.requests[1].headers.authorization).toBe('Bearer tok-secret');
    await b.shutdown();
    await t.shutdown();
  });

  it('secrets from the URL never appear in reasons', async () => {
    const ex = createElasticsearchExporter({
      endpoints: 'http://elastic:hunter2pw@127.0.0.1:1',
      templates: 'skip',
      logger,
    });
    const out = await ex.send(batch(1));
    expect(out.status).toBe('retryable');
    expect(JSON.stringify(out)).not.toContain('hunter2pw');
    await ex.shutdown();
  });

  it('gzip request bodies when compression is on', async () => {
    const ex = exporter({ compression: true });
    expect(await ex.send(batch(3))).toEqual({ status: 'ok' });
    expect(es.bulkRequests[0].headers['content-encoding']).toBe('gzip');
    expect(parseBulk(es.bulkRequests[0].body)).toHaveLength(3);
    await ex.shutdown();
  });

  it('an empty batch sends nothing', async () => {
    const ex = exporter();
    expect(await ex.send([])).toEqual({ status: 'ok' });
    expect(es.requests).toHaveLength(0);
    await ex.shutdown();
  });

  it('after shutdown, send is retryable and shutdown twice is fine', async () => {
    const ex = exporter();
    await ex.shutdown();
    await ex.shutdown();
    expect(await ex.send(batch(1))).toMatchObject({ status: 'retryable' });
  });
});

describe('REST compatibility with 8.x servers', () => {
  const refuse9 = (r: { headers: Record<string, unknown> }) =>
    String(r.headers.accept).includes('compatible-with=9')
      ? {
          status: 400,
          body: {
            error: {
              root_cause: [
                {
                  type: 'media_type_header_exception',
                  reason: 'Invalid media-type value on headers [Accept, Content-Type]',
                },
              ],
              type: 'media_type_header_exception',
              reason: 'Invalid media-type value on headers [Accept, Content-Type]',
              caused_by: {
                type: 'status_exception',
                reason:
                  'Accept version must be either version 8 or 7, but found 9. Accept=application/vnd.elasticsearch+json; compatible-with=9',
              },
            },
            status: 400,
          },
        }
      : undefined;

  it("'auto' switches to compatible-with=8 on the 8.x 400, retries once, logs once", async () => {
    es.handler = (r) => refuse9(r) ?? undefined;
    const ex = exporter();
    expect(await ex.send(batch(2))).toEqual({ status: 'ok' });
    expect(await ex.send(batch(2))).toEqual({ status: 'ok' });
    expect(es.bulkRequests.map((r) => r.headers.accept)).toEqual([
      'application/vnd.elasticsearch+json; compatible-with=9',
      'application/vnd.elasticsearch+json; compatible-with=8',
      'application/vnd.elasticsearch+json; compatible-with=8',
    ]);
    expect(es.bulkRequests[1].headers['content-type']).toBe(
      'application/vnd.elasticsearch+x-ndjson; compatible-with=8',
    );
    expect(logs.filter((l) => l.includes('compatible-with=8'))).toHaveLength(1);
    await ex.shutdown();
  });

  it('concurrent sends during the switch: none is lost, one log line', async () => {
    es.handler = (r) => refuse9(r) ?? undefined;
    const ex = exporter();
    const outs = await Promise.all([ex.send(batch(1)), ex.send(batch(1)), ex.send(batch(1))]);
    expect(outs).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);
    expect(logs.filter((l) => l.includes('compatible-with=8'))).toHaveLength(1);
    await ex.shutdown();
  });

  it('serverMajor 8 sends compatible-with=8 from the start', async () => {
    const ex = exporter({ serverMajor: 8 });
    await ex.send(batch(1));
    expect(es.bulkRequests[0].headers.accept).toBe('application/vnd.elasticsearch+json; compatible-with=8');
    await ex.shutdown();
  });

  it('serverMajor 9 does not fall back', async () => {
    es.handler = (r) => refuse9(r) ?? undefined;
    const ex = exporter({ serverMajor: 9 });
    expect(await ex.send(batch(1))).toMatchObject({ status: 'rejected', reason: /HTTP 400/ });
    expect(es.bulkRequests).toHaveLength(1);
    await ex.shutdown();
  });
});

describe('destination state: no data stream and no template (a rebuilt cluster)', () => {
  const NO_TEMPLATE = {
    status: 404,
    error: {
      type: 'index_not_found_exception',
      reason:
        'no such index [logs-tracee.events-default] and the index creation request requires a data stream, but no matching index template with data stream template was found for it',
    },
  };

  it('the items stay retryable (not dead-lettered); concurrent batches share ONE reinstall; the next send delivers', async () => {
    let installed = false;
    es.handler = (r) => {
      if (r.method === 'PUT' && r.path === '/_index_template/logs-tracee') {
        installed = true;
        return undefined;
      }
      if (r.path === '/_bulk') return bulkReply(r.body, () => (installed ? { status: 201 } : NO_TEMPLATE));
      return undefined;
    };
    const ex = exporter({ templates: 'install' });
    await ex.start();
    installed = false; // the cluster lost everything after start
    const outs = await Promise.all([ex.send(batch(3)), ex.send(batch(2)), ex.send(batch(4))]);
    for (const o of outs) {
      expect(o.status).toBe('partial');
      for (const it of (o as { items: Array<{ status: string; reason?: string }> }).items) {
        expect(it).toEqual({
          status: 'retryable',
          reason: expect.stringMatching(
            /^destination state: no data stream and no index template for it \(404 index_not_found_exception/,
          ),
        });
      }
    }
    const reinstalls = es.requests.filter((r) => r.method === 'PUT' && r.path === '/_index_template/logs-tracee');
    expect(reinstalls).toHaveLength(2); // start + ONE reinstall for the three concurrent batches
    expect(logs.filter((l) => l.includes('reinstalling the templates'))).toHaveLength(1);
    expect(await ex.send(batch(3))).toEqual({ status: 'ok' });
    await ex.shutdown();
  });

  it('with templates: check it does not reinstall, and still retries (never dead-letters) the items', async () => {
    es.handler = (r) => (r.path === '/_bulk' ? bulkReply(r.body, () => NO_TEMPLATE) : undefined);
    const ex = exporter({ templates: 'check' });
    await ex.start();
    const o = await ex.send(batch(2));
    expect((o as { items: Array<{ status: string }> }).items.map((i) => i.status)).toEqual(['retryable', 'retryable']);
    expect(es.requests.filter((r) => r.method === 'PUT')).toHaveLength(0);
    expect(logs.some((l) => /templates: check, so not reinstalling/.test(l))).toBe(true);
    await ex.shutdown();
  });
});
