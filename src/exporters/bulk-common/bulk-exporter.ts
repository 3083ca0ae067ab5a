// The send loop the Elasticsearch and OpenSearch exporters share (target 'ecs'): one send(batch) = one `_bulk`
// request of `create` actions into the Tracee data streams (split when over maxBulkBytes or on 413),
// classified per item; templates installed or checked on start, and reinstalled once per episode when the
// cluster lost them. It never sleeps or retries on its own: the delivery layer does.
// What differs per server is a BulkDialect: the client and how it sends, the template dialect, and what the
// server does when the data stream and its template are gone (Elasticsearch refuses the item with 404;
// OpenSearch stores it in a plain index it creates under the stream's name, which the dialect repairs).

import type { ExportItem, Exporter, ItemOutcome, SendOutcome } from '../../model/exporter.ts';
import type { EcsRecord } from '../../model/records.ts';
import { BulkEncoder, chunkBySize } from '../elasticsearch/bulk-body.ts';
import {
  classifyRequestStatus,
  classifyThrown,
  esItemVerdict,
  outcomeOf,
  type BulkResponseItem,
  type DriftCheck,
  type EsErrorObject,
} from '../elasticsearch/classify.ts';
import type { ResolvedElasticsearchOptions } from '../elasticsearch/config.ts';
import type { Logger } from '../elasticsearch/logger.ts';
import { makeRedactor, type Redactor } from '../elasticsearch/redact.ts';
import type { EsAnswer } from '../elasticsearch/requester.ts';
import { driftCheck } from '../elasticsearch/template-fields.ts';
import {
  checkTemplates,
  installTemplates,
  TemplateError,
  type TemplateAdapt,
  type TemplateIo,
} from '../elasticsearch/template-install.ts';

export interface BulkDialect<C> {
  /** The server's name in reasons and log lines. */
  readonly product: string;
  /** The server's changes to the template set (none for Elasticsearch). */
  readonly adapt?: TemplateAdapt;
  /**
   * True when the server stores an item for a missing data stream in a plain index of the stream's name
   * (OpenSearch) instead of refusing it (Elasticsearch with require_data_stream).
   */
  readonly autoCreatesPlainIndex?: boolean;
  /** The client; may fetch something first (Elasticsearch with tls.caFingerprint: the pinned CA). */
  client(): Promise<C>;
  /** Whether client() has a client yet (the start-up log line differs). */
  hasClient(): boolean;
  /** An error of client() that no retry clears: start() throws it, send() rejects the batch. */
  isFatal?(err: unknown): boolean;
  /** One `_bulk` request; throws only what is not an HTTP answer. */
  bulk(c: C, body: Buffer, signal?: AbortSignal): Promise<EsAnswer>;
  /** Template requests, for install / check. */
  templates(c: C): TemplateIo;
  /** More secrets to keep out of reasons and log lines (OpenSearch with SigV4: the AWS keys it read). */
  readonly redact?: Redactor;
  /** OpenSearch: drop the plain index it auto-created under a stream's name (after our templates are back). */
  removePlainIndex?(c: C, name: string): Promise<EsAnswer>;
  close(): Promise<void>;
}

export interface BulkExporter extends Exporter<EcsRecord> {
  readonly options: ResolvedElasticsearchOptions;
  /** Differences found by `templates: 'check'` at start ([] = in sync; undefined = not checked). */
  readonly templateDiffs: readonly string[] | undefined;
  /** Field types downgraded to core types at install (empty on a full distribution). */
  readonly downgradedTypes: readonly string[];
}

type Whole = Extract<SendOutcome, { status: 'retryable' | 'rejected' }>;

/** What one send() learnt about the cluster's state. */
interface SendState {
  missingTemplates: number;
  example: string;
  plainIndexes: Set<string>;
}

/** Reinstall backoff: a cluster that loses its templates again right after a reinstall is not hammered. */
const REINSTALL_MIN_GAP_MS = 1000;
const REINSTALL_MAX_GAP_MS = 60_000;

function itemOf(o: Whole): ItemOutcome {
  return o.status === 'retryable'
    ? o.retryAfterMs === undefined
      ? { status: 'retryable', reason: o.reason }
      : { status: 'retryable', reason: o.reason, retryAfterMs: o.retryAfterMs }
    : { status: 'rejected', reason: o.reason, ...(o.cause ? { cause: o.cause } : {}) };
}

