// Keeps docs/delivery.md's classification table and the classifiers in agreement: every row's case is fed
// to the classifier (the real text provoked on the test servers, see the page) and must land in the row's
// class; every case here must be a row there and every row a case here.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  classifyRequestStatus,
  classifyThrown,
  esItemVerdict,
  type BulkResponseItem,
} from '../../../src/exporters/elasticsearch/classify.ts';
import { dataStreamTarget } from '../../../src/exporters/elasticsearch/data-stream.ts';
import { driftCheck } from '../../../src/exporters/elasticsearch/template-fields.ts';
import { classifyResponse, classifyTransportError, tooLarge } from '../../../src/exporters/otlp-http/classify.ts';
import type { HttpResponseResult } from '../../../src/exporters/otlp-http/transport.ts';
import type { SendOutcome } from '../../../src/model/exporter.ts';
import { ROOT } from '../../helpers/samples.ts';
import { encodePartialSuccess, encodeRpcStatus } from '../../helpers/otlp-proto-decode.ts';

const drift = driftCheck({
  event: dataStreamTarget('tracee.events', 'default'),
  alert: dataStreamTarget('tracee.alerts', 'default'),
});
const item = (status: number, type?: string, reason?: string, causedBy?: { type: string; reason: string }): string => {
  const it: BulkResponseItem = type
    ? { status, error: { type, reason, ...(causedBy ? { caused_by: causedBy } : {}) } }
    : { status };
  return esItemVerdict(it, drift).class;
};
const streams = new Set(['logs-tracee.events-probe', 'logs-probe2-x']);
const osItem = (answer: string): string =>
  esItemVerdict((JSON.parse(answer) as { create: BulkResponseItem }).create, drift, streams).class;
const esError = (type: string, reason: string) => ({
  error: { root_cause: [{ type, reason }], type, reason },
  status: 0,
});

/** A SendOutcome's class: rejected by its cause, retryable "destination state: …" as destination_state. */
function classOf(o: SendOutcome | { status: 'split' }): string {
  switch (o.status) {
    case 'split':
      return 'split';
    case 'ok':
      return o.rejected ? 'permanent' : 'ok';
    case 'retryable':
      return o.reason.startsWith('destination state') ? 'destination_state' : 'retryable';
    case 'rejected':
      return o.cause ?? 'permanent';
    case 'partial':
      throw new Error('not a whole-request outcome');
  }
}
const resp = (
  status: number,
  body: string | Buffer = '',
  contentType = 'text/plain; charset=utf-8',
): HttpResponseResult => ({
  kind: 'response',
  status,
  statusText: '',
  headers: { 'content-type': contentType },
  body: Buffer.from(body),
  truncated: false,
});
const otlp = (r: HttpResponseResult): string => (tooLarge(r) ? 'split' : classOf(classifyResponse(r)));

