// ExportLogsServiceRequest bytes from ReadableLogRecords, by the OpenTelemetry JS serializers
// (protobuf or JSON; the JSON form is the serializer's: lowerCamelCase, timestamps as decimal strings,
// intValue as JSON numbers, which OTLP/JSON receivers accept along with strings).
// A batch whose encoding is over `maxBytes` (uncompressed, as the collector measures after
// decompression) is split into contiguous chunks by halving; a single record over the limit cannot
// be sent (OTLP spec: the client MUST NOT send a larger request) and is reported as unsendable,
// as is a record the serializer throws on (isolated by halving, so the rest of the batch goes out).

import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { OtlpProtocol } from './options.ts';

export const CONTENT_TYPE: Record<OtlpProtocol, string> = {
  'http/protobuf': 'application/x-protobuf',
  'http/json': 'application/json',
};

export function encodeLogsRequest(records: ReadableLogRecord[], protocol: OtlpProtocol): Uint8Array {
  const s = protocol === 'http/json' ? JsonLogsSerializer : ProtobufLogsSerializer;
  const body = s.serializeRequest(records);
  if (body === undefined) throw new Error('OTLP serializer returned no bytes');
  return body;
}

export interface EncodedChunk {
  /** Batch indices [start, end) carried by this request. */
  start: number;
  end: number;
  body: Uint8Array;
}

export interface EncodedBatch {
  chunks: EncodedChunk[];
  /** Batch indices of records that cannot be sent alone: over the size limit, or not encodable. */
  unsendable: Array<{ index: number; reason: string }>;
}

export function encodeInChunks(records: ReadableLogRecord[], protocol: OtlpProtocol, maxBytes: number): EncodedBatch {
  return encodeRangesInChunks(
    records.length,
    (start, end) => encodeLogsRequest(records.slice(start, end), protocol),
    maxBytes,
  );
}

/** The same split for any encoder of the batch range [start, end) (e.g. the direct protobuf writer). */
export function encodeRangesInChunks(
  count: number,
  encodeRange: (start: number, end: number) => Uint8Array,
  maxBytes: number,
  /**
   * encodeRange returns views its next call overwrites: a chunk of part of the batch is kept as a
   * copy (new Uint8Array: a Buffer's slice() would be another view).
   */
  views = false,
): EncodedBatch {
  const out: EncodedBatch = { chunks: [], unsendable: [] };
  const visit = (start: number, end: number): void => {
    let body: Uint8Array;
    try {
      body = encodeRange(start, end);
    } catch (err) {
      // A value the serializer cannot take (e.g. a bigint slipped into JSON): halve to isolate it.
      if (end - start === 1) {
        out.unsendable.push({ index: start, reason: `record cannot be encoded: ${(err as Error).message}` });
      } else {
        const mid = start + Math.floor((end - start) / 2);
        visit(start, mid);
        visit(mid, end);
      }
      return;
    }
    if (body.length <= maxBytes) {
      out.chunks.push({ start, end, body: views && (start > 0 || end < count) ? new Uint8Array(body) : body });
    } else if (end - start === 1) {
      out.unsendable.push({
        index: start,
        reason: `record encodes to ${body.length} bytes, over maxRequestBytes ${maxBytes}`,
      });
    } else {
      // Aim straight at about the right number of parts, then halve further where needed.
      const parts = Math.min(end - start, Math.max(2, Math.ceil(body.length / maxBytes)));
      const step = (end - start) / parts;
      for (let i = 0; i < parts; i++) {
        const a = start + Math.floor(i * step);
        const b = i === parts - 1 ? end : start + Math.floor((i + 1) * step);
        if (b > a) visit(a, b);
      }
    }
  };
  if (count > 0) visit(0, count);
  return out;
}
