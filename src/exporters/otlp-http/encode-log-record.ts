// One OtelRecord ⇄ one OTLP LogRecord message (opentelemetry-proto logs.v1.LogRecord, protobuf), so a
// record can wait in a queue as a few hundred bytes instead of an object graph (issue #16: queued
// attribute objects were promoted to old space and garbage collection took a quarter of the CPU).
//   encodeLogRecord(rec)      the message's bytes, written by the request encoder's own writeLogRecord
//                             (encode-logs-proto.ts), so a request built from them is byte-identical
//   decodeLogRecord(bytes)    every field back (attributes and body as AttrValues)
//   toEncodedRecord(rec)      the record carrying its bytes (`encoded`); its attributes and body are
//                             decoded from them when someone asks (a dead letter, OTLP/JSON, a test)
//   encodedRecordOf(res, b)   such a record from bytes (a disk buffer frame, another thread)
// The bytes of many records share one ArrayBuffer (src/util/byte-slab.ts, each record a subarray): one
// allocation per ~50 records instead of one per record. A slab lives while any of its records does.
// Decoding gives back what the bytes say: integers as numbers (exact: they were written from numbers),
// strings as UTF-8 decodes them (a lone surrogate comes back as U+FFFD, as it was sent), an empty
// AnyValue (a value of no OTLP type: null in event data) as null, times <= 0 as 0 (as they were sent).

import type { AttrValue, Attributes, OtelRecord, OtelResource } from '../../model/records.ts';
import { writeLogRecord } from './encode-logs-proto.ts';
import { slabCopy } from '../../util/byte-slab.ts';
import { ProtoWriter } from './proto-writer.ts';

const writer = new ProtoWriter(16 * 1024);

/** Where encoded bytes are copied to: src[0, n) → a Uint8Array the record keeps. */
export type ByteAlloc = (src: Buffer, n: number) => Uint8Array;

/** The LogRecord message of `rec` (no tag, no length): its own bytes if it carries them. */
export function encodeLogRecord(rec: OtelRecord, alloc: ByteAlloc = slabCopy): Uint8Array {
  if (rec.encoded !== undefined) return rec.encoded;
  const w = writer;
  w.pos = 0;
  try {
    writeLogRecord(w, rec);
    return alloc(w.buf, w.pos);
  } finally {
    w.pos = 0;
  }
}

// ---- decoding

const TWO_32 = 4294967296;

class Reader {
  readonly buf: Buffer;
  pos: number;
  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
  }

  fail(what: string): never {
    throw new Error(`OTLP LogRecord bytes: ${what} at byte ${this.pos}`);
  }

  /** A varint of up to 32 bits (tags, lengths, enums). */
  uint32(): number {
    const b = this.buf;
    let v = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= b.length) this.fail('truncated varint');
      const c = b[this.pos++];
      if (shift < 28) v |= (c & 127) << shift;
      else v += (c & 127) * 2 ** shift;
      if (c < 128) return v;
      shift += 7;
      if (shift > 63) this.fail('varint too long');
    }
  }

  /** A varint as int64 (two's complement), as a number: exact for the numbers writeAnyValue wrote. */
  int64(): number {
    const b = this.buf;
    let low = 0;
    let high = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= b.length) this.fail('truncated varint');
      const c = b[this.pos++];
      const bits = c & 127;
      if (shift < 28) low |= bits << shift;
      else if (shift === 28) {
        low |= (bits & 15) << 28;
        high |= bits >>> 4;
      } else high |= bits << (shift - 32);
      if (c < 128) break;
      shift += 7;
      if (shift > 63) this.fail('varint too long');
    }
    low >>>= 0;
    high >>>= 0;
    if (high < 0x80000000) return high * TWO_32 + low;
    // negative: -(~v + 1), the magnitude's two halves exact, their sum the (representable) number
    let mLow = (~low >>> 0) + 1;
    let mHigh = ~high >>> 0;
    if (mLow === TWO_32) {
      mLow = 0;
      mHigh += 1;
    }
    return -(mHigh * TWO_32 + mLow);
  }

  fixed64(): bigint {
    if (this.pos + 8 > this.buf.length) this.fail('truncated fixed64');
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.buf.length) this.fail('truncated double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** The end of a length-delimited field whose length comes next. */
  lengthEnd(): number {
    const len = this.uint32();
    const end = this.pos + len;
    if (end > this.buf.length) this.fail('length past the end');
    return end;
  }

  string(): string {
    const end = this.lengthEnd();
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return s;
  }

  /** Skips a field of this wire type (an unknown field). */
  skip(tag: number): void {
    switch (tag & 7) {
      case 0:
        this.int64();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2:
        this.pos = this.lengthEnd();
        return;
      case 5:
        this.pos += 4;
        return;
      default:
        this.fail(`wire type ${tag & 7}`);
    }
  }
}