const CASES: Record<string, () => string> = {
  'es-item-created': () => item(201),
  'es-item-conflict': () =>
    item(
      409,
      'version_conflict_engine_exception',
      '[x1]: version conflict, document already exists (current version [1])',
    ),
  'es-item-no-template': () =>
    item(
      404,
      'index_not_found_exception',
      'no such index [logs-zz14nothing-x] and the index creation request requires a data stream, but no matching index template with data stream template was found for it',
    ),
  'es-item-closed-index': () => item(400, 'index_closed_exception', 'closed'),
  'es-item-write-block': () =>
    item(
      403,
      'cluster_block_exception',
      'index [.ds-logs-zz14probe15944-x-2026.12.06-000001] blocked by: [FORBIDDEN/8/index write (api)];',
    ),
  'es-item-flood-stage': () =>
    item(
      429,
      'cluster_block_exception',
      'index [.ds-logs-zz14probe15944-x-2026.12.06-000001] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block; for more information, see https://www.elastic.co/guide/en/elasticsearch/reference/8.19/fix-watermark-errors.html];',
    ),
  'es-item-rejected-execution': () =>
    item(429, 'es_rejected_execution_exception', 'rejected execution of coordinating operation'),
  'es-item-unavailable-shards': () => item(503, 'unavailable_shards_exception', 'primary shard is not active'),
  'es-item-template-drift': () =>
    item(
      400,
      'document_parsing_exception',
      "[1:56] failed to parse field [process.name] of type [long] in document with id 'LqR3SaIBWAs8ETzMO6qI'. Preview of field's value: 'bash'",
      { type: 'illegal_argument_exception', reason: 'For input string: "bash"' },
    ),
  'es-item-drift-timestamp': () =>
    item(
      400,
      'document_parsing_exception',
      "[1:15] failed to parse field [@timestamp] of type [date] in document with id 'LKRdSaIBWAs8ETzMc6q0'. Preview of field's value: 'nope'",
    ),
  'es-item-bad-event': () =>
    item(
      400,
      'document_parsing_exception',
      "[1:55] failed to parse field [process.pid] of type [long] in document with id 'L6R3SaIBWAs8ETzMO6qI'. Preview of field's value: 'abc'",
      { type: 'illegal_argument_exception', reason: 'For input string: "abc"' },
    ),
  'es-item-no-timestamp': () =>
    item(
      400,
      'document_parsing_exception',
      '[1:7] failed to parse: data stream timestamp field [@timestamp] is missing',
    ),
  'es-item-total-fields': () =>
    item(
      400,
      'document_parsing_exception',
      '[1:50] failed to parse: Limit of total fields [3] has been exceeded while adding new fields [2]',
    ),
  'es-item-op-type': () =>
    item(400, 'illegal_argument_exception', 'only write ops with an op_type of create are allowed in data streams'),
  'es-item-bad-body': () =>
    item(400, 'document_parsing_exception', '[1:2] failed to parse: [1:6] Unexpected end of file'),
  'es-req-413': () => classOf(classifyRequestStatus(413, undefined)),
  'es-req-no-index': () =>
    classOf(classifyRequestStatus(404, esError('index_not_found_exception', 'no such index [logs-zz14probe15944-x]'))),
  'es-req-malformed': () =>
    classOf(
      classifyRequestStatus(
        400,
        esError('illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]'),
      ),
    ),
  'es-req-content-type': () =>
    classOf(classifyRequestStatus(406, { error: 'Content-Type header [text/plain] is not supported', status: 406 })),
  'es-req-401': () =>
    classOf(
      classifyRequestStatus(
        401,
        esError('security_exception', 'missing authentication credentials for REST request [/_bulk]'),
      ),
    ),
  'es-req-403': () =>
    classOf(
      classifyRequestStatus(403, esError('security_exception', 'action [indices:data/write/bulk] is unauthorized')),
    ),
  'es-req-429': () =>
    classOf(classifyRequestStatus(429, esError('es_rejected_execution_exception', 'rejected execution'), '1')),
  'es-req-500': () =>
    [500, 502, 503, 504]
      .map((s) => classOf(classifyRequestStatus(s, esError('exception', 'x'))))
      .reduce((a, b) => (a === b ? a : 'mixed')),
  'es-refused': () =>
    classOf(classifyThrown(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { name: 'ConnectionError' }))),
  'os-item-plain-index': () => osItem('{"create":{"_index":"logs-tracee.events-probe","status":201}}'),
  'os-item-plain-conflict': () =>
    osItem(
      '{"create":{"_index":"logs-tracee.events-probe","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[a1]: version conflict, document already exists (current version [1])"}}}',
    ),
  'os-item-in-stream': () => osItem('{"create":{"_index":".ds-logs-probe2-x-000001","status":201}}'),
  'os-item-bad-event': () =>
    osItem(
      `{"create":{"_index":".ds-logs-tracee.events-x-000001","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [process.pid] of type [long] in document with id 'bad-x'. Preview of field's value: 'not-a-pid'"}}}`,
    ),
  'otlp-200': () => otlp(resp(200, '{"partialSuccess":{}}', 'application/json')),
  'otlp-partial': () => otlp(resp(200, encodePartialSuccess(3, 'bad records'), 'application/x-protobuf')),
  'otlp-400-json': () =>
    otlp(
      resp(
        400,
        '{"code":3, "message":"ReadArray: expect [ or , or ] or n, but found \\u0000, error found in #10 byte of ..."}',
        'application/json',
      ),
    ),
  'otlp-400-proto': () => otlp(resp(400, encodeRpcStatus(3, 'proto: illegal wireType 7'), 'application/x-protobuf')),
  'otlp-400-too-large': () =>
    otlp(resp(400, encodeRpcStatus(3, 'http: request body too large'), 'application/x-protobuf')),
  'otlp-413': () => otlp(resp(413, '')),
  'otlp-404': () => otlp(resp(404, '404 page not found\n')),
  'otlp-405': () => otlp(resp(405, '405 method not allowed, supported: [POST]')),
  'otlp-415': () =>
    otlp(resp(415, '415 unsupported media type, supported: [application/json, application/x-protobuf]', 'text/plain')),
  'otlp-429': () => [429, 502, 503, 504].map((s) => otlp(resp(s, 'busy'))).reduce((a, b) => (a === b ? a : 'mixed')),
  'otlp-500': () => otlp(resp(500, 'boom')),
  'otlp-refused': () =>
    classOf(
      classifyTransportError(
        { kind: 'error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' },
        'http://127.0.0.1:9/v1/logs',
      ),
    ),
};

function tableRows(): Array<{ id: string; cls: string }> {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/delivery.md'), 'utf8');
  const start = doc.indexOf('<!-- classification-table:start -->');
  const end = doc.indexOf('<!-- classification-table:end -->');
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  return doc
    .slice(start, end)
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| Case') && !l.startsWith('|---'))
    .map((l) => {
      const cells = l.split(' | ');
      return { id: cells[0].slice(2).trim(), cls: cells[4].trim() };
    });
}

describe('docs/delivery.md classification table', () => {
  const rows = tableRows();
  it('lists every case, and only those', () => {
    expect(rows.map((r) => r.id).sort()).toEqual(Object.keys(CASES).sort());
  });
  it.each(rows.map((r) => [r.id, r.cls]))('%s → %s', (id, cls) => {
    expect(CASES[id]?.()).toBe(cls);
  });
});
