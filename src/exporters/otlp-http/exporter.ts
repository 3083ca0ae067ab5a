// The OTLP/HTTP logs exporter: OtelRecords → ExportLogsServiceRequest (protobuf or JSON) → POST →
// SendOutcome. It classifies and never retries, sleeps or loops (src/delivery does that).
// A batch over maxRequestBytes goes out as several requests, SEQUENTIALLY, in batch order; after the
// first retryable failure the remaining requests are not sent (their items are retryable too), so a
// collector that is down or throttling is hit once per send. See combine-outcomes.ts for the result.

import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { Exporter, ExportItem, SendOutcome } from '../../model/exporter.ts';
import type { OtelRecord } from '../../model/records.ts';
import { classifyResponse, classifyTransportError } from './classify.ts';
import { combineOutcomes } from './combine-outcomes.ts';
import type { ChunkResult } from './combine-outcomes.ts';
import { CONTENT_TYPE, encodeInChunks } from './encode.ts';
import { OtlpOptionsError, redactOtlpOptions, resolveOtlpOptions } from './options.ts';
import type { Env, OtlpHttpOptions, ResolvedOtlpOptions, WarnFn } from './options.ts';
import { createResourceCache } from './resource-cache.ts';
import { toReadableLogRecord } from './to-readable-records.ts';
import { createTransport } from './transport.ts';
import type { Transport, TransportTls } from './transport.ts';

const gzip = promisify(gzipCb);

export interface OtlpHttpExporter extends Exporter<OtelRecord> {
  /** The resolved settings with header values and URL credentials redacted (safe to log). */
  readonly settings: ResolvedOtlpOptions;
}

export interface OtlpHttpExporterDeps {
  env?: Env;
  /** Warnings: ignored env values, partial-success counts a `partial` outcome cannot carry. */
  warn?: WarnFn;
  now?: () => number;
}

/** The URL for messages: no user-info, no query (either may carry a credential). */
export function redactUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

async function loadTls(o: ResolvedOtlpOptions): Promise<TransportTls | undefined> {
  if (!o.url.startsWith('https:')) return undefined;
  const read = async (path: string | undefined, name: string): Promise<Buffer | undefined> => {
    if (path === undefined) return undefined;
    try {
      return await readFile(path);
    } catch (err) {
      throw new OtlpOptionsError(`tls.${name}`, `cannot read ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  };
  return {
    ca: await read(o.tls.caFile, 'caFile'),
    cert: await read(o.tls.certFile, 'certFile'),
    key: await read(o.tls.keyFile, 'keyFile'),
    rejectUnauthorized: !o.tls.insecureSkipVerify,
  };
}

export function createOtlpHttpExporter(options: OtlpHttpOptions = {}, deps: OtlpHttpExporterDeps = {}): OtlpHttpExporter {
  const warn = deps.warn ?? ((m: string) => process.emitWarning(m, { code: 'TRACEE_EXPORTER_OTLP' }));
  const now = deps.now ?? Date.now;
  const resolved = resolveOtlpOptions(options, deps.env ?? process.env, warn);
  const cache = createResourceCache({ defaults: resolved.resourceDefaults, overrides: resolved.resourceOverrides });
  const safeUrl = redactUrl(resolved.url);
  const baseHeaders: Record<string, string> = {
    ...resolved.headers,
    'content-type': CONTENT_TYPE[resolved.protocol],
    'user-agent': resolved.userAgent,
    ...(resolved.compression === 'gzip' ? { 'content-encoding': 'gzip' } : {}),
  };
  let transport: Transport | undefined;
  let starting: Promise<void> | undefined;
  let closed = false;

  function start(): Promise<void> {
    if (closed) return Promise.reject(new Error('otlp_http exporter is shut down'));
    starting ??= (async () => {
      const tls = await loadTls(resolved);
      transport = createTransport({ url: resolved.url, timeoutMs: resolved.timeoutMs, maxResponseBytes: resolved.maxResponseBytes, tls });
    })();
    return starting;
  }

  async function post(body: Uint8Array, signal: AbortSignal | undefined): Promise<SendOutcome> {
    if (signal?.aborted) return { status: 'retryable', reason: `ABORTED: send aborted by the caller [${safeUrl}]` };
    const payload = resolved.compression === 'gzip' ? await gzip(body) : body;
    const r = await transport!.post(payload, baseHeaders, signal);
    return r.kind === 'response' ? classifyResponse(r, now()) : classifyTransportError(r, safeUrl);
  }

  async function send(batch: readonly ExportItem<OtelRecord>[], signal?: AbortSignal): Promise<SendOutcome> {
    if (closed) throw new Error('otlp_http exporter: send() after shutdown()');
    if (batch.length === 0) return { status: 'ok' }; // spec: no empty envelopes
    await start();
    const readable = batch.map((item) => toReadableLogRecord(item.record, cache));
    const { chunks, unsendable } = encodeInChunks(readable, resolved.protocol, resolved.maxRequestBytes);
    if (unsendable.length === 0 && chunks.length === 1) return post(chunks[0].body, signal);

    const results: ChunkResult[] = [];
    let stop: SendOutcome | undefined;
    for (const c of chunks) {
      const outcome = stop ?? (await post(c.body, signal));
      if (outcome.status === 'retryable') stop = outcome;
      results.push({ start: c.start, end: c.end, outcome });
    }
    const combined = combineOutcomes(batch.length, results, unsendable);
    if (combined.lostRejected > 0) {
      warn(`otlp_http: the collector rejected ${combined.lostRejected} log records (partial success) in a split batch [${safeUrl}]`);
    }
    return combined.outcome;
  }

  async function shutdown(): Promise<void> {
    if (closed) return;
    closed = true;
    try {
      await starting;
    } catch { /* a failed start has nothing to close */ }
    transport?.close();
  }

  return { name: 'otlp_http', target: 'otel', settings: redactOtlpOptions(resolved), start, send, shutdown };
}