/** An AnyValue's fields up to `end`; null for an empty one. */
function readAnyValue(r: Reader, end: number): AttrValue {
  let value = null as unknown as AttrValue;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case 0x0a: // string_value
        value = r.string();
        break;
      case 0x10: // bool_value
        value = r.int64() !== 0;
        break;
      case 0x18: // int_value
        value = r.int64();
        break;
      case 0x21: // double_value
        value = r.double();
        break;
      case 0x2a: {
        // array_value: ArrayValue{values = 1}
        const arrEnd = r.lengthEnd();
        const arr: AttrValue[] = [];
        while (r.pos < arrEnd) {
          const t = r.uint32();
          if (t !== 0x0a) {
            r.skip(t);
            continue;
          }
          const itemEnd = r.lengthEnd();
          arr.push(readAnyValue(r, itemEnd));
          r.pos = itemEnd;
        }
        value = arr;
        break;
      }
      case 0x32: {
        // kvlist_value: KeyValueList{values = 1}
        const listEnd = r.lengthEnd();
        const obj: Attributes = {};
        readKeyValues(r, listEnd, 0x0a, obj);
        value = obj;
        break;
      }
      case 0x3a: {
        // bytes_value: a copy (the record's bytes may share a slab)
        const bEnd = r.lengthEnd();
        value = new Uint8Array(r.buf.subarray(r.pos, bEnd)) as unknown as AttrValue;
        r.pos = bEnd;
        break;
      }
      default:
        r.skip(tag);
    }
  }
  return value;
}

/** KeyValues under `tag` up to `end` into `into` (other fields skipped). */
function readKeyValues(r: Reader, end: number, tag: number, into: Attributes): void {
  while (r.pos < end) {
    const t = r.uint32();
    if (t !== tag) {
      r.skip(t);
      continue;
    }
    readKeyValue(r, r.lengthEnd(), into);
  }
}

function readKeyValue(r: Reader, end: number, into: Attributes): void {
  let key = '';
  let value = null as unknown as AttrValue;
  while (r.pos < end) {
    const t = r.uint32();
    if (t === 0x0a) key = r.string();
    else if (t === 0x12) {
      const vEnd = r.lengthEnd();
      value = readAnyValue(r, vEnd);
      r.pos = vEnd;
    } else r.skip(t);
  }
  r.pos = end;
  // a key named __proto__ is data here, not the object's prototype
  if (key === '__proto__')
    Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else into[key] = value;
}

/** The fields of a LogRecord message. */
export interface LogRecordFields {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  eventName: string;
  body?: AttrValue;
  attributes: Attributes;
}

/** A LogRecord message's fields (absent ones as protobuf defaults: 0, ''; no body: no `body`). Throws on bad bytes. */
export function decodeLogRecord(bytes: Uint8Array): LogRecordFields {
  return readLogRecord(bytes, true);
}

function readLogRecord(bytes: Uint8Array, values: boolean): LogRecordFields {
  const r = new Reader(bytes);
  const end = bytes.byteLength;
  const out: LogRecordFields = {
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    eventName: '',
    attributes: {},
  };
  let body: AttrValue | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case 0x09:
        out.timeUnixNano = r.fixed64();
        break;
      case 0x10:
        out.severityNumber = r.int64();
        break;
      case 0x1a:
        out.severityText = r.string();
        break;
      case 0x2a: {
        const bEnd = r.lengthEnd();
        if (values) body = readAnyValue(r, bEnd);
        r.pos = bEnd;
        break;
      }
      case 0x32: {
        const kvEnd = r.lengthEnd();
        if (values) readKeyValue(r, kvEnd, out.attributes);
        r.pos = kvEnd;
        break;
      }
      case 0x59:
        out.observedTimeUnixNano = r.fixed64();
        break;
      case 0x62:
        out.eventName = r.string();
        break;
      default:
        r.skip(tag);
    }
  }
  if (r.pos !== end) r.fail('field past the end');
  if (body !== undefined) out.body = body;
  return out;
}

