// Turns Elasticsearch answers into outcomes, in four classes (the table in docs/delivery.md, kept in agreement
// by test/unit/exporters/delivery-classification-table.test.ts):
//   ok / duplicate: 2xx; 409 version_conflict_engine_exception on `create` (same _id already stored).
//   retryable: 429 (incl. the flood-stage read_only_allow_delete block), 5xx, connection / timeout.
//   destination-state: the cluster's state refused the event, not the event itself; it clears when the
//     cluster is fixed: 404 index_not_found (no data stream and no template: a rebuilt cluster, a deleted data
//     stream or removed templates) → the exporter reinstalls its templates and retries; 400
//     index_closed_exception, 403 cluster_block_exception (index.blocks.write) → retried with backoff;
//     a mapping error on a field whose type in the index differs from our template → "template drift",
//     dead-lettered as replayable (cause destination_state).
//     OpenSearch answers the missing template with 201 into a plain index it auto-created under the data
//     stream's name (it has no require_data_stream): destination-state too, see esItemVerdict's `streams`.
//   permanent: any other 4xx (a bad event: document_parsing_exception on a field we map the same way…).
// Whole request: 413 → split by the caller; 404 index_not_found → destination-state; 400 / 401 / 403 / other
// 4xx → rejected with a clear reason.

import type { ItemOutcome, SendOutcome } from '../../model/exporter.ts';

export interface EsErrorObject {
  type?: string;
  reason?: string | null;
  caused_by?: EsErrorObject;
}

export interface BulkResponseItem {
  status?: number;
  error?: EsErrorObject;
  /** Where the server put it: a data stream's backing index (`.ds-<stream>-…`), or a concrete index. */
  _index?: string;
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

/** A destination-state condition: what about the cluster refused the event. */
export type EsCondition = 'missing_template' | 'plain_index' | 'closed_index' | 'write_block' | 'template_drift';

export type EsVerdict =
  | { class: 'ok' }
  | { class: 'duplicate' }
  | { class: 'retryable'; reason: string }
  | { class: 'destination_state'; condition: EsCondition; reason: string }
  | { class: 'permanent'; reason: string };

/**
 * Says whether a mapping error on `field` (mapped as `type` in the index) comes from a template that differs
 * from ours: the drift text ("template X maps it as long") or undefined (we map it that way too, or not at all).
 */
export type DriftCheck = (field: string, type: string) => string | undefined;

/** `field` and the index's type for it, from a mapping error's reason (document_parsing / mapper_parsing). */
export function mappingErrorField(e: EsErrorObject | undefined): { field: string; type: string } | undefined {
  for (let c: EsErrorObject | undefined = e; c; c = c.caused_by) {
    if (c.type !== 'document_parsing_exception' && c.type !== 'mapper_parsing_exception') continue;
    const r = c.reason ?? '';
    const m = /failed to parse field \[([^\]]+)\] of type \[([^\]]+)\]/.exec(r);
    if (m) return { field: m[1], type: m[2] };
    const o =
      /object mapping for \[([^\]]+)\] tried to parse field \[[^\]]+\] as object, but found a concrete value/.exec(r);
    if (o) return { field: o[1], type: 'object' };
  }
  return undefined;
}

const NO_TEMPLATE = /no matching index template/;

/**
 * One bulk item's class (see the header). `streams`: the data stream names written to, given when the server
 * may auto-create a PLAIN index of that name instead of refusing (OpenSearch has no require_data_stream): an
 * item stored (or found as a duplicate) in an index named exactly like a stream, not in a `.ds-` backing index,
 * is in the wrong place: destination state, retried once the exporter has repaired the layout.
 */
export function esItemVerdict(
  item: BulkResponseItem | undefined,
  drift?: DriftCheck,
  streams?: ReadonlySet<string>,
): EsVerdict {
  if (!item || typeof item.status !== 'number')
    return { class: 'retryable', reason: 'bulk response has no result for this item' };
  const st = item.status;
  const type = item.error?.type;
  if (streams && item._index !== undefined && streams.has(item._index) && ((st >= 200 && st < 300) || st === 409)) {
    return {
      class: 'destination_state',
      condition: 'plain_index',
      reason: `destination state: no data stream and no index template for it; the server auto-created a plain index [${item._index}] (${st}) instead`,
    };
  }
  if (st >= 200 && st < 300) return { class: 'ok' };
  if (st === 409 && (type === 'version_conflict_engine_exception' || item.error === undefined))
    return { class: 'duplicate' };
  const reason = `${st} ${esErrorReason(item.error)}`;
  if (st === 429 || st >= 500) return { class: 'retryable', reason };
  if (st === 404 && type === 'index_not_found_exception') {
    return {
      class: 'destination_state',
      condition: 'missing_template',
      reason: `destination state: ${NO_TEMPLATE.test(item.error?.reason ?? '') ? 'no data stream and no index template for it' : 'the data stream does not exist'} (${reason})`,
    };
  }
  if (type === 'index_closed_exception')
    return {
      class: 'destination_state',
      condition: 'closed_index',
      reason: `destination state: the index is closed (${reason})`,
    };
  if (st === 403 && type === 'cluster_block_exception')
    return {
      class: 'destination_state',
      condition: 'write_block',
      reason: `destination state: the index refuses writes (${reason})`,
    };
  const f = drift ? mappingErrorField(item.error) : undefined;
  const d = f ? drift!(f.field, f.type) : undefined;
  if (d !== undefined)
    return { class: 'destination_state', condition: 'template_drift', reason: `template drift: ${d} (${reason})` };
  return { class: 'permanent', reason };
}

