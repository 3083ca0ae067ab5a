// The OpenSearch exporter (target 'ecs'): the Elasticsearch exporter's documents, `_id`s, data streams and
// classification (shared through ../bulk-common) sent with @opensearch-project/opensearch. One send(batch) =
// one `_bulk` request of `create` actions (split when over maxBulkBytes or on 413), classified per item.
// It never sleeps or retries on its own: the delivery layer does.

import { readFileSync } from 'node:fs';
import { Client, type ClientOptions } from '@opensearch-project/opensearch';
import type { ExportItem, Exporter, ItemOutcome, SendOutcome } from '../../model/exporter.ts';
import type { EcsRecord } from '../../model/records.ts';
import {
  BulkEncoder, checkTemplates, chunkBySize, classifyRequestStatus, classifyThrown, esItemVerdict, installTemplates,
  makeRedactor, outcomeOf, stderrLogger, TemplateError,
  type BulkResponseItem, type EsAnswer, type Logger, type Redactor, type TemplateIo,
} from '../bulk-common/index.ts';
import { OpenSearchConfigError, resolveOpenSearchOptions, type OpenSearchExporterOptions, type ResolvedOpenSearchOptions } from './config.ts';
import { openSearchTemplates } from './templates.ts';

const PRODUCT = 'OpenSearch';
// OpenSearch has no require_data_stream / include_source_on_error bulk parameters (it refuses unknown ones).
const BULK_QUERY = { filter_path: 'errors,items.*.status,items.*.error' };

type Whole = Extract<SendOutcome, { status: 'retryable' | 'rejected' }>;

export interface OpenSearchExporter extends Exporter<EcsRecord> {
  readonly options: ResolvedOpenSearchOptions;
  readonly templateDiffs: readonly string[] | undefined;
  readonly downgradedTypes: readonly string[];
}

export interface OpenSearchExporterDeps { client?: Client }

function itemOf(o: Whole): ItemOutcome {
  return o.status === 'retryable'
    ? (o.retryAfterMs === undefined ? { status: 'retryable', reason: o.reason } : { status: 'retryable', reason: o.reason, retryAfterMs: o.retryAfterMs })
    : { status: 'rejected', reason: o.reason, ...(o.cause ? { cause: o.cause } : {}) };
}

export function createOpenSearchClient(o: ResolvedOpenSearchOptions): Client {
  const opts: ClientOptions = {
    nodes: [...o.endpoints],
    requestTimeout: o.requestTimeoutMs,
    maxRetries: 0,
    name: `tracee-exporter/${o.name}`,
  };
  if (o.compression) opts.compression = 'gzip';
  const a = o.auth;
  if (a && 'username' in a) opts.auth = { username: a.username, password: a.password };
  const ssl: NonNullable<ClientOptions['ssl']> = {};
  let hasSsl = false;
  if (o.tls.caFile) {
    try { ssl.ca = readFileSync(o.tls.caFile); } catch (err) {
      throw new OpenSearchConfigError('tls.caFile', `cannot read ${o.tls.caFile}: ${(err as Error).message}`);
    }
    hasSsl = true;
  }
  if (o.tls.insecureSkipVerify) { ssl.rejectUnauthorized = false; hasSsl = true; }
  if (hasSsl) opts.ssl = ssl;
  return new Client(opts);
}

class OsExporter implements OpenSearchExporter {
  readonly target = 'ecs' as const;
  readonly name: string;
  readonly options: ResolvedOpenSearchOptions;
  templateDiffs: string[] | undefined;
  downgradedTypes: string[] = [];
  readonly #client: Client;
  readonly #logger: Logger;
  readonly #encoder: BulkEncoder;
  readonly #redact: Redactor;
  #templatesPending = false;
  #closed = false;