// ---- records that carry their bytes

interface Values {
  attributes: Attributes;
  body?: AttrValue;
}

const TWO_64 = 1n << 64n;

type Severity = Pick<OtelRecord, 'severityNumber' | 'severityText' | 'eventName'>;

/** The times a record must keep beside its bytes: those a fixed64 cannot say (<= 0, >= 2^64); undefined when it can. */
function timesToKeep(t: bigint, o: bigint): readonly [bigint, bigint] | undefined {
  return t > 0n && t < TWO_64 && o > 0n && o < TWO_64 ? undefined : [t, o];
}

/**
 * An OtelRecord whose attributes and body live in `encoded` (decoded once, on first use). Immutable:
 * the bytes are what is sent. JSON.stringify gives the same object as for the plain record.
 * Small on the heap, as it waits in a queue (issue #16: every queued record is promoted to old
 * space, and full collections come as often as old space fills): the bytes as their buffer, offset
 * and length (`encoded` is a view made when asked), the times read back from the bytes when asked
 * (kept beside them only when the bytes cannot say them: <= 0 or past 2^64).
 */
class EncodedOtelRecord implements OtelRecord {
  readonly resource: OtelResource;
  readonly severityNumber: number;
  readonly severityText: string;
  readonly eventName: string;
  private readonly bytes: ArrayBufferLike;
  private readonly offset: number;
  private readonly length: number;
  private times: readonly [bigint, bigint] | undefined;
  private values: Values | undefined;

  /** `times`: the times when the bytes cannot say them (timesToKeep), else undefined (read back from the bytes). */
  constructor(
    resource: OtelResource,
    encoded: Uint8Array,
    sev: Severity,
    times: readonly [bigint, bigint] | undefined,
  ) {
    this.resource = resource;
    this.severityNumber = sev.severityNumber;
    this.severityText = sev.severityText;
    this.eventName = sev.eventName;
    this.bytes = encoded.buffer;
    this.offset = encoded.byteOffset;
    this.length = encoded.byteLength;
    this.times = times;
    this.values = undefined;
  }

  /** The times kept beside the bytes because the bytes cannot say them (<= 0 or past 2^64), else undefined. */
  keptTimes(): readonly [bigint, bigint] | undefined {
    const t = this.times;
    return t === undefined ? undefined : timesToKeep(t[0], t[1]);
  }

  /** The same record with its bytes copied by `alloc`. */
  copiedBy(alloc: ByteAlloc): EncodedOtelRecord {
    const src = Buffer.from(this.bytes, this.offset, this.length);
    return new EncodedOtelRecord(this.resource, alloc(src, this.length), this, this.keptTimes());
  }

  get encoded(): Uint8Array {
    return new Uint8Array(this.bytes, this.offset, this.length);
  }

  /** The buffer the bytes are in (encodedBufferOf). */
  get bytesBuffer(): ArrayBufferLike {
    return this.bytes;
  }

  get bytesLength(): number {
    return this.length;
  }

  private timesOf(): readonly [bigint, bigint] {
    if (this.times === undefined) {
      const f = readLogRecord(this.encoded, false);
      this.times = [f.timeUnixNano, f.observedTimeUnixNano];
    }
    return this.times;
  }

  get timeUnixNano(): bigint {
    return this.timesOf()[0];
  }

  get observedTimeUnixNano(): bigint {
    return this.timesOf()[1];
  }

  private decoded(): Values {
    if (this.values === undefined) {
      const f = decodeLogRecord(this.encoded);
      this.values = f.body === undefined ? { attributes: f.attributes } : { attributes: f.attributes, body: f.body };
    }
    return this.values;
  }

