// The Elasticsearch exporter (target 'ecs'): one send(batch) = one `_bulk` request of `create` actions into the
// Tracee data streams (split when over maxBulkBytes or on 413), classified per item. It never sleeps or
// retries on its own: the delivery layer does.

import type { Client } from '@elastic/elasticsearch';
import type { ExportItem, Exporter, ItemOutcome, SendOutcome } from '../../model/exporter.ts';
import type { EcsRecord } from '../../model/records.ts';
import { BulkEncoder, chunkBySize } from './bulk-body.ts';
import { classifyRequestStatus, classifyThrown, esItemVerdict, outcomeOf, type BulkResponseItem, type DriftCheck, type EsErrorObject } from './classify.ts';
import { driftCheck } from './template-fields.ts';
import { CaFingerprintError, fetchPinnedCa } from './ca-fingerprint.ts';
import { createEsClient } from './client.ts';
import { resolveElasticsearchOptions, type ElasticsearchExporterOptions, type ResolvedElasticsearchOptions } from './config.ts';
import { stderrLogger, type Logger } from './logger.ts';
import { makeRedactor, type Redactor } from './redact.ts';
import { EsRequester, type EsAnswer } from './requester.ts';
import { checkTemplates, installTemplates, TemplateError, type TemplateIo } from './template-install.ts';

export interface ElasticsearchExporter extends Exporter<EcsRecord> {
  readonly options: ResolvedElasticsearchOptions;
  /** Differences found by `templates: 'check'` at start ([] = in sync; undefined = not checked). */
  readonly templateDiffs: readonly string[] | undefined;
  /** Field types downgraded to core types at install (empty on a full distribution). */
  readonly downgradedTypes: readonly string[];
}

export interface ElasticsearchExporterDeps {
  /** Inject a client (tests); otherwise one is created from the options. */
  client?: Client;
}

const BULK_QUERY = { require_data_stream: true, include_source_on_error: false, filter_path: 'errors,items.*.status,items.*.error' };

type Whole = Extract<SendOutcome, { status: 'retryable' | 'rejected' }>;

/** What one send() learnt about the cluster's state. */
interface SendState { missingTemplates: number; example: string }

/** Reinstall backoff: a cluster that loses its templates again right after a reinstall is not hammered. */
const REINSTALL_MIN_GAP_MS = 1000;
const REINSTALL_MAX_GAP_MS = 60_000;

function itemOf(o: Whole): ItemOutcome {
  return o.status === 'retryable'
    ? (o.retryAfterMs === undefined ? { status: 'retryable', reason: o.reason } : { status: 'retryable', reason: o.reason, retryAfterMs: o.retryAfterMs })
    : { status: 'rejected', reason: o.reason, ...(o.cause ? { cause: o.cause } : {}) };
}

class EsExporter implements ElasticsearchExporter {
  readonly target = 'ecs' as const;
  readonly name: string;
  readonly options: ResolvedElasticsearchOptions;
  templateDiffs: string[] | undefined;
  downgradedTypes: string[] = [];
  #client: Client | undefined;
  readonly #logger: Logger;
  readonly #requester: EsRequester;
  readonly #encoder: BulkEncoder;
  readonly #redact: Redactor;
  #templatesPending = false;
  #closed = false;
  readonly #drift: DriftCheck;
  /** The reinstall in progress, shared by every batch that found the templates missing. */
  #reinstalling: Promise<void> | undefined;
  #lastReinstallAt = -Infinity;
  #reinstallGap = REINSTALL_MIN_GAP_MS;
  #missingEpisode = false;

  constructor(opts: ElasticsearchExporterOptions, deps: ElasticsearchExporterDeps) {
    this.options = resolveElasticsearchOptions(opts);
    this.name = this.options.name;
    this.#logger = opts.logger ?? stderrLogger;
    // With tls.caFingerprint the client needs the pinned CA first: created on first use (start or send).
    this.#client = deps.client ?? (this.options.tls.caFingerprint ? undefined : createEsClient(this.options));
    this.#requester = new EsRequester(this.options.serverMajor, this.#logger, this.name);
    this.#encoder = new BulkEncoder(this.options.targets);
    this.#redact = makeRedactor(this.options.auth);
    this.#drift = driftCheck(this.options.targets);
  }

