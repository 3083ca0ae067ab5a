import { describe, expect, it } from 'vitest';
import {
  classifyBulkItem,
  classifyRequestStatus,
  classifyThrown,
  esErrorReason,
  parseRetryAfter,
} from '../../../../src/exporters/elasticsearch/classify.ts';

describe('per-item classification', () => {
  it.each([
    [{ status: 201 }, { status: 'ok' }],
    [{ status: 200 }, { status: 'ok' }],
    [
      {
        status: 409,
        error: { type: 'version_conflict_engine_exception', reason: '[a]: version conflict, document already exists' },
      },
      { status: 'duplicate' },
    ],
    [
      { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution' } },
      { status: 'retryable', reason: '429 es_rejected_execution_exception: rejected execution' },
    ],
    [
      { status: 503, error: { type: 'unavailable_shards_exception', reason: 'primary shard is not active' } },
      { status: 'retryable', reason: '503 unavailable_shards_exception: primary shard is not active' },
    ],
    [
      { status: 500, error: { type: 'exception', reason: 'boom' } },
      { status: 'retryable', reason: '500 exception: boom' },
    ],
    [
      {
        status: 400,
        error: {
          type: 'document_parsing_exception',
          reason: '[1:2] failed to parse field [process.pid] of type [long]',
          caused_by: { type: 'illegal_argument_exception', reason: 'For input string: "x"' },
        },
      },
      {
        status: 'rejected',
        cause: 'permanent',
        reason:
          '400 document_parsing_exception: [1:2] failed to parse field [process.pid] of type [long] (caused by illegal_argument_exception: For input string: "x")',
      },
    ],
    [
      { status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse' } },
      { status: 'rejected', cause: 'permanent', reason: '400 mapper_parsing_exception: failed to parse' },
    ],
    [
      {
        status: 400,
        error: {
          type: 'illegal_argument_exception',
          reason: 'only write ops with an op_type of create are allowed in data streams',
        },
      },
      {
        status: 'rejected',
        cause: 'permanent',
        reason: '400 illegal_argument_exception: only write ops with an op_type of create are allowed in data streams',
      },
    ],
    // a destination-state condition, not a verdict on the event: retried (the exporter reinstalls its templates)
    [
      { status: 404, error: { type: 'index_not_found_exception', reason: 'no such index' } },
      {
        status: 'retryable',
        reason: 'destination state: the data stream does not exist (404 index_not_found_exception: no such index)',
      },
    ],
    [
      { status: 409, error: { type: 'other_conflict', reason: 'x' } },
      { status: 'rejected', cause: 'permanent', reason: '409 other_conflict: x' },
    ],
    [undefined, { status: 'retryable', reason: 'bulk response has no result for this item' }],
  ])('%j', (item, expected) => {
    expect(classifyBulkItem(item)).toEqual(expected);
  });

  it('truncates huge reasons', () => {
    expect(esErrorReason({ type: 't', reason: 'x'.repeat(5000) }).length).toBeLessThanOrEqual(1024);
  });
});

describe('Retry-After', () => {
  it('seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('whole-request classification', () => {
  const err = (type: string, reason: string) => ({ error: { type, reason }, status: 0 });
  it.each([
    [
      429,
      err('es_rejected_execution_exception', 'queue full'),
      '2',
      {
        status: 'retryable',
        reason: 'HTTP 429 from Elasticsearch: es_rejected_execution_exception: queue full',
        retryAfterMs: 2000,
      },
    ],
    [
      503,
      err('cluster_block_exception', 'blocked'),
      undefined,
      { status: 'retryable', reason: 'HTTP 503 from Elasticsearch: cluster_block_exception: blocked' },
    ],
    [
      502,
      '<html>bad gateway</html>',
      undefined,
      { status: 'retryable', reason: 'HTTP 502 from Elasticsearch: <html>bad gateway</html>' },
    ],
    [413, undefined, undefined, { status: 'split' }],
  ])('%i', (status, body, ra, expected) => {
    expect(classifyRequestStatus(status, body, ra)).toEqual(expected);
  });
  it.each([
    [400, /HTTP 400 .*refused: parse_exception: bad/],
    [401, /HTTP 401 .*authentication failed/],
    [403, /HTTP 403 .*create_doc/],
    [404, /HTTP 404/],
  ])('%i → rejected', (status, reason) => {
    const o = classifyRequestStatus(status, err('parse_exception', 'bad'));
    expect(o.status).toBe('rejected');
    expect((o as { reason: string }).reason).toMatch(reason);
  });
  it('thrown errors', () => {
    expect(classifyThrown(Object.assign(new Error('connect ECONNREFUSED'), { name: 'ConnectionError' }))).toMatchObject(
      { status: 'retryable', reason: /cannot reach Elasticsearch: connect ECONNREFUSED/ },
    );
    expect(classifyThrown(Object.assign(new Error('Request timed out'), { name: 'TimeoutError' }))).toMatchObject({
      status: 'retryable',
      reason: /timed out/,
    });
    expect(classifyThrown(Object.assign(new Error('x'), { name: 'RequestAbortedError' }))).toMatchObject({
      status: 'retryable',
      reason: 'request aborted',
    });
    expect(classifyThrown(Object.assign(new Error('x'), { name: 'ProductNotSupportedError' }))).toMatchObject({
      status: 'rejected',
    });
  });
});
