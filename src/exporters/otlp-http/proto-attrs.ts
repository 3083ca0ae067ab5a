// OTLP protobuf of attributes (KeyValue / AnyValue), shared by the request encoder (encode-logs-proto.ts)
// and the OTel attribute writers generated from the mapping tables (src/mapping/otel-attrs.ts), which
// write a record's LogRecord.attributes fields while they map it: the encoder then copies those bytes
// instead of walking the attributes object (MappedOtelRecord below). Both write the same bytes for the
// same attributes (test/unit/exporters/otlp-http/encode-logs-proto.test.ts, codegen-diff tests).
//
// Field numbers (opentelemetry-proto common/v1/common.proto, logs/v1/logs.proto):
//   KeyValue{key=1, value=2}  ArrayValue{values=1}  KeyValueList{values=1}  LogRecord{attributes=6}
//   AnyValue{string_value=1, bool_value=2, int_value=3, double_value=4, array_value=5, kvlist_value=6, bytes_value=7}
// A tag byte is (field << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited).

import type { AttrValue, Attributes, OtelRecord, OtelResource } from '../../model/records.ts';
import { ProtoWriter } from './proto-writer.ts';

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63; // exclusive

// AnyValue tags
const T_STRING = 0x0a; // 1, LEN
const T_BOOL = 0x10; // 2, VARINT
const T_INT = 0x18; // 3, VARINT
const T_DOUBLE = 0x21; // 4, I64
const T_ARRAY = 0x2a; // 5, LEN
const T_KVLIST = 0x32; // 6, LEN
const T_BYTES = 0x3a; // 7, LEN
// Shared by KeyValue.key, ArrayValue.values, KeyValueList.values, ResourceLogs.resource, ScopeLogs.scope …
const T_F1_LEN = 0x0a;
const T_F2_LEN = 0x12;
/** LogRecord.attributes = 6, LEN */
export const T_LOG_ATTRIBUTE = 0x32;

/** An AnyValue's fields (inside its length-delimited envelope). Other types write nothing (an empty AnyValue). */
export function writeAnyValue(w: ProtoWriter, value: unknown): void {
  const t = typeof value;
  if (t === 'string') {
    w.byte(T_STRING);
    w.string(value as string);
  } else if (t === 'boolean') {
    w.byte(T_BOOL);
    w.byte(value ? 1 : 0);
  } else if (t === 'number') {
    const n = value as number;
    if (Number.isInteger(n) && n >= MIN_INT64 && n < MAX_INT64) {
      w.byte(T_INT);
      w.varint(n);
    } else {
      w.byte(T_DOUBLE);
      w.double(n);
    }
  } else if (value instanceof Uint8Array) {
    w.byte(T_BYTES);
    w.varint(value.length);
    w.raw(value);
  } else if (Array.isArray(value)) {
    w.byte(T_ARRAY);
    const arr = w.begin();
    for (let i = 0; i < value.length; i++) {
      w.byte(T_F1_LEN);
      const item = w.begin();
      writeAnyValue(w, value[i]);
      w.end(item);
    }
    w.end(arr);
  } else if (t === 'object' && value !== null) {
    w.byte(T_KVLIST);
    const list = w.begin();
    writeKeyValues(w, value as Record<string, unknown>, T_F1_LEN);
    w.end(list);
  }
}

/**
 * KeyValue.key fields (tag, length, UTF-8) by key: attribute keys repeat in every record, and a
 * byte copy is cheaper than re-encoding the string. Bounded: keys inside event data (kvlists) may
 * be unbounded; past the bound, keys are encoded each time.
 */
const keyFields = new Map<string, Uint8Array>();
const KEY_FIELDS_MAX = 4096;
const keyWriter = new ProtoWriter(256);

/** KeyValue.key's field for `key`, as bytes (not cached: for a key known when code is generated). */
export function keyField(key: string): Uint8Array {
  keyWriter.byte(T_F1_LEN);
  keyWriter.string(key);
  return keyWriter.take();
}