export class BulkExporterCore<C> implements BulkExporter {
  readonly target = 'ecs' as const;
  readonly name: string;
  readonly options: ResolvedElasticsearchOptions;
  templateDiffs: string[] | undefined;
  downgradedTypes: string[] = [];
  readonly #d: BulkDialect<C>;
  readonly #logger: Logger;
  readonly #encoder: BulkEncoder;
  readonly #redact: Redactor;
  readonly #drift: DriftCheck;
  /** The stream names, when the server may put an item in a plain index of that name. */
  readonly #streams: ReadonlySet<string> | undefined;
  #templatesPending = false;
  #closed = false;
  /** The reinstall in progress, shared by every batch that found the templates missing. */
  #reinstalling: Promise<void> | undefined;
  #lastReinstallAt = -Infinity;
  #reinstallGap = REINSTALL_MIN_GAP_MS;
  #missingEpisode = false;

  constructor(options: ResolvedElasticsearchOptions, dialect: BulkDialect<C>, logger: Logger) {
    this.options = options;
    this.name = options.name;
    this.#d = dialect;
    this.#logger = logger;
    this.#encoder = new BulkEncoder(options.targets);
    const base = makeRedactor(options.auth);
    const extra = dialect.redact;
    this.#redact = extra ? (t) => extra(base(t)) : base;
    this.#drift = driftCheck(options.targets, dialect.adapt);
    this.#streams = dialect.autoCreatesPlainIndex
      ? new Set([options.targets.event.name, options.targets.alert.name])
      : undefined;
  }

  #thrown(err: unknown): Whole {
    return classifyThrown(err, this.#d.product) as Whole;
  }

  #install(c: C) {
    return installTemplates(this.#d.templates(c), this.options.targets, this.#logger, this.#d.adapt, this.#d.product);
  }

