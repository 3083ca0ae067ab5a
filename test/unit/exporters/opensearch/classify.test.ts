// The OpenSearch exporter's outcomes for each answer, with a FAKE client (fault injection only: the real
// server is exercised in test/integration/opensearch-exporter.test.ts).

import { describe, expect, it } from 'vitest';
import { createOpenSearchExporter } from '../../../../src/exporters/opensearch/index.ts';
import type { ExportItem } from '../../../../src/model/exporter.ts';
import type { EcsRecord } from '../../../../src/model/records.ts';

type Answer = { statusCode: number; body: unknown; headers?: Record<string, string> } | Error;

/** A FAKE client: answers the queued responses in order and records each request. */
function fakeClient(answers: Answer[]) {
  const requests: Array<{ method: string; path: string; bulkBody?: string; querystring?: unknown }> = [];
  const client = {
    transport: {
      request(params: { method: string; path: string; bulkBody?: Buffer; querystring?: unknown }) {
        // the body is sent as UTF-8 bytes; recorded as its text
        requests.push({ ...params, bulkBody: params.bulkBody?.toString('utf8') });
        const a = answers.shift() ?? { statusCode: 200, body: { errors: false } };
        if (a instanceof Error) return Promise.reject(a);
        if (a.statusCode >= 400 && a.statusCode !== 404) {
          return Promise.reject(
            Object.assign(new Error('Response Error'), {
              name: 'ResponseError',
              meta: { statusCode: a.statusCode, body: a.body, headers: a.headers ?? {} },
            }),
          );
        }
        return Promise.resolve({ statusCode: a.statusCode, body: a.body, headers: a.headers ?? {} });
      },
    },
    close: () => Promise.resolve(),
  };
  return { client: client as never, requests };
}

const rec = (i: number, kind: 'event' | 'alert' = 'event'): EcsRecord => ({
  id: `id-${i}`,
  kind,
  doc: { '@timestamp': '2026-11-28T10:00:00.000000001Z', event: { kind } },
});
const items = (n: number): ExportItem<EcsRecord>[] =>
  Array.from({ length: n }, (_, i) => ({
    record: rec(i, i % 2 ? 'alert' : 'event'),
    origin: { source: 't', line: i + 1 },
  }));
const mk = (answers: Answer[], extra: Record<string, unknown> = {}) => {
  const f = fakeClient(answers);
  const ex = createOpenSearchExporter(
    {
      endpoints: 'http://127.0.0.1:1',
      templates: 'skip',
      auth: { username: 'writer', password: 's3cret-pass' },
      logger: { info() {}, warn() {} },
      ...extra,
    },
    { client: f.client },
  );
  return { ex, ...f };
};