function writeKeyField(w: ProtoWriter, key: string): void {
  let b = keyFields.get(key);
  if (b === undefined) {
    if (keyFields.size >= KEY_FIELDS_MAX) {
      w.byte(T_F1_LEN);
      w.string(key);
      return;
    }
    b = keyField(key);
    keyFields.set(key, b);
  }
  w.bytes(b);
}

/** Each own enumerable key of `obj` as a KeyValue under tag `tag`, in property order (= for-in order over own keys). */
export function writeKeyValues(w: ProtoWriter, obj: Record<string, unknown>, tag: number): void {
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    w.byte(tag);
    const kv = w.begin();
    writeKeyField(w, key);
    w.byte(T_F2_LEN);
    const v = w.begin();
    writeAnyValue(w, obj[key]);
    w.end(v);
    w.end(kv);
  }
}

/**
 * One LogRecord.attributes field (a KeyValue) whose key field is known (`key`: keyField's bytes), as
 * writeKeyValues writes it for that member: what the generated attribute writers call per attribute.
 */
export function writeAttribute(w: ProtoWriter, key: Uint8Array, value: unknown): void {
  w.byte(T_LOG_ATTRIBUTE);
  const kv = w.begin();
  w.bytes(key);
  w.byte(T_F2_LEN);
  const v = w.begin();
  if (typeof value === 'string') {
    w.byte(T_STRING);
    w.string(value);
  } else writeAnyValue(w, value);
  w.end(v);
  w.end(kv);
}

// --- Attribute bytes written while mapping ---
// The generated writers write into one shared writer; a record keeps [start, end) of its buffer. A
// buffer is replaced (not reused) once it is nearly full: the records written into it keep it alive,
// and their bytes never change.
const SLAB_BYTES = 64 * 1024;
/** Where the generated attribute writers write (the current buffer and position). */
export const attributesSlab = new ProtoWriter(SLAB_BYTES);

/** After a record's attributes are written: a fresh buffer when this one is nearly full. */
function nextSlab(): void {
  if (attributesSlab.pos > SLAB_BYTES - 4096) {
    attributesSlab.buf = Buffer.allocUnsafe(SLAB_BYTES);
    attributesSlab.pos = 0;
  }
}

/**
 * An OtelRecord made by the mapper, with the protobuf of its attributes (LogRecord.attributes fields,
 * as writeKeyValues writes `attributes`) written while mapping. Its own enumerable fields are those of
 * the plain record, in the same order (JSON, structuredClone and deep equality see a plain record);
 * the bytes are private, and used only while `attributes` is the object they were written from.
 * Records are not changed after mapping (nothing in the pipeline writes to them).
 */
export class MappedOtelRecord implements OtelRecord {
  resource: OtelResource;
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  eventName: string;
  attributes: Attributes;
  declare body?: AttrValue;
  #of: Attributes;
  #buf: Buffer;
  #start: number;
  #end: number;

  constructor(
    resource: OtelResource,
    timeUnixNano: bigint,
    observedTimeUnixNano: bigint,
    severityNumber: number,
    severityText: string,
    eventName: string,
    attributes: Attributes,
    start: number,
  ) {
    this.resource = resource;
    this.timeUnixNano = timeUnixNano;
    this.observedTimeUnixNano = observedTimeUnixNano;
    this.severityNumber = severityNumber;
    this.severityText = severityText;
    this.eventName = eventName;
    this.attributes = attributes;
    this.#of = attributes;
    this.#buf = attributesSlab.buf;
    this.#start = start;
    this.#end = attributesSlab.pos;
    nextSlab();
  }

  /**
   * Write the record's attributes fields when it carries them as bytes (a MappedOtelRecord whose
   * attributes are still the object they were written from): true; false: the caller writes them.
   */
  static writeAttributes(w: ProtoWriter, rec: OtelRecord): boolean {
    if (!(#buf in rec) || rec.#of !== rec.attributes) return false;
    const n = rec.#end - rec.#start;
    w.ensure(n);
    if (n <= 64) {
      const src = rec.#buf;
      const dst = w.buf;
      let p = w.pos;
      for (let i = rec.#start; i < rec.#end; i++) dst[p++] = src[i];
    } else rec.#buf.copy(w.buf, w.pos, rec.#start, rec.#end);
    w.pos += n;
    return true;
  }
}