  get attributes(): Attributes {
    return this.decoded().attributes;
  }

  get body(): AttrValue | undefined {
    return this.decoded().body;
  }

  /** The plain record's shape (the dead letter writes it). */
  toJSON(): Record<string, unknown> {
    const v = this.decoded();
    const o: Record<string, unknown> = {
      resource: this.resource,
      timeUnixNano: this.timeUnixNano,
      observedTimeUnixNano: this.observedTimeUnixNano,
      severityNumber: this.severityNumber,
      severityText: this.severityText,
      eventName: this.eventName,
      attributes: v.attributes,
    };
    if (v.body !== undefined) o.body = v.body;
    return o;
  }
}

/**
 * Where a record's bytes are, without making a view of them (a queue retains and releases their
 * slab per item): the buffer and byte length; undefined for a record without bytes.
 */
export function encodedBufferOf(rec: OtelRecord): ArrayBufferLike | undefined {
  if (rec instanceof EncodedOtelRecord) return rec.bytesBuffer;
  return rec.encoded?.buffer;
}

export function encodedLengthOf(rec: OtelRecord): number {
  if (rec instanceof EncodedOtelRecord) return rec.bytesLength;
  return rec.encoded?.byteLength ?? 0;
}

let lastIn: OtelRecord | undefined;
let lastOut: OtelRecord | undefined;

/**
 * The record carrying its LogRecord bytes (itself if it already does). The same record pushed to
 * several exporters in a row is encoded once (not with an `alloc` of the caller's: the caller owns
 * those bytes).
 */
export function toEncodedRecord(rec: OtelRecord, alloc?: ByteAlloc): OtelRecord {
  if (rec instanceof EncodedOtelRecord || rec.encoded !== undefined) return rec;
  const times = timesToKeep(rec.timeUnixNano, rec.observedTimeUnixNano);
  if (alloc !== undefined) return new EncodedOtelRecord(rec.resource, encodeLogRecord(rec, alloc), rec, times);
  if (rec === lastIn && lastOut !== undefined) return lastOut;
  const out = new EncodedOtelRecord(rec.resource, encodeLogRecord(rec), rec, times);
  lastIn = rec;
  lastOut = out;
  return out;
}

/** A record from its LogRecord bytes, resource and the scalars the bytes hold (the mapper's toOtelEncoded, which wrote them). */
export function encodedRecordFrom(
  resource: OtelResource,
  encoded: Uint8Array,
  scalars: Pick<OtelRecord, 'timeUnixNano' | 'observedTimeUnixNano' | 'severityNumber' | 'severityText' | 'eventName'>,
): OtelRecord {
  return encodedRecordWith(resource, encoded, scalars, timesToKeep(scalars.timeUnixNano, scalars.observedTimeUnixNano));
}

/** A record from LogRecord bytes and its resource (times, severity and event name read from the bytes). Throws on bad bytes. */
export function encodedRecordOf(resource: OtelResource, encoded: Uint8Array): OtelRecord {
  return encodedRecordFrom(resource, encoded, readLogRecord(encoded, false));
}

/**
 * A record from its LogRecord bytes, resource, severity and event name, and the times the bytes
 * cannot say (keptTimesOf; undefined: they are read back from the bytes when asked). How a record
 * crosses from a worker thread (src/pipeline/workers/crossing.ts).
 */
export function encodedRecordWith(
  resource: OtelResource,
  encoded: Uint8Array,
  sev: Severity,
  keptTimes: readonly [bigint, bigint] | undefined,
): OtelRecord {
  return new EncodedOtelRecord(resource, encoded, sev, keptTimes);
}

/** The times a record carrying bytes keeps beside them (those the bytes cannot say), else undefined. */
export function keptTimesOf(rec: OtelRecord): readonly [bigint, bigint] | undefined {
  return rec instanceof EncodedOtelRecord ? rec.keptTimes() : undefined;
}

/** A record carrying bytes, with its bytes copied by `alloc` (undefined for a record without bytes of its own). */
export function copyEncodedRecord(rec: OtelRecord, alloc: ByteAlloc): OtelRecord | undefined {
  return rec instanceof EncodedOtelRecord ? rec.copiedBy(alloc) : undefined;
}
