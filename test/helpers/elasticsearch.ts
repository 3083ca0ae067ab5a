// Helpers for integration tests against the real Elasticsearch node of scripts/services/elasticsearch.sh.
// Plain fetch with JSON bodies, on purpose: these helpers check what the exporter wrote, so they must not
// share code (or client quirks) with it. Node facts and limits: scripts/services/ELASTICSEARCH.md.

/** Base URL of the test node: $ES_URL, else http://127.0.0.1:9200. No trailing slash. */
export function esUrl(): string {
  return (process.env.ES_URL ?? 'http://127.0.0.1:9200').replace(/\/+$/, '');
}

/** A non-2xx answer from Elasticsearch, with the parsed body kept for assertions. */
export class EsHttpError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(method: string, path: string, status: number, body: unknown) {
    super(`${method} ${path} -> HTTP ${status}: ${JSON.stringify(body).slice(0, 1000)}`);
    this.name = 'EsHttpError';
    this.status = status;
    this.body = body;
  }
}

export interface EsRequestOptions {
  /** JSON body (serialized here), or an already serialized string (e.g. NDJSON for _bulk). */
  body?: unknown;
  /** Content type for a string body; JSON bodies are always application/json. */
  contentType?: string;
  /** Statuses that are returned instead of thrown (default: only 2xx are returned). */
  okStatuses?: number[];
}

/**
 * One HTTP request to the test node. Returns status and parsed JSON body; throws EsHttpError on a status that is
 * not 2xx or listed in okStatuses, and a clear error when nothing answers (the node was not started).
 */
export async function esRequest<T = any>(
  method: string,
  path: string,
  options: EsRequestOptions = {},
): Promise<{ status: number; body: T }> {
  const url = esUrl() + (path.startsWith('/') ? path : `/${path}`);
  const headers: Record<string, string> = { accept: 'application/json' };
  let payload: string | undefined;
  if (typeof options.body === 'string') {
    payload = options.body;
    headers['content-type'] = options.contentType ?? 'application/json';
  } else if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: payload, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new Error(
      `Elasticsearch not reachable at ${esUrl()} (${method} ${path}): ${(err as Error).message}. ` +
        'Start it with `bash scripts/services/elasticsearch.sh start` (or `npm run services:start`).',
      { cause: err },
    );
  }
  const text = await res.text();
  let body: any;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  if (!res.ok && !(options.okStatuses ?? []).includes(res.status)) {
    throw new EsHttpError(method, path, res.status, body);
  }
  return { status: res.status, body: body as T };
}

/**
 * A valid, unique data-stream namespace (the `<namespace>` of `<type>-<dataset>-<namespace>`): lower case,
 * only [a-z0-9_], no '-', never starting with '_', at most 100 characters. Use one per test: the test node
 * has no `_data_stream` API, so data streams cannot be deleted between tests.
 */
export function uniqueNamespace(prefix = 'test'): string {
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+/, '') || 'test';
  const suffix = `${Date.now().toString(36)}_${process.pid.toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  return `${clean.slice(0, 100 - suffix.length - 1)}_${suffix}`;
}

function indexPath(index: string): string {
  return encodeURIComponent(index).replace(/%2C/gi, ',').replace(/%2A/gi, '*');
}

/** Makes everything written to `index` (index, data stream, alias or pattern) visible to search. */
export async function refresh(index: string): Promise<void> {
  await esRequest('POST', `/${indexPath(index)}/_refresh?expand_wildcards=all`);
}

/** Number of documents in `index` after a refresh. */
export async function countDocs(index: string): Promise<number> {
  await refresh(index);
  const { body } = await esRequest<{ count: number }>('GET', `/${indexPath(index)}/_count`);
  return body.count;
}

/**
 * The `_source` of every document in `index` (up to `size`, default 10 000), after a refresh, in index order
 * (sorted by `_doc`, i.e. per backing index in insertion order; sort in the test if order matters).
 */
export async function searchAll<T = Record<string, unknown>>(index: string, size = 10_000): Promise<T[]> {
  await refresh(index);
  const { body } = await esRequest<{ hits: { hits: { _source: T }[] } }>('POST', `/${indexPath(index)}/_search`, {
    body: { query: { match_all: {} }, size, sort: ['_doc'] },
  });
  return body.hits.hits.map((h) => h._source);
}

/** Per concrete index (for a data stream: each `.ds-…` backing index), its `mappings`. */
export async function getMappings(index: string): Promise<Record<string, { mappings: any }>> {
  const { body } = await esRequest('GET', `/${indexPath(index)}/_mapping`);
  return body;
}

/**
 * The `mappings` of `index`: for a data stream, those of its newest backing index (the write index after
 * rollovers). Throws if nothing matches.
 */
export async function getMapping(index: string): Promise<any> {
  const all = await getMappings(index);
  const names = Object.keys(all).sort();
  if (names.length === 0) throw new Error(`no index matches ${index}`);
  return all[names[names.length - 1]].mappings;
}

export interface BulkItemResult {
  _index: string;
  _id: string;
  status: number;
  result?: string;
  error?: { type: string; reason: string; caused_by?: unknown };
}

/**
 * POST /_bulk with the given action/source lines (objects, one per NDJSON line); returns one result per action,
 * whatever the action type. Does not throw on per-item errors: assert on `status`/`error`.
 */
export async function bulk(lines: object[], refreshAfter = false): Promise<BulkItemResult[]> {
  const ndjson = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
  const { body } = await esRequest<{ items: Record<string, BulkItemResult>[] }>(
    'POST',
    `/_bulk${refreshAfter ? '?refresh=true' : ''}`,
    { body: ndjson, contentType: 'application/x-ndjson' },
  );
  return body.items.map((item) => Object.values(item)[0]);
}
