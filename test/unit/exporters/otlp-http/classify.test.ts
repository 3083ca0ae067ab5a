import { describe, expect, it } from 'vitest';
import {
  capText,
  classifyResponse,
  classifyTransportError,
  parseRetryAfter,
} from '../../../../src/exporters/otlp-http/classify.ts';
import { decodeRpcStatus } from '../../../../src/exporters/otlp-http/rpc-status.ts';
import type { HttpResponseResult } from '../../../../src/exporters/otlp-http/transport.ts';
import { encodePartialSuccess, encodeRpcStatus } from '../../../helpers/otlp-proto-decode.ts';

const NOW = Date.parse('2026-11-28T10:00:00Z');

function resp(
  status: number,
  body: string | Buffer = '',
  headers: Record<string, string> = {},
  statusText = '',
): HttpResponseResult {
  return { kind: 'response', status, statusText, headers, body: Buffer.from(body), truncated: false };
}

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('7', NOW)).toBe(7000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfter('Sat, 28 Nov 2026 10:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Sat, 28 Nov 2026 09:00:00 GMT', NOW)).toBe(0); // in the past
    expect(parseRetryAfter(['3', '9'], NOW)).toBe(3000);
  });
  it('ignores absent and unparsable values', () => {
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter('', NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter('-1', NOW)).toBeUndefined();
  });
});

describe('classifyResponse: success', () => {
  it('2xx with an empty body is ok', () => {
    expect(classifyResponse(resp(200))).toEqual({ status: 'ok' });
    expect(classifyResponse(resp(202, '', { 'content-type': 'application/x-protobuf' }))).toEqual({ status: 'ok' });
  });
  it('reads protobuf partial success', () => {
    const r = resp(200, encodePartialSuccess(3, 'bad attribute'), { 'content-type': 'application/x-protobuf' });
    expect(classifyResponse(r)).toEqual({ status: 'ok', rejected: 3, rejectedReason: 'bad attribute' });
  });
  it('reads JSON partial success (int64 as string or number)', () => {
    const j = (v: unknown) =>
      resp(200, JSON.stringify({ partialSuccess: { rejectedLogRecords: v, errorMessage: 'dropped' } }), {
        'content-type': 'application/json',
      });
    expect(classifyResponse(j('5'))).toEqual({ status: 'ok', rejected: 5, rejectedReason: 'dropped' });
    expect(classifyResponse(j(2))).toEqual({ status: 'ok', rejected: 2, rejectedReason: 'dropped' });
  });
  it('a partial success with 0 rejected and a message is a warning, still ok', () => {
    const r = resp(200, JSON.stringify({ partialSuccess: { errorMessage: 'heads up' } }), {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(classifyResponse(r)).toEqual({ status: 'ok', rejected: 0, rejectedReason: 'heads up' });
    expect(classifyResponse(resp(200, '{"partialSuccess":{}}', { 'content-type': 'application/json' }))).toEqual({
      status: 'ok',
    });
  });
  it('an unparsable or oversized 2xx body is ok with a note (the data was accepted)', () => {
    expect(classifyResponse(resp(200, '{nope', { 'content-type': 'application/json' }))).toMatchObject({
      status: 'ok',
      rejectedReason: /unparsable/,
    });
    expect(classifyResponse({ ...resp(200, 'x'), truncated: true })).toMatchObject({
      status: 'ok',
      rejectedReason: /size limit/,
    });
  });
});

describe('classifyResponse: failures', () => {
  it.each([429, 502, 503, 504])('%i is retryable, with Retry-After when given', (status) => {
    expect(classifyResponse(resp(status, 'busy', { 'retry-after': '2' }), NOW)).toEqual({
      status: 'retryable',
      reason: `HTTP ${status}: busy`,
      retryAfterMs: 2000,
    });
    expect(classifyResponse(resp(status), NOW)).toEqual({ status: 'retryable', reason: `HTTP ${status}` });
  });
  it.each([400, 401, 403, 404, 405, 413, 415, 500, 501])('%i is rejected (MUST NOT retry)', (status) => {
    expect(classifyResponse(resp(status, 'no')).status).toBe('rejected');
  });
  it('decodes a protobuf google.rpc.Status message', () => {
    const r = resp(
      400,
      encodeRpcStatus(3, 'proto: cannot parse invalid wire-format data'),
      { 'content-type': 'application/x-protobuf' },
      'Bad Request',
    );
    expect(classifyResponse(r)).toEqual({
      status: 'rejected',
      cause: 'permanent',
      reason: 'HTTP 400 Bad Request: proto: cannot parse invalid wire-format data',
    });
  });
  it('decodes a JSON google.rpc.Status message', () => {
    const r = resp(400, JSON.stringify({ code: 3, message: 'unknown field "foo"' }), {
      'content-type': 'application/json',
    });
    expect(classifyResponse(r)).toEqual({
      status: 'rejected',
      cause: 'permanent',
      reason: 'HTTP 400: unknown field "foo"',
    });
  });
  it('falls back to the body text, capped at 1 KiB', () => {
    const r = resp(404, 'x'.repeat(5000), { 'content-type': 'text/plain' });
    const o = classifyResponse(r);
    expect(o.status).toBe('rejected');
    const reason = (o as { reason: string }).reason;
    expect(reason.length).toBeLessThan(1100);
    expect(reason).toMatch(/more chars\)$/);
  });
  it('falls back to text when a protobuf body is not a Status', () => {
    const r = resp(400, 'plain words', { 'content-type': 'application/x-protobuf' });
    expect(classifyResponse(r)).toEqual({ status: 'rejected', cause: 'permanent', reason: 'HTTP 400: plain words' });
  });
});

describe('classifyTransportError', () => {
  it('is retryable and names the code, never the headers', () => {
    expect(
      classifyTransportError(
        { kind: 'error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' },
        'http://h:1/v1/logs',
      ),
    ).toEqual({ status: 'retryable', reason: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1 [http://h:1/v1/logs]' });
  });
});

describe('decodeRpcStatus / capText', () => {
  it('round-trips code and message, rejects garbage', () => {
    expect(decodeRpcStatus(encodeRpcStatus(8, 'resource exhausted'))).toEqual({
      code: 8,
      message: 'resource exhausted',
    });
    expect(decodeRpcStatus(Buffer.from([0x12, 0x50, 0x41]))).toBeUndefined();
  });
  it('keeps short text', () => {
    expect(capText('  hi  ')).toBe('hi');
  });
});
