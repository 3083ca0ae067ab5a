// The OTLP/HTTP logs exporter: OtelRecords → ExportLogsServiceRequest (protobuf or JSON) → POST →
// SendOutcome. It classifies and never retries, sleeps or loops (src/delivery does that).
// A batch over maxRequestBytes goes out as several requests, SEQUENTIALLY, in batch order; after the
// first retryable failure the remaining requests are not sent (their items are retryable too), so a
// collector that is down or throttling is hit once per send. A 413 (the collector's limit is lower
// than ours) splits that request in halves within the same send, as the Elasticsearch exporter does;
// a single record still refused is rejected. See combine-outcomes.ts for the combined result.

import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { Exporter, ExportItem, SendOutcome } from '../../model/exporter.ts';
import type { OtelRecord } from '../../model/records.ts';
import { classifyResponse, classifyTransportError, tooLarge } from './classify.ts';
import { combineOutcomes } from './combine-outcomes.ts';
import type { ChunkResult } from './combine-outcomes.ts';
import { CONTENT_TYPE, encodeLogsRequest, encodeRangesInChunks } from './encode.ts';
import { createBodyWriters } from './body-writers.ts';
import { encodeLogsProto, encodeLogsProtoTo } from './encode-logs-proto.ts';
import type { EncodedChunk } from './encode.ts';
import { OtlpOptionsError, redactOtlpOptions, resolveOtlpOptions } from './options.ts';
import type { Env, OtlpHttpOptions, ResolvedOtlpOptions, WarnFn } from './options.ts';
import { createSdkResourceCache } from './sdk-resource-cache.ts';
import { toReadableLogRecord } from './to-readable-records.ts';
import { createTransport } from './transport.ts';
import type { Transport, TransportTls } from './transport.ts';
import type { ProtoWriter } from './proto-writer.ts';

const gzip = promisify(gzipCb);