describe('OpenSearch exporter classification', () => {
  it('bulk create into the data streams with the deterministic _id; no Elasticsearch-only bulk parameters', async () => {
    const { ex, requests } = mk([]);
    expect(await ex.send(items(2))).toEqual({ status: 'ok' });
    expect(requests).toHaveLength(1);
    expect(requests[0].method).toBe('POST');
    expect(requests[0].path).toBe('/_bulk');
    expect(requests[0].querystring).toEqual({ filter_path: 'errors,items.*.status,items.*.error,items.*._index' });
    const lines = requests[0]
      .bulkBody!.trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ create: { _index: 'logs-tracee.events-default', _id: 'id-0' } });
    expect(lines[2]).toEqual({ create: { _index: 'logs-tracee.alerts-default', _id: 'id-1' } });
    expect(lines[3].data_stream).toEqual({ type: 'logs', dataset: 'tracee.alerts', namespace: 'default' });
  });

  it('per item: 201 ok, 409 duplicate, 429 retryable, 400 mapper_parsing rejected (permanent)', async () => {
    const { ex } = mk([
      {
        statusCode: 200,
        body: {
          errors: true,
          items: [
            { create: { status: 201 } },
            {
              create: {
                status: 409,
                error: {
                  type: 'version_conflict_engine_exception',
                  reason: '[id-1]: version conflict, document already exists',
                },
              },
            },
            { create: { status: 429, error: { type: 'rejected_execution_exception', reason: 'queue full' } } },
            {
              create: {
                status: 400,
                error: {
                  type: 'mapper_parsing_exception',
                  reason: 'failed to parse field [process.pid] of type [long]',
                },
              },
            },
          ],
        },
      },
    ]);
    const out = await ex.send(items(4));
    expect(out).toEqual({
      status: 'partial',
      items: [
        { status: 'ok' },
        { status: 'duplicate' },
        { status: 'retryable', reason: '429 rejected_execution_exception: queue full' },
        {
          status: 'rejected',
          cause: 'permanent',
          reason: '400 mapper_parsing_exception: failed to parse field [process.pid] of type [long]',
        },
      ],
    });
  });

  it('whole request: 503 retryable with Retry-After; 401 rejected as destination state, naming OpenSearch', async () => {
    const a = mk([
      {
        statusCode: 503,
        body: { error: { type: 'cluster_block_exception', reason: 'no master' } },
        headers: { 'retry-after': '3' },
      },
    ]);
    expect(await a.ex.send(items(2))).toEqual({
      status: 'retryable',
      reason: 'HTTP 503 from OpenSearch: cluster_block_exception: no master',
      retryAfterMs: 3000,
    });
    const b = mk([{ statusCode: 401, body: { error: 'Unauthorized' } }]);
    const out = await b.ex.send(items(1));
    expect(out).toMatchObject({
      status: 'rejected',
      cause: 'destination_state',
      reason: expect.stringMatching(/^HTTP 401 from OpenSearch: authentication failed/),
    });
  });

  it('connection errors are retryable and never carry the password', async () => {
    const err = Object.assign(new Error('connect ECONNREFUSED http://writer:s3cret-pass@127.0.0.1:1'), {
      name: 'ConnectionError',
    });
    const { ex } = mk([err]);
    const out = await ex.send(items(2));
    expect(out.status).toBe('retryable');
    expect(JSON.stringify(out)).toContain('cannot reach OpenSearch');
    expect(JSON.stringify(out)).not.toContain('s3cret-pass');
  });

  it('413 splits the batch in halves until each part fits', async () => {
    const { ex, requests } = mk([
      { statusCode: 413, body: '' },
      { statusCode: 200, body: { errors: false } },
      { statusCode: 200, body: { errors: false } },
    ]);
    expect(await ex.send(items(4))).toEqual({ status: 'ok' });
    expect(requests.map((r) => r.bulkBody!.split('\n').length - 1)).toEqual([8, 4, 4]);
  });

  it('a record without id is rejected without a request for it', async () => {
    const { ex, requests } = mk([]);
    const out = await ex.send([{ record: { ...rec(1), id: '' }, origin: { source: 't', line: 1 } }, ...items(1)]);
    expect(out).toEqual({
      status: 'partial',
      items: [{ status: 'rejected', reason: 'record has no id' }, { status: 'ok' }],
    });
    expect(requests[0].bulkBody!.split('\n').length - 1).toBe(2);
  });

  it('templates install: the adapted set is PUT (components first, then the index template)', async () => {
    const { ex, requests } = mk([], { templates: 'install' });
    await ex.start();
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /_component_template/tracee-ecs%40mappings',
      'PUT /_component_template/tracee%40mappings',
      'PUT /_component_template/tracee%40settings',
      'PUT /_index_template/logs-tracee',
    ]);
  });

  it("an item OpenSearch stored in a plain index under the stream's name: retried; templates reinstalled and that index removed once per episode", async () => {
    const plain = (st: number) => ({ create: { _index: 'logs-tracee.events-default', status: st } });
    const inStream = { create: { _index: '.ds-logs-tracee.alerts-default-000001', status: 201 } };
    const logs: string[] = [];
    const { ex, requests } = mk([{ statusCode: 200, body: { errors: false, items: [plain(201), inStream] } }], {
      templates: 'skip',
      logger: { info() {}, warn: (m: string) => logs.push(m) },
    });
    // templates: skip → detected and retried, but nothing reinstalled or removed
    const first = await ex.send(items(2));
    expect(first.status).toBe('partial');
    if (first.status !== 'partial') return;
    expect(first.items[0]).toMatchObject({
      status: 'retryable',
      reason: expect.stringMatching(
        /^destination state: .*auto-created a plain index \[logs-tracee\.events-default\] \(201\)/,
      ),
    });
    expect(first.items[1]).toEqual({ status: 'ok' });
    expect(requests.map((r) => r.method)).toEqual(['POST']);
    expect(logs.filter((l) => l.includes('not reinstalling'))).toHaveLength(1);
  });

  it('templates: install → reinstall, DELETE the plain index (exact name), once per episode; a 409 there is not a duplicate', async () => {
    const plain = (st: number) => ({ create: { _index: 'logs-tracee.events-default', status: st } });
    const inStream = { create: { _index: '.ds-logs-tracee.alerts-default-000001', status: 201 } };
    const ack = { statusCode: 200, body: { acknowledged: true } };
    const logs: string[] = [];
    const { ex, requests } = mk(
      [
        ack,
        ack,
        ack,
        ack, // start(): templates
        { statusCode: 200, body: { errors: false, items: [plain(201), inStream] } },
        ack,
        ack,
        ack,
        ack,
        ack, // reinstall + DELETE
        { statusCode: 200, body: { errors: true, items: [plain(409), inStream] } }, // same episode, within the gap
      ],
      { templates: 'install', logger: { info() {}, warn: (m: string) => logs.push(m) } },
    );
    await ex.start();
    const a = await ex.send(items(2));
    expect(a.status).toBe('partial');
    const b = await ex.send(items(2));
    expect(b.status === 'partial' && b.items[0].status).toBe('retryable');
    expect(requests.slice(4).map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /_bulk',
      'PUT /_component_template/tracee-ecs%40mappings',
      'PUT /_component_template/tracee%40mappings',
      'PUT /_component_template/tracee%40settings',
      'PUT /_index_template/logs-tracee',
      'DELETE /logs-tracee.events-default',
      'POST /_bulk',
    ]);
    expect(requests[9].querystring).toEqual({ expand_wildcards: 'none' });
    expect(
      logs.filter((l) => l.includes('reinstalling the templates and retrying them (not dead-lettered)')),
    ).toHaveLength(1);
    expect(logs.some((l) => l.startsWith('removed the plain index logs-tracee.events-default'))).toBe(true);
  });
});
