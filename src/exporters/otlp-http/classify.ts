// HTTP result → SendOutcome, by the OTLP/HTTP spec (`opentelemetry-proto/docs/specification.md`):
//   2xx                       → ok; `partial_success.rejected_log_records` counted (never retried)
//   429, 502, 503, 504        → retryable, with Retry-After (delay-seconds or HTTP-date) when given
//   any other status          → rejected ("All other 4xx or 5xx response status codes MUST NOT be retried"):
//     400 (the collector could not decode the request) → permanent: a verdict on what we sent;
//     401/403/404/405/415/500/501… → destination state (cause destination_state): the URL, the credentials or
//     the collector's configuration, not the events; dead-lettered as replayable (docs/delivery.md table)
//   413, or 400 "http: request body too large" (the Go collector's body limit) → too large: the exporter
//     sends the halves (tooLarge)
//   transport error / timeout → retryable (the request was not judged by a collector)

import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { IExportLogsServiceResponse } from '@opentelemetry/otlp-transformer';
import type { SendOutcome } from '../../model/exporter.ts';
import { decodeRpcStatus } from './rpc-status.ts';
import type { HttpErrorResult, HttpResponseResult } from './transport.ts';

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);
export const MAX_REASON_CHARS = 1024;

/** Retry-After as milliseconds from `nowMs`; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // HTTP-date (IMF-fixdate, RFC 850, asctime) always names a day and month; Date.parse alone
  // would also take "-1" or "2026" as dates.
  if (!/[a-z]{3}/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

export function capText(s: string, max: number = MAX_REASON_CHARS): string {
  const t = s.trim();
  return t.length <= max ? t : `${t.slice(0, max)}… (${t.length - max} more chars)`;
}

function mediaType(res: HttpResponseResult): string {
  const ct = res.headers['content-type'];
  return (typeof ct === 'string' ? ct : '').split(';')[0].trim().toLowerCase();
}

/** The collector's error message: google.rpc.Status (protobuf or JSON), else the body text. */
export function errorMessage(res: HttpResponseResult): string {
  const type = mediaType(res);
  if (res.body.length === 0) return '';
  if (type === 'application/x-protobuf' || type === 'application/protobuf') {
    const st = decodeRpcStatus(res.body);
    if (st?.message !== undefined) return st.message;
  } else if (type === 'application/json') {
    try {
      const j = JSON.parse(res.body.toString('utf8')) as { message?: unknown };
      if (typeof j?.message === 'string') return j.message;
    } catch {
      /* fall through to the text */
    }
  }
  return res.body.toString('utf8');
}

function statusLine(res: HttpResponseResult): string {
  return res.statusText ? `HTTP ${res.status} ${res.statusText}` : `HTTP ${res.status}`;
}

function parseSuccessBody(res: HttpResponseResult): IExportLogsServiceResponse | undefined {
  if (res.body.length === 0) return {};
  const type = mediaType(res);
  try {
    if (type === 'application/json') return JSON.parse(res.body.toString('utf8')) as IExportLogsServiceResponse;
    return ProtobufLogsSerializer.deserializeResponse(res.body);
  } catch {
    return undefined;
  }
}

export function classifyResponse(res: HttpResponseResult, nowMs: number = Date.now()): SendOutcome {
  if (res.status >= 200 && res.status < 300) {
    if (res.truncated)
      return { status: 'ok', rejectedReason: 'response body over the size limit: partial success unknown' };
    const parsed = parseSuccessBody(res);
    if (parsed === undefined)
      return { status: 'ok', rejectedReason: 'unparsable response body: partial success unknown' };
    const ps = parsed.partialSuccess;
    if (!ps) return { status: 'ok' };
    // OTLP/JSON writes int64 as a decimal string.
    const rejected = Number(ps.rejectedLogRecords ?? 0) || 0;
    const msg = ps.errorMessage ? capText(ps.errorMessage) : undefined;
    if (rejected > 0)
      return { status: 'ok', rejected, rejectedReason: msg ?? 'rejected by the collector (no message)' };
    // A populated partial_success with 0 rejected and a message is a warning (spec).
    return msg ? { status: 'ok', rejected: 0, rejectedReason: msg } : { status: 'ok' };
  }
  const msg = capText(errorMessage(res));
  const reason = msg ? `${statusLine(res)}: ${msg}` : statusLine(res);
  if (RETRYABLE_STATUSES.has(res.status)) {
    const retryAfterMs = parseRetryAfter(res.headers['retry-after'], nowMs);
    return retryAfterMs === undefined ? { status: 'retryable', reason } : { status: 'retryable', reason, retryAfterMs };
  }
  return { status: 'rejected', reason, cause: res.status === 400 ? 'permanent' : 'destination_state' };
}

/** The collector refused the request for its size: 413, or the Go collector's 400 "http: request body too large". */
export function tooLarge(res: HttpResponseResult): boolean {
  if (res.status === 413) return true;
  return res.status === 400 && /request body too large/i.test(errorMessage(res));
}

export function classifyTransportError(err: HttpErrorResult, url: string): SendOutcome {
  const when = err.status !== undefined ? ` (after HTTP ${err.status} headers)` : '';
  return { status: 'retryable', reason: `${err.code}: ${capText(err.message)}${when} [${url}]` };
}