export interface OtlpHttpExporter extends Exporter<OtelRecord> {
  /** The resolved settings with header values and URL credentials redacted (safe to log). */
  readonly settings: ResolvedOtlpOptions;
  /** protobuf: records may wait in its queue as their LogRecord bytes (encode-log-record.ts toEncodedRecord). */
  readonly takesEncodedRecords: boolean;
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
      throw new OtlpOptionsError(
        `tls.${name}`,
        `cannot read ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      );
    }
  };
  return {
    ca: await read(o.tls.caFile, 'caFile'),
    cert: await read(o.tls.certFile, 'certFile'),
    key: await read(o.tls.keyFile, 'keyFile'),
    rejectUnauthorized: !o.tls.insecureSkipVerify,
  };
}

function jsonEncoder(readable: ReadableLogRecord[]): (start: number, end: number) => Uint8Array {
  return (start, end) => encodeLogsRequest(readable.slice(start, end), 'http/json');
}

export function createOtlpHttpExporter(
  options: OtlpHttpOptions = {},
  deps: OtlpHttpExporterDeps = {},
): OtlpHttpExporter {
  const warn = deps.warn ?? ((m: string) => process.emitWarning(m, { code: 'TRACEE_EXPORTER_OTLP' }));
  const now = deps.now ?? Date.now;
  const resolved = resolveOtlpOptions(options, deps.env ?? process.env, warn);
  const cache = createSdkResourceCache({ defaults: resolved.resourceDefaults, overrides: resolved.resourceOverrides });
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
      transport = createTransport({
        url: resolved.url,
        timeoutMs: resolved.timeoutMs,
        maxResponseBytes: resolved.maxResponseBytes,
        tls,
      });
    })();
    return starting;
  }

  async function post(
    body: Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<{ outcome: SendOutcome; httpStatus?: number }> {
    if (signal?.aborted)
      return { outcome: { status: 'retryable', reason: `ABORTED: send aborted by the caller [${safeUrl}]` } };
    const payload = resolved.compression === 'gzip' ? await gzip(body) : body;
    const r = await transport!.post(payload, baseHeaders, signal);
    if (r.kind === 'error') return { outcome: classifyTransportError(r, safeUrl) };
    return { outcome: classifyResponse(r, now()), httpStatus: tooLarge(r) ? 413 : r.status };
  }

  let warned413 = false;
  // protobuf + gzip: each send writes its requests into a writer of its own and gzip reads them
  // from there (no new buffer per request); the writer is given back when the send ends, after
  // every gzip of its requests finished. Uncompressed bodies go to the socket as they are, which
  // may still read them after the answer, so they stay copies.
  const bodyWriters =
    resolved.protocol === 'http/protobuf' && resolved.compression === 'gzip'
      ? createBodyWriters(resolved.maxRequestBytes)
      : undefined;

  async function send(batch: readonly ExportItem<OtelRecord>[], signal?: AbortSignal): Promise<SendOutcome> {
    if (closed) throw new Error('otlp_http exporter: send() after shutdown()');
    if (batch.length === 0) return { status: 'ok' }; // spec: no empty envelopes
    await start();
    const records = batch.map((item) => item.record);
    const writer = bodyWriters?.take();
    try {
      return await sendRecords(batch.length, records, writer, signal);
    } finally {
      if (writer !== undefined) bodyWriters!.give(writer);
    }
  }

  async function sendRecords(
    count: number,
    records: OtelRecord[],
    writer: ProtoWriter | undefined,
    signal: AbortSignal | undefined,
  ): Promise<SendOutcome> {
    // protobuf: our direct writer (the OTel serializer's bytes, faster; see encode-logs-proto.ts),
    // into the send's own writer when it has one (a view, valid until the next encode);
    // JSON: the OTel serializer over ReadableLogRecords.
    const encodeRange =
      resolved.protocol !== 'http/protobuf'
        ? jsonEncoder(records.map((r) => toReadableLogRecord(r, cache)))
        : writer !== undefined
          ? (a: number, b: number) => encodeLogsProtoTo(writer, records.slice(a, b), cache)
          : (a: number, b: number) => encodeLogsProto(records.slice(a, b), cache);
    const views = writer !== undefined;
    const { chunks, unsendable } = encodeRangesInChunks(count, encodeRange, resolved.maxRequestBytes, views);
    const todo: EncodedChunk[] = chunks;
    const results: ChunkResult[] = [];
    let stop: SendOutcome | undefined;
    while (todo.length > 0) {
      const c = todo.shift()!;
      if (stop) {
        results.push({ start: c.start, end: c.end, outcome: stop });
        continue;
      }
      const { outcome, httpStatus } = await post(c.body, signal);
      if (httpStatus === 413 && c.end - c.start > 1) {
        // The collector's limit is below ours: send the halves (in order) within this send.
        if (!warned413) {
          warned413 = true;
          warn(
            `otlp_http: the collector answered 413 to a ${c.body.length}-byte request; lower maxRequestBytes [${safeUrl}]`,
          );
        }
        const mid = c.start + Math.floor((c.end - c.start) / 2);
        // views are overwritten by the next encode: the halves are copies
        const half = (a: number, b: number) => (views ? new Uint8Array(encodeRange(a, b)) : encodeRange(a, b));
        todo.unshift(
          { start: c.start, end: mid, body: half(c.start, mid) },
          { start: mid, end: c.end, body: half(mid, c.end) },
        );
        continue;
      }
      if (outcome.status === 'retryable') stop = outcome;
      results.push({ start: c.start, end: c.end, outcome });
    }
    if (unsendable.length === 0 && results.length === 1) return results[0].outcome;
    const combined = combineOutcomes(count, results, unsendable);
    if (combined.lostRejected > 0) {
      warn(
        `otlp_http: the collector rejected ${combined.lostRejected} log records (partial success) in a split batch [${safeUrl}]`,
      );
    }
    return combined.outcome;
  }

  async function shutdown(): Promise<void> {
    if (closed) return;
    closed = true;
    try {
      await starting;
    } catch {
      /* a failed start has nothing to close */
    }
    transport?.close();
  }

  return {
    name: options.name ?? 'otlp_http',
    target: 'otel',
    settings: redactOtlpOptions(resolved),
    takesEncodedRecords: resolved.protocol === 'http/protobuf',
    start,
    send,
    shutdown,
  };
}