  /**
   * The cluster has no data stream and no template for it (rebuilt cluster, deleted data stream, removed
   * templates): install ours again, once per episode and with a growing gap, shared by concurrent batches;
   * then remove the plain indexes the server created meanwhile under the streams' names (their items were
   * all answered as retryable). The items stay retryable; the delivery layer sends them again after its backoff.
   */
  async #reinstall(c: C, st: SendState): Promise<void> {
    const product = this.#d.product;
    if (!this.#missingEpisode) {
      this.#missingEpisode = true;
      this.#logger.warn(
        `${product} has no data stream and no index template for our events (a rebuilt cluster, a deleted data stream or removed templates: ${st.example})` +
          (this.options.templates === 'install'
            ? '; reinstalling the templates and retrying them (not dead-lettered)'
            : `; templates: ${this.options.templates}, so not reinstalling: install them, the events are retried meanwhile`),
      );
    }
    if (this.options.templates !== 'install') return;
    if (this.#reinstalling) return this.#reinstalling;
    const now = Date.now();
    if (now - this.#lastReinstallAt < this.#reinstallGap) return;
    this.#lastReinstallAt = now;
    this.#reinstallGap = Math.min(this.#reinstallGap * 2, REINSTALL_MAX_GAP_MS);
    const plain = [...st.plainIndexes];
    this.#reinstalling = (async () => {
      try {
        this.downgradedTypes = (await this.#install(c)).downgraded;
        this.#logger.warn(`templates reinstalled`);
        for (const name of plain) await this.#removePlain(c, name);
      } catch (err) {
        const reason = err instanceof TemplateError ? err.message : this.#thrown(err).reason;
        this.#logger.warn(`cannot reinstall the templates yet: ${this.#redact(reason)}`);
      } finally {
        this.#reinstalling = undefined;
      }
    })();
    return this.#reinstalling;
  }

  async #removePlain(c: C, name: string): Promise<void> {
    const a = await this.#d.removePlainIndex!(c, name);
    if (a.status >= 200 && a.status < 300)
      this.#logger.warn(
        `removed the plain index ${name} that ${this.#d.product} created while the data stream was missing (its events are sent again into the data stream)`,
      );
    else if (a.status !== 404) this.#logger.warn(`cannot remove the plain index ${name} yet: HTTP ${a.status}`);
  }

  /** A send that met no missing template ends the episode: the next one logs again and reinstalls at once. */
  #clearEpisode(): void {
    if (!this.#missingEpisode) return;
    this.#missingEpisode = false;
    this.#reinstallGap = REINSTALL_MIN_GAP_MS;
    this.#lastReinstallAt = -Infinity;
  }

  async start(): Promise<void> {
    if (this.#closed) throw new Error(`${this.name}: start() after shutdown()`);
    if (this.options.tls.insecureSkipVerify)
      this.#logger.warn(`TLS certificate verification is OFF (tls.insecureSkipVerify)`);
    const mode = this.options.templates;
    try {
      const c = await this.#d.client();
      if (mode === 'skip') return;
      if (mode === 'install') {
        this.downgradedTypes = (await this.#install(c)).downgraded;
        this.#templatesPending = false;
        return;
      }
      this.templateDiffs = await checkTemplates(this.#d.templates(c), this.options.targets, this.#d.adapt);
      if (this.templateDiffs.length) {
        const shown = this.templateDiffs
          .slice(0, 20)
          .map((d) => `  ${d}`)
          .join('\n');
        this.#logger.warn(
          `the cluster's templates differ from tracee-exporter's (${this.templateDiffs.length} differences):\n${shown}`,
        );
      }
    } catch (err) {
      if (this.#d.isFatal?.(err)) throw err;
      const thrown = err instanceof TemplateError ? undefined : this.#thrown(err);
      const reason = this.#redact(thrown ? thrown.reason : (err as Error).message);
      const transient = thrown ? thrown.status === 'retryable' : (err as TemplateError).retryable;
      // fatal: run stops with this message, which no logger prefixes: it names the exporter
      if (!transient) throw new TemplateError(`${this.name}: ${reason}`, false);
      if (mode === 'install') this.#templatesPending = true;
      if (!this.#d.hasClient()) {
        this.#logger.warn(`cannot fetch the pinned CA yet (${reason}); will retry before the first bulk request`);
        return;
      }
      this.#logger.warn(
        `templates not ${mode === 'install' ? 'installed' : 'checked'} yet (${reason})${mode === 'install' ? '; will install before the first bulk request' : ''}`,
      );
    }
  }

  async send(batch: readonly ExportItem<EcsRecord>[], signal?: AbortSignal): Promise<SendOutcome> {
    if (batch.length === 0) return { status: 'ok' };
    if (this.#closed) return { status: 'retryable', reason: `${this.name} is shut down` };
    let c: C;
    try {
      c = await this.#d.client();
    } catch (err) {
      if (this.#d.isFatal?.(err)) return { status: 'rejected', reason: (err as Error).message };
      const o = this.#thrown(err);
      return { ...o, reason: this.#redact(o.reason) };
    }
    if (this.#templatesPending) {
      try {
        this.downgradedTypes = (await this.#install(c)).downgraded;
        this.#templatesPending = false;
      } catch (err) {
        if (err instanceof TemplateError && !err.retryable)
          return { status: 'rejected', reason: this.#redact(err.message) };
        const o: Whole =
          err instanceof TemplateError ? { status: 'retryable', reason: err.message } : this.#thrown(err);
        return { ...o, reason: this.#redact(`templates not installed yet: ${o.reason}`) };
      }
    }
    const n = batch.length;
    const outcomes: ItemOutcome[] = new Array(n);
    const bodies: Buffer[] = new Array(n);
    const sizes: number[] = new Array(n);
    const sendable: number[] = [];
    const ingested = new Date().toISOString(); // this attempt's: a retry sends its own time
    for (let i = 0; i < n; i++) {
      const e = this.#encoder.encode(batch[i].record, ingested);
      if (e.ok) {
        bodies[i] = e.body;
        sizes[i] = e.bytes;
        sendable.push(i);
      } else outcomes[i] = { status: 'rejected', reason: e.reason };
    }
    const wholes: Whole[] = [];
    let stop: Whole | undefined;
    const st: SendState = { missingTemplates: 0, example: '', plainIndexes: new Set() };
    for (const chunk of chunkBySize(sendable, sizes, this.options.maxBulkBytes)) {
      if (stop) {
        for (const i of chunk) outcomes[i] = itemOf(stop);
        continue;
      }
      const w = await this.#sendChunk(c, chunk, bodies, sizes, outcomes, st, signal);
      if (w) {
        wholes.push(w);
        if (w.status === 'retryable') stop = w;
      }
    }
    if (st.missingTemplates > 0) await this.#reinstall(c, st);
    else if (!stop) this.#clearEpisode();
    return this.#summarize(outcomes, wholes, sendable.length === n);
  }

  #summarize(outcomes: ItemOutcome[], wholes: Whole[], allEncoded: boolean): SendOutcome {
    if (outcomes.every((o) => o.status === 'ok')) return { status: 'ok' };
    // Every item failed the same way at request level → report it for the whole batch.
    if (allEncoded && wholes.length > 0) {
      const first = wholes[0];
      const same = outcomes.every(
        (o) => o.status === first.status && 'reason' in o && wholes.some((w) => w.reason === o.reason),
      );
      if (same) return first;
    }
    return { status: 'partial', items: outcomes };
  }

  /** Sends one bulk request; fills `outcomes` for its items; returns the whole-request failure if there was one. */
  async #sendChunk(
    c: C,
    chunk: number[],
    bodies: Buffer[],
    sizes: number[],
    outcomes: ItemOutcome[],
    st: SendState,
    signal?: AbortSignal,
  ): Promise<Whole | undefined> {
    let length = 0;
    for (const i of chunk) length += sizes[i];
    const body =
      chunk.length === 1
        ? bodies[chunk[0]]
        : Buffer.concat(
            chunk.map((i) => bodies[i]),
            length,
          );
    let a: EsAnswer;
    try {
      a = await this.#d.bulk(c, body, signal);
    } catch (err) {
      const o = this.#thrown(err);
      const w: Whole = { ...o, reason: this.#redact(signal?.aborted ? 'request aborted' : o.reason) };
      for (const i of chunk) outcomes[i] = itemOf(w);
      return w;
    }
    if (a.status >= 200 && a.status < 300) {
      const b = a.body as { errors?: boolean; items?: Array<Record<string, BulkResponseItem>> };
      // with a plain-index check every item is read (a plain index answers errors: false too), when listed
      if (b?.errors === false && (!this.#streams || !Array.isArray(b.items))) {
        for (const i of chunk) outcomes[i] = { status: 'ok' };
        return undefined;
      }
      const items = b?.items ?? [];
      for (let k = 0; k < chunk.length; k++) {
        const it = items[k];
        const item = it ? (it.create ?? Object.values(it)[0]) : undefined;
        const v = esItemVerdict(item, this.#drift, this.#streams);
        if (v.class === 'destination_state' && (v.condition === 'missing_template' || v.condition === 'plain_index')) {
          if (st.missingTemplates++ === 0) st.example = v.reason;
          if (v.condition === 'plain_index') st.plainIndexes.add(item!._index!);
        }
        outcomes[chunk[k]] = outcomeOf(v);
      }
      return undefined;
    }
    const product = this.#d.product;
    const rc = classifyRequestStatus(a.status, a.body, a.headers['retry-after'], product);
    if (rc.status === 'split') {
      if (chunk.length === 1) {
        outcomes[chunk[0]] = {
          status: 'rejected',
          reason: `413 the document (${body.length} bytes with its action line) is larger than the cluster accepts (http.max_content_length)`,
        };
        return undefined;
      }
      const mid = chunk.length >> 1;
      const w1 = await this.#sendChunk(c, chunk.slice(0, mid), bodies, sizes, outcomes, st, signal);
      if (w1?.status === 'retryable') {
        for (const i of chunk.slice(mid)) outcomes[i] = itemOf(w1);
        return w1;
      }
      return (await this.#sendChunk(c, chunk.slice(mid), bodies, sizes, outcomes, st, signal)) ?? w1;
    }
    if (
      a.status === 404 &&
      (a.body as { error?: EsErrorObject } | undefined)?.error?.type === 'index_not_found_exception' &&
      st.missingTemplates++ === 0
    ) {
      st.example = `HTTP 404 ${(a.body as { error: EsErrorObject }).error.reason ?? ''}`;
    }
    const w = { ...(rc as Whole), reason: this.#redact((rc as Whole).reason) } as Whole;
    for (const i of chunk) outcomes[i] = itemOf(w);
    return w;
  }

  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#d.close();
  }
}
