// Turns Elasticsearch answers into outcomes. Per bulk item:
//   2xx → ok; 409 version_conflict_engine_exception on `create` → duplicate (same _id already stored);
//   429 → retryable; 5xx → retryable (a shard failure or an unavailable primary is usually transient; re-sending
//   is safe because `create` with a deterministic _id turns a stored copy into a 409 duplicate, never a second
//   document; the delivery layer's retry limit bounds a 5xx that persists);
//   any other 4xx (document_parsing_exception, mapper_parsing_exception, illegal_argument_exception…) → rejected
//   with ES's `type: reason`.
// Whole request: 429 / 5xx / connection / timeout → retryable (Retry-After honoured), 413 → split by the caller,
// 400 / 401 / 403 / other 4xx → rejected with a clear reason.

import type { ItemOutcome, SendOutcome } from '../../model/exporter.ts';

export interface EsErrorObject {
  type?: string;
  reason?: string | null;
  caused_by?: EsErrorObject;
}

export interface BulkResponseItem {
  status?: number;
  error?: EsErrorObject;
}

const MAX_REASON = 1024;

export function truncate(s: string, max = MAX_REASON): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** `type: reason (caused by type: reason)`, as Elasticsearch said it. */
export function esErrorReason(e: EsErrorObject | string | undefined | null): string {
  if (e == null) return 'unknown error';
  if (typeof e === 'string') return truncate(e);
  let s = `${e.type ?? 'error'}: ${e.reason ?? ''}`.trimEnd();
  const c = e.caused_by;
  if (c && (c.type || c.reason)) s += ` (caused by ${c.type ?? 'error'}: ${c.reason ?? ''})`;
  return truncate(s);
}

export function classifyBulkItem(item: BulkResponseItem | undefined): ItemOutcome {
  if (!item || typeof item.status !== 'number') return { status: 'retryable', reason: 'bulk response has no result for this item' };
  const st = item.status;
  if (st >= 200 && st < 300) return { status: 'ok' };
  const reason = `${st} ${esErrorReason(item.error)}`;
  if (st === 409 && (item.error?.type === 'version_conflict_engine_exception' || item.error === undefined)) return { status: 'duplicate' };
  if (st === 429 || st >= 500) return { status: 'retryable', reason };
  return { status: 'rejected', reason };
}

/** Retry-After as seconds or an HTTP date → milliseconds (undefined when absent or unparsable). */
export function parseRetryAfter(value: string | string[] | undefined | null, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v == null || v === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** The error object of an ES error body (`{error: {...}, status}`), or the body text. */
export function bodyReason(body: unknown): string {
  if (body && typeof body === 'object' && 'error' in body) {
    return esErrorReason((body as { error: EsErrorObject | string }).error);
  }
  if (typeof body === 'string' && body !== '') return truncate(body);
  return 'no error detail in the response';
}

export type RequestClass = SendOutcome | { status: 'split' };

/** A whole-request HTTP status that is not a 2xx bulk answer. */
export function classifyRequestStatus(status: number, body: unknown, retryAfter?: string | string[] | null): RequestClass {
  const detail = bodyReason(body);
  if (status === 413) return { status: 'split' };
  if (status === 429 || status >= 500) {
    const ms = parseRetryAfter(retryAfter);
    const out: SendOutcome = { status: 'retryable', reason: `HTTP ${status} from Elasticsearch: ${detail}` };
    if (ms !== undefined) out.retryAfterMs = ms;
    return out;
  }
  if (status === 401) return { status: 'rejected', reason: `HTTP 401 from Elasticsearch: authentication failed (check the API key / user / token): ${detail}` };
  if (status === 403) return { status: 'rejected', reason: `HTTP 403 from Elasticsearch: not allowed to write the data stream (the API key / user needs create_doc or auto_configure on it): ${detail}` };
  if (status === 400) return { status: 'rejected', reason: `HTTP 400 from Elasticsearch: the bulk request was refused: ${detail}` };
  return { status: 'rejected', reason: `HTTP ${status} from Elasticsearch: ${detail}` };
}

/** An error thrown by the client before any HTTP status (connection refused/reset, timeout, abort). */
export function classifyThrown(err: unknown): SendOutcome {
  const e = err as { name?: string; message?: string } | undefined;
  const name = e?.name ?? 'Error';
  const msg = e?.message ?? String(err);
  switch (name) {
    case 'TimeoutError': return { status: 'retryable', reason: `request timed out: ${truncate(msg, 300)}` };
    case 'RequestAbortedError': return { status: 'retryable', reason: 'request aborted' };
    case 'ConnectionError':
    case 'NoLivingConnectionsError':
      return { status: 'retryable', reason: `cannot reach Elasticsearch: ${truncate(msg, 300)}` };
    case 'ProductNotSupportedError':
      return { status: 'rejected', reason: `the server is not Elasticsearch (no x-elastic-product header): ${truncate(msg, 300)}` };
    case 'ConfigurationError':
    case 'SerializationError':
      return { status: 'rejected', reason: `${name}: ${truncate(msg, 300)}` };
    default:
      return { status: 'retryable', reason: `${name}: ${truncate(msg, 300)}` };
  }
}