  /**
   * The cluster has no data stream and no template for it (rebuilt cluster, deleted data stream, removed
   * templates): install ours again, once per episode and with a growing gap, shared by concurrent batches.
   * The items stay retryable; the delivery layer sends them again after its backoff.
   */
  async #reinstall(client: Client, st: SendState): Promise<void> {
    if (!this.#missingEpisode) {
      this.#missingEpisode = true;
      this.#logger.warn(`${this.name}: Elasticsearch has no data stream and no index template for our events (a rebuilt cluster, a deleted data stream or removed templates: ${st.example})`
        + (this.options.templates === 'install' ? '; reinstalling the templates and retrying them (not dead-lettered)' : `; templates: ${this.options.templates}, so not reinstalling: install them, the events are retried meanwhile`));
    }
    if (this.options.templates !== 'install') return;
    if (this.#reinstalling) return this.#reinstalling;
    const now = Date.now();
    if (now - this.#lastReinstallAt < this.#reinstallGap) return;
    this.#lastReinstallAt = now;
    this.#reinstallGap = Math.min(this.#reinstallGap * 2, REINSTALL_MAX_GAP_MS);
    this.#reinstalling = (async () => {
      try {
        this.downgradedTypes = (await installTemplates(this.#io(client), this.options.targets, this.#logger, this.name)).downgraded;
        this.#logger.warn(`${this.name}: templates reinstalled`);
      } catch (err) {
        const reason = err instanceof TemplateError ? err.message : (classifyThrown(err) as Whole).reason;
        this.#logger.warn(`${this.name}: cannot reinstall the templates yet: ${this.#redact(reason)}`);
      } finally {
        this.#reinstalling = undefined;
      }
    })();
    return this.#reinstalling;
  }

  /** A send that met no missing template ends the episode: the next one logs again and reinstalls at once. */
  #clearEpisode(): void {
    if (!this.#missingEpisode) return;
    this.#missingEpisode = false;
    this.#reinstallGap = REINSTALL_MIN_GAP_MS;
    this.#lastReinstallAt = -Infinity;
  }

  async #ensureClient(): Promise<Client> {
    if (this.#client) return this.#client;
    const o = this.options;
    const ca = await fetchPinnedCa(o.endpoints.find((e) => e.startsWith('https:')) ?? o.endpoints[0], o.tls.caFingerprint!, o.requestTimeoutMs);
    this.#client ??= createEsClient(o, ca);
    return this.#client;
  }

  #io(c: Client): TemplateIo {
    const r = this.#requester;
    return {
      put: (kind, name, body) => r.call('json', (headers) => kind === 'component'
        ? c.transport.request({ method: 'PUT', path: `/_component_template/${encodeURIComponent(name)}`, body }, { meta: true, headers })
        : c.transport.request({ method: 'PUT', path: `/_index_template/${encodeURIComponent(name)}`, body }, { meta: true, headers })),
      get: (kind, name) => r.call('none', (headers) => c.transport.request(
        { method: 'GET', path: `/${kind === 'component' ? '_component_template' : '_index_template'}/${encodeURIComponent(name)}` },
        { meta: true, headers, ignore: [404] })),
    };
  }

  async start(): Promise<void> {
    if (this.#closed) throw new Error(`${this.name}: start() after shutdown()`);
    if (this.options.tls.insecureSkipVerify) this.#logger.warn(`${this.name}: TLS certificate verification is OFF (tls.insecureSkipVerify)`);
    const mode = this.options.templates;
    try {
      const client = await this.#ensureClient();
      if (mode === 'skip') return;
      if (mode === 'install') {
        this.downgradedTypes = (await installTemplates(this.#io(client), this.options.targets, this.#logger, this.name)).downgraded;
        this.#templatesPending = false;
        return;
      }
      this.templateDiffs = await checkTemplates(this.#io(client), this.options.targets);
      if (this.templateDiffs.length) {
        const shown = this.templateDiffs.slice(0, 20).map((d) => `  ${d}`).join('\n');
        this.#logger.warn(`${this.name}: the cluster's templates differ from tracee-exporter's (${this.templateDiffs.length} differences):\n${shown}`);
      }
    } catch (err) {
      if (err instanceof CaFingerprintError) throw err;
      const thrown = err instanceof TemplateError ? undefined : classifyThrown(err) as Whole;
      const reason = this.#redact(thrown ? thrown.reason : (err as Error).message);
      const transient = thrown ? thrown.status === 'retryable' : (err as TemplateError).retryable;
      if (!transient) throw new TemplateError(reason, false);
      if (mode === 'install') this.#templatesPending = true;
      if (!this.#client) { this.#logger.warn(`${this.name}: cannot fetch the pinned CA yet (${reason}); will retry before the first bulk request`); return; }
      this.#logger.warn(`${this.name}: templates not ${mode === 'install' ? 'installed' : 'checked'} yet (${reason})${mode === 'install' ? '; will install before the first bulk request' : ''}`);
    }
  }

  async send(batch: readonly ExportItem<EcsRecord>[], signal?: AbortSignal): Promise<SendOutcome> {
    if (batch.length === 0) return { status: 'ok' };
    if (this.#closed) return { status: 'retryable', reason: `${this.name} is shut down` };
    let client: Client;
    try {
      client = await this.#ensureClient();
    } catch (err) {
      if (err instanceof CaFingerprintError) return { status: 'rejected', reason: err.message };
      return { ...(classifyThrown(err) as Whole), reason: this.#redact((classifyThrown(err) as Whole).reason) };
    }
    if (this.#templatesPending) {
      try {
        this.downgradedTypes = (await installTemplates(this.#io(client), this.options.targets, this.#logger, this.name)).downgraded;
        this.#templatesPending = false;
      } catch (err) {
        if (err instanceof TemplateError && !err.retryable) return { status: 'rejected', reason: this.#redact(err.message) };
        const o: Whole = err instanceof TemplateError ? { status: 'retryable', reason: err.message } : classifyThrown(err) as Whole;
        return { ...o, reason: this.#redact(`templates not installed yet: ${o.reason}`) };
      }
    }
    const n = batch.length;
    const outcomes: ItemOutcome[] = new Array(n);
    const texts: string[] = new Array(n);
    const sizes: number[] = new Array(n);
    const sendable: number[] = [];
    const ingested = new Date().toISOString();   // this attempt's: a retry sends its own time
    for (let i = 0; i < n; i++) {
      const e = this.#encoder.encode(batch[i].record, ingested);
      if (e.ok) { texts[i] = e.text; sizes[i] = e.bytes; sendable.push(i); } else outcomes[i] = { status: 'rejected', reason: e.reason };
    }
    const wholes: Whole[] = [];
    let stop: Whole | undefined;
    const st: SendState = { missingTemplates: 0, example: '' };
    for (const chunk of chunkBySize(sendable, sizes, this.options.maxBulkBytes)) {
      if (stop) { for (const i of chunk) outcomes[i] = itemOf(stop); continue; }
      const w = await this.#sendChunk(client, chunk, texts, outcomes, st, signal);
      if (w) { wholes.push(w); if (w.status === 'retryable') stop = w; }
    }
    if (st.missingTemplates > 0) await this.#reinstall(client, st);
    else if (!stop) this.#clearEpisode();
    return this.#summarize(outcomes, wholes, sendable.length === n);
  }

  #summarize(outcomes: ItemOutcome[], wholes: Whole[], allEncoded: boolean): SendOutcome {
    if (outcomes.every((o) => o.status === 'ok')) return { status: 'ok' };
    // Every item failed the same way at request level → report it for the whole batch.
    if (allEncoded && wholes.length > 0) {
      const first = wholes[0];
      const same = outcomes.every((o) => o.status === first.status && 'reason' in o && wholes.some((w) => w.reason === o.reason));
      if (same) return first;
    }
    return { status: 'partial', items: outcomes };
  }

  /** Sends one bulk request; fills `outcomes` for its items; returns the whole-request failure if there was one. */
  async #sendChunk(c: Client, chunk: number[], texts: string[], outcomes: ItemOutcome[], st: SendState, signal?: AbortSignal): Promise<Whole | undefined> {
    const body = chunk.length === 1 ? texts[chunk[0]] : chunk.map((i) => texts[i]).join('');
    let a: EsAnswer;
    try {
      a = await this.#requester.call('ndjson', (headers) => c.bulk(
        { ...BULK_QUERY, operations: body as unknown as never[] },
        { meta: true, headers, signal }));
    } catch (err) {
      const o = classifyThrown(err) as Whole;
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
        const v = esItemVerdict(it ? (it.create ?? Object.values(it)[0]) : undefined, this.#drift);
        if (v.class === 'destination_state' && v.condition === 'missing_template' && st.missingTemplates++ === 0) st.example = v.reason;
        outcomes[chunk[k]] = outcomeOf(v);
      }
      return undefined;
    }
    const rc = classifyRequestStatus(a.status, a.body, a.headers['retry-after']);
    if (rc.status === 'split') {
      if (chunk.length === 1) {
        outcomes[chunk[0]] = { status: 'rejected', reason: `413 the document (${Buffer.byteLength(body)} bytes with its action line) is larger than the cluster accepts (http.max_content_length)` };
        return undefined;
      }
      const mid = chunk.length >> 1;
      const w1 = await this.#sendChunk(c, chunk.slice(0, mid), texts, outcomes, st, signal);
      if (w1?.status === 'retryable') { for (const i of chunk.slice(mid)) outcomes[i] = itemOf(w1); return w1; }
      return (await this.#sendChunk(c, chunk.slice(mid), texts, outcomes, st, signal)) ?? w1;
    }
    if (a.status === 404 && (a.body as { error?: EsErrorObject } | undefined)?.error?.type === 'index_not_found_exception' && st.missingTemplates++ === 0) {
      st.example = `HTTP 404 ${(a.body as { error: EsErrorObject }).error.reason ?? ''}`;
    }
    const w = { ...(rc as Whole), reason: this.#redact((rc as Whole).reason) } as Whole;
    for (const i of chunk) outcomes[i] = itemOf(w);
    return w;
  }

  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client?.close();
  }
}

export function createElasticsearchExporter(options: ElasticsearchExporterOptions, deps: ElasticsearchExporterDeps = {}): ElasticsearchExporter {
  return new EsExporter(options, deps);
}