  constructor(opts: OpenSearchExporterOptions, deps: OpenSearchExporterDeps) {
    this.options = resolveOpenSearchOptions(opts);
    this.name = this.options.name;
    this.#logger = opts.logger ?? stderrLogger;
    this.#client = deps.client ?? createOpenSearchClient(this.options);
    this.#encoder = new BulkEncoder(this.options.targets);
    this.#redact = makeRedactor(this.options.auth);
  }

  /** Throws only what is not an HTTP answer (connection errors, timeouts, aborts). */
  async #call(params: { method: string; path: string; body?: unknown; bulkBody?: string; querystring?: Record<string, string> }, signal?: AbortSignal): Promise<EsAnswer> {
    const req = this.#client.transport.request(params as never, { ignore: [404] }) as unknown as Promise<{ statusCode: number | null; body: unknown; headers: Record<string, string> | null }> & { abort?: () => void };
    const onAbort = () => req.abort?.();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const r = await req;
      return { status: r.statusCode ?? 200, body: r.body, headers: r.headers ?? {} };
    } catch (err) {
      const e = err as { name?: string; meta?: { statusCode?: number; body?: unknown; headers?: Record<string, string> } };
      if (e?.name === 'ResponseError' && typeof e.meta?.statusCode === 'number') {
        return { status: e.meta.statusCode, body: e.meta.body, headers: e.meta.headers ?? {} };
      }
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #io(): TemplateIo {
    const path = (kind: 'component' | 'index', name: string) => `/${kind === 'component' ? '_component_template' : '_index_template'}/${encodeURIComponent(name)}`;
    return {
      put: (kind, name, body) => this.#call({ method: 'PUT', path: path(kind, name), body }),
      get: (kind, name) => this.#call({ method: 'GET', path: path(kind, name) }),
    };
  }

  #install() {
    return installTemplates(this.#io(), this.options.targets, this.#logger, this.name, openSearchTemplates, PRODUCT);
  }

  async start(): Promise<void> {
    if (this.#closed) throw new Error(`${this.name}: start() after shutdown()`);
    if (this.options.tls.insecureSkipVerify) this.#logger.warn(`${this.name}: TLS certificate verification is OFF (tls.insecureSkipVerify)`);
    const mode = this.options.templates;
    if (mode === 'skip') return;
    try {
      if (mode === 'install') {
        this.downgradedTypes = (await this.#install()).downgraded;
        this.#templatesPending = false;
        return;
      }
      this.templateDiffs = await checkTemplates(this.#io(), this.options.targets, openSearchTemplates);
      if (this.templateDiffs.length) {
        const shown = this.templateDiffs.slice(0, 20).map((d) => `  ${d}`).join('\n');
        this.#logger.warn(`${this.name}: the cluster's templates differ from tracee-exporter's (${this.templateDiffs.length} differences):\n${shown}`);
      }
    } catch (err) {
      const thrown = err instanceof TemplateError ? undefined : classifyThrown(err, PRODUCT) as Whole;
      const reason = this.#redact(thrown ? thrown.reason : (err as Error).message);
      const transient = thrown ? thrown.status === 'retryable' : (err as TemplateError).retryable;
      if (!transient) throw new TemplateError(reason, false);
      if (mode === 'install') this.#templatesPending = true;
      this.#logger.warn(`${this.name}: templates not ${mode === 'install' ? 'installed' : 'checked'} yet (${reason})${mode === 'install' ? '; will install before the first bulk request' : ''}`);
    }
  }

  async send(batch: readonly ExportItem<EcsRecord>[], signal?: AbortSignal): Promise<SendOutcome> {
    if (batch.length === 0) return { status: 'ok' };
    if (this.#closed) return { status: 'retryable', reason: `${this.name} is shut down` };
    if (this.#templatesPending) {
      try {
        this.downgradedTypes = (await this.#install()).downgraded;
        this.#templatesPending = false;
      } catch (err) {
        if (err instanceof TemplateError && !err.retryable) return { status: 'rejected', reason: this.#redact(err.message) };
        const o: Whole = err instanceof TemplateError ? { status: 'retryable', reason: err.message } : classifyThrown(err, PRODUCT) as Whole;
        return { ...o, reason: this.#redact(`templates not installed yet: ${o.reason}`) };
      }
    }
    const n = batch.length;
    const outcomes: ItemOutcome[] = new Array(n);
    const texts: string[] = new Array(n);
    const sizes: number[] = new Array(n);
    const sendable: number[] = [];
    const ingested = new Date().toISOString();
    for (let i = 0; i < n; i++) {
      const e = this.#encoder.encode(batch[i].record, ingested);
      if (e.ok) { texts[i] = e.text; sizes[i] = e.bytes; sendable.push(i); } else outcomes[i] = { status: 'rejected', reason: e.reason };
    }
    const wholes: Whole[] = [];
    let stop: Whole | undefined;
    for (const chunk of chunkBySize(sendable, sizes, this.options.maxBulkBytes)) {
      if (stop) { for (const i of chunk) outcomes[i] = itemOf(stop); continue; }
      const w = await this.#sendChunk(chunk, texts, outcomes, signal);
      if (w) { wholes.push(w); if (w.status === 'retryable') stop = w; }
    }
    if (outcomes.every((o) => o.status === 'ok')) return { status: 'ok' };
    if (sendable.length === n && wholes.length > 0) {
      const first = wholes[0];
      if (outcomes.every((o) => o.status === first.status && 'reason' in o && wholes.some((w) => w.reason === o.reason))) return first;
    }
    return { status: 'partial', items: outcomes };
  }

  async #sendChunk(chunk: number[], texts: string[], outcomes: ItemOutcome[], signal?: AbortSignal): Promise<Whole | undefined> {
    const body = chunk.map((i) => texts[i]).join('');
    let a: EsAnswer;
    try {
      a = await this.#call({ method: 'POST', path: '/_bulk', querystring: BULK_QUERY, bulkBody: body }, signal);
    } catch (err) {
      const o = classifyThrown(err, PRODUCT) as Whole;
      const w: Whole = { ...o, reason: this.#redact(signal?.aborted ? 'request aborted' : o.reason) };
      for (const i of chunk) outcomes[i] = itemOf(w);
      return w;
    }
    if (a.status >= 200 && a.status < 300) {
      const b = a.body as { errors?: boolean; items?: Array<Record<string, BulkResponseItem>> };
      if (b?.errors === false) { for (const i of chunk) outcomes[i] = { status: 'ok' }; return undefined; }
      const items = b?.items ?? [];
      for (let k = 0; k < chunk.length; k++) {
        const it = items[k];
        outcomes[chunk[k]] = outcomeOf(esItemVerdict(it ? (it.create ?? Object.values(it)[0]) : undefined));
      }
      return undefined;
    }
    const rc = classifyRequestStatus(a.status, a.body, a.headers['retry-after'], PRODUCT);
    if (rc.status === 'split') {
      if (chunk.length === 1) {
        outcomes[chunk[0]] = { status: 'rejected', reason: `413 the document (${Buffer.byteLength(body)} bytes with its action line) is larger than the cluster accepts (http.max_content_length)` };
        return undefined;
      }
      const mid = chunk.length >> 1;
      const w1 = await this.#sendChunk(chunk.slice(0, mid), texts, outcomes, signal);
      if (w1?.status === 'retryable') { for (const i of chunk.slice(mid)) outcomes[i] = itemOf(w1); return w1; }
      return (await this.#sendChunk(chunk.slice(mid), texts, outcomes, signal)) ?? w1;
    }
    const w = { ...(rc as Whole), reason: this.#redact((rc as Whole).reason) } as Whole;
    for (const i of chunk) outcomes[i] = itemOf(w);
    return w;
  }

  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.close();
  }
}

export function createOpenSearchExporter(options: OpenSearchExporterOptions, deps: OpenSearchExporterDeps = {}): OpenSearchExporter {
  return new OsExporter(options, deps);
}