/** The delivery outcome of a verdict (missing templates are retried once the exporter reinstalled them). */
export function outcomeOf(v: EsVerdict): ItemOutcome {
  switch (v.class) {
    case 'ok':
    case 'duplicate':
      return { status: v.class };
    case 'retryable':
      return { status: 'retryable', reason: v.reason };
    case 'permanent':
      return { status: 'rejected', reason: v.reason, cause: 'permanent' };
    case 'destination_state':
      return v.condition === 'template_drift'
        ? { status: 'rejected', reason: v.reason, cause: 'destination_state' }
        : { status: 'retryable', reason: v.reason };
  }
}

export function classifyBulkItem(
  item: BulkResponseItem | undefined,
  drift?: DriftCheck,
  streams?: ReadonlySet<string>,
): ItemOutcome {
  return outcomeOf(esItemVerdict(item, drift, streams));
}

/** Retry-After as seconds or an HTTP date → milliseconds (undefined when absent or unparsable). */
export function parseRetryAfter(value: string | string[] | undefined | null, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v == null || v === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** The error object of an ES error body (`{error: {...}, status}`), an AWS `{message}`, or the body text. */
export function bodyReason(body: unknown): string {
  if (body && typeof body === 'object' && 'error' in body) {
    return esErrorReason((body as { error: EsErrorObject | string }).error);
  }
  if (typeof body === 'string' && body !== '') return truncate(body);
  // AWS (Amazon OpenSearch Service, API Gateway) answers {"message": "…"}, e.g. a refused SigV4 signature
  const m = (body as { message?: unknown } | null | undefined)?.message;
  if (typeof m === 'string' && m !== '') return truncate(m);
  return 'no error detail in the response';
}

export type RequestClass = SendOutcome | { status: 'split' };

/** A whole-request HTTP status that is not a 2xx bulk answer. */
export function classifyRequestStatus(
  status: number,
  body: unknown,
  retryAfter?: string | string[] | null,
  product = 'Elasticsearch',
): RequestClass {
  const detail = bodyReason(body);
  if (status === 413) return { status: 'split' };
  if (
    status === 404 &&
    body &&
    typeof body === 'object' &&
    (body as { error?: EsErrorObject }).error?.type === 'index_not_found_exception'
  ) {
    return { status: 'retryable', reason: `destination state: HTTP 404 from ${product}: ${detail}` };
  }
  if (status === 429 || status >= 500) {
    const ms = parseRetryAfter(retryAfter);
    const out: SendOutcome = { status: 'retryable', reason: `HTTP ${status} from ${product}: ${detail}` };
    if (ms !== undefined) out.retryAfterMs = ms;
    return out;
  }
  // credentials, privileges, a proxy or URL in the way: the cluster's side, not the events (replayable)
  if (status === 401)
    return {
      status: 'rejected',
      cause: 'destination_state',
      reason: `HTTP 401 from ${product}: authentication failed (check the API key / user / token): ${detail}`,
    };
  if (status === 403)
    return {
      status: 'rejected',
      cause: 'destination_state',
      reason: `HTTP 403 from ${product}: not allowed to write the data stream (the API key / user needs create_doc or auto_configure on it): ${detail}`,
    };
  if (status === 400)
    return {
      status: 'rejected',
      cause: 'permanent',
      reason: `HTTP 400 from ${product}: the bulk request was refused: ${detail}`,
    };
  return { status: 'rejected', cause: 'destination_state', reason: `HTTP ${status} from ${product}: ${detail}` };
}

/** An error thrown by the client before any HTTP status (connection refused/reset, timeout, abort). */
/** `product`: the server named in reasons (this module is shared with the OpenSearch exporter). */
export function classifyThrown(err: unknown, product = 'Elasticsearch'): SendOutcome {
  const e = err as { name?: string; message?: string } | undefined;
  const name = e?.name ?? 'Error';
  const msg = e?.message ?? String(err);
  switch (name) {
    case 'TimeoutError':
      return { status: 'retryable', reason: `request timed out: ${truncate(msg, 300)}` };
    case 'RequestAbortedError':
      return { status: 'retryable', reason: 'request aborted' };
    case 'ConnectionError':
    case 'NoLivingConnectionsError':
      return { status: 'retryable', reason: `cannot reach ${product}: ${truncate(msg, 300)}` };
    case 'ProductNotSupportedError':
      return {
        status: 'rejected',
        reason: `the server is not Elasticsearch (no x-elastic-product header): ${truncate(msg, 300)}`,
      };
    case 'ConfigurationError':
    case 'SerializationError':
      return { status: 'rejected', reason: `${name}: ${truncate(msg, 300)}` };
    default:
      return { status: 'retryable', reason: `${name}: ${truncate(msg, 300)}` };
  }
}
