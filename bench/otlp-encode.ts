// OTLP protobuf encoding of the OTLP/HTTP exporter: OtelRecords → ReadableLogRecords (resource
// cache lookups, ns → HrTime) → ExportLogsServiceRequest bytes via @opentelemetry/otlp-transformer,
// in batches, with the maxRequestBytes split check; no compression, no network. For `npm run bench`.
// otlpDirectEncodePass: the same requests through our direct writer (what the exporter now uses).

import { encodeInChunks, encodeRangesInChunks } from '../src/exporters/otlp-http/encode.ts';
import { encodeLogsProto } from '../src/exporters/otlp-http/encode-logs-proto.ts';
import { resolveOtlpOptions } from '../src/exporters/otlp-http/options.ts';
import { createSdkResourceCache } from '../src/exporters/otlp-http/sdk-resource-cache.ts';
import { toReadableLogRecord } from '../src/exporters/otlp-http/to-readable-records.ts';
import { measureRepeatedly } from './measure.ts';
import type { OtelRecord } from '../src/model/records.ts';

export interface OtlpEncodeBenchOptions {
  /** Minimum measuring time in ms (default 1000). */
  minMs?: number;
  /** Records per request (default 512, the OTel JS BatchLogRecordProcessor batch size). */
  batchSize?: number;
}

export function benchOtlpEncode(
  records: OtelRecord[],
  opts: OtlpEncodeBenchOptions = {},
): { eventsPerSec: number; bytesPerEvent: number } {
  return measureRepeatedly(records.length, otlpEncodePass(records, opts.batchSize), opts.minMs ?? 1000);
}

/**
 * One encoding pass over all records in requests of `batchSize` (default 512), split at
 * maxRequestBytes as the exporter does: the bytes produced. `encoder` makes the encode function of
 * one request's records (resolved options and the resource cache are set up once per pass maker).
 */
function encodePass(
  records: OtelRecord[],
  batchSize: number,
  encoder: (
    o: ReturnType<typeof resolveOtlpOptions>,
    cache: ReturnType<typeof createSdkResourceCache>,
  ) => (batch: OtelRecord[]) => { chunks: Array<{ body: Uint8Array }>; unsendable: Array<{ reason: string }> },
): () => number {
  if (records.length === 0) throw new Error('benchOtlpEncode: no records');
  const o = resolveOtlpOptions({}, {}, () => {});
  const encode = encoder(o, createSdkResourceCache({ defaults: o.resourceDefaults, overrides: o.resourceOverrides }));
  return (): number => {
    let bytes = 0;
    for (let i = 0; i < records.length; i += batchSize) {
      const { chunks, unsendable } = encode(records.slice(i, Math.min(records.length, i + batchSize)));
      if (unsendable.length > 0) throw new Error(`benchOtlpEncode: ${unsendable[0].reason}`);
      for (const c of chunks) bytes += c.body.length;
    }
    return bytes;
  };
}

/** Through the OTel JS serializer: OtelRecords → ReadableLogRecords → bytes. */
export function otlpEncodePass(records: OtelRecord[], batchSize = 512): () => number {
  return encodePass(
    records,
    batchSize,
    (o, cache) => (batch) =>
      encodeInChunks(
        batch.map((r) => toReadableLogRecord(r, cache)),
        'http/protobuf',
        o.maxRequestBytes,
      ),
  );
}

/** Records per request in the OTLP rows of `npm run bench` (the OTel JS BatchLogRecordProcessor's). */
export const OTLP_BATCH = 512;

/** Our direct writer for one request's records, split at maxRequestBytes as the exporter does: the bytes produced. */
export function otlpDirectEncoder(): (batch: OtelRecord[]) => number {
  const o = resolveOtlpOptions({}, {}, () => {});
  const cache = createSdkResourceCache({ defaults: o.resourceDefaults, overrides: o.resourceOverrides });
  return (batch) => {
    const { chunks, unsendable } = encodeRangesInChunks(
      batch.length,
      (a, b) => encodeLogsProto(batch.slice(a, b), cache),
      o.maxRequestBytes,
    );
    if (unsendable.length > 0) throw new Error(`benchOtlpEncode: ${unsendable[0].reason}`);
    let bytes = 0;
    for (const c of chunks) bytes += c.body.length;
    return bytes;
  };
}

/** Through our direct writer (encode-logs-proto.ts): OtelRecords → bytes, no ReadableLogRecords. */
export function otlpDirectEncodePass(records: OtelRecord[], batchSize = 512): () => number {
  return encodePass(
    records,
    batchSize,
    (o, cache) => (batch) =>
      encodeRangesInChunks(batch.length, (a, b) => encodeLogsProto(batch.slice(a, b), cache), o.maxRequestBytes),
  );
}
