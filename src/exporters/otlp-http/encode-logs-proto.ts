// OtelRecords → ExportLogsServiceRequest protobuf bytes, written directly (no ReadableLogRecord,
// no HrTime, no size pre-pass). The output is byte-for-byte what the OTel JS ProtobufLogsSerializer
// writes for the same records through toReadableLogRecord (test/unit/exporters/otlp-http/
// encode-logs-proto.test.ts checks it): the same grouping (ResourceLogs per cached Resource object,
// in order of first appearance; one ScopeLogs), the same field order and the same presence rules
// (dropped_attributes_count 0 written; severity_number 0 and empty severity_text / event_name
// omitted; integers in [-2^63, 2^63) as int_value, other numbers as double_value; values of other
// types as an empty AnyValue). Speed: each Resource is encoded once (WeakMap by the cached Resource
// object), attribute keys are copied from cached bytes, short ASCII strings are written in JS.
// Timestamps <= 0 are written as 0, as nsToHrTime clamps them.
//
// Field numbers, from opentelemetry-proto (collector/logs/v1/logs_service.proto, logs/v1/logs.proto,
// common/v1/common.proto, resource/v1/resource.proto):
//   ExportLogsServiceRequest{resource_logs=1}  ResourceLogs{resource=1, scope_logs=2, schema_url=3}
//   Resource{attributes=1, dropped_attributes_count=2}  ScopeLogs{scope=1, log_records=2, schema_url=3}
//   InstrumentationScope{name=1, version=2}  KeyValue{key=1, value=2}  ArrayValue{values=1}  KeyValueList{values=1}
//   LogRecord{time_unix_nano=1 fixed64, severity_number=2, severity_text=3, body=5, attributes=6,
//             dropped_attributes_count=7, observed_time_unix_nano=11 fixed64, event_name=12}
//   AnyValue{string_value=1, bool_value=2, int_value=3, double_value=4, array_value=5, kvlist_value=6, bytes_value=7}
// A tag byte is (field << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited).

import type { Resource } from '@opentelemetry/resources';
import type { OtelRecord } from '../../model/records.ts';
import { ProtoWriter, varintSize } from './proto-writer.ts';
import { forInIsOwn } from '../../util/own-keys.ts';
import type { SdkResourceCache } from './sdk-resource-cache.ts';
import { INSTRUMENTATION_SCOPE } from './to-readable-records.ts';

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

/** The key field bytes of `key`, cached; undefined once the cache is full and `key` is not in it. */
function keyFieldOf(key: string): Uint8Array | undefined {
  let b = keyFields.get(key);
  if (b === undefined) {
    if (keyFields.size >= KEY_FIELDS_MAX) return undefined;
    keyWriter.byte(T_F1_LEN);
    keyWriter.string(key);
    b = keyWriter.take();
    keyFields.set(key, b);
  }
  return b;
}

/**
 * A KeyValue (under `tag`) whose value is a short ASCII string, a boolean or a non-negative integer
 * below 2^28, written in one pass when its length fits one byte (most attributes and data members):
 * the bytes writeKeyValue writes, without its length fix-ups. False, with nothing written, otherwise.
 */
function writeSmallKeyValue(w: ProtoWriter, tag: number, keyField: Uint8Array, value: unknown): boolean {
  const k = keyField.length;
  let inner: number; // the AnyValue's length
  if (typeof value === 'string') {
    inner = value.length + 2; // a string over 123 characters fails the kvLen test below
  } else if (typeof value === 'number') {
    if (!(Number.isInteger(value) && value >= 0 && value < 0x10000000)) return false;
    inner = 1 + varintSize(value);
  } else if (typeof value === 'boolean') {
    inner = 2;
  } else return false;
  const kvLen = k + 2 + inner;
  if (kvLen > 127) return false;
  w.ensure(kvLen + 2);
  const buf = w.buf;
  const start = w.pos;
  let p = start + 2;
  for (let i = 0; i < k; i++) buf[p++] = keyField[i];
  buf[p++] = T_F2_LEN;
  buf[p++] = inner;
  if (typeof value === 'string') {
    buf[p++] = T_STRING;
    buf[p++] = value.length;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c > 127) return false; // UTF-8 needs more bytes: the general writer
      buf[p++] = c;
    }
  } else if (typeof value === 'number') {
    buf[p++] = T_INT;
    let v = value;
    while (v > 127) {
      buf[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[p++] = v;
  } else {
    buf[p++] = T_BOOL;
    buf[p++] = value ? 1 : 0;
  }
  buf[start] = tag;
  buf[start + 1] = kvLen;
  w.pos = p;
  return true;
}

/** Each own enumerable key of `obj` as a KeyValue under tag `tag`, in property order (= for-in order over own keys). */
function writeKeyValues(w: ProtoWriter, obj: Record<string, unknown>, tag: number): void {
  if (forInIsOwn(obj)) {
    for (const key in obj) writeKeyValue(w, tag, key, obj[key]);
    return;
  }
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) writeKeyValue(w, tag, keys[i], obj[keys[i]]);
}

function writeKeyValue(w: ProtoWriter, tag: number, key: string, value: unknown): void {
  const keyField = keyFieldOf(key);
  if (keyField !== undefined && writeSmallKeyValue(w, tag, keyField, value)) return;
  w.byte(tag);
  const kv = w.begin();
  if (keyField !== undefined) w.bytes(keyField);
  else {
    w.byte(T_F1_LEN); // past the cache's bound: encoded each time
    w.string(key);
  }
  w.byte(T_F2_LEN);
  const v = w.begin();
  writeAnyValue(w, value);
  w.end(v);
  w.end(kv);
}

function encodeOnce(build: (w: ProtoWriter) => void): Uint8Array {
  const w = new ProtoWriter(256);
  build(w);
  return w.take();
}

/** ResourceLogs.resource field (tag, length, Resource message), per Resource object. */
const resourceBytes = new WeakMap<Resource, Uint8Array>();

function encodedResource(res: Resource): Uint8Array {
  let b = resourceBytes.get(res);
  if (b === undefined) {
    b = encodeOnce((w) => {
      w.byte(T_F1_LEN);
      const m = w.begin();
      const attrs = res.attributes;
      if (attrs) writeKeyValues(w, attrs, 0x0a); // attributes = 1
      w.byte(0x10); // dropped_attributes_count = 2
      w.byte(0);
      w.end(m);
    });
    resourceBytes.set(res, b);
  }
  return b;
}

/** ScopeLogs.scope field: the exporter's one InstrumentationScope {name, version} (no attributes, no schema URL). */
const SCOPE_FIELD = encodeOnce((w) => {
  w.byte(T_F1_LEN);
  const m = w.begin();
  w.byte(0x0a); // name = 1
  w.string(INSTRUMENTATION_SCOPE.name);
  if (INSTRUMENTATION_SCOPE.version) {
    w.byte(0x12); // version = 2
    w.string(INSTRUMENTATION_SCOPE.version);
  }
  w.end(m);
});

/** A LogRecord's fields (inside its envelope); also encode-log-record.ts's, so both write the same bytes. */
export function writeLogRecord(w: ProtoWriter, rec: OtelRecord): void {
  writeLogRecordHead(w, rec.timeUnixNano, rec.severityNumber, rec.severityText, rec.body);
  if (rec.attributes) writeKeyValues(w, rec.attributes, 0x32); // attributes = 6
  writeLogRecordTail(w, rec.observedTimeUnixNano, rec.eventName);
}

/** A LogRecord's fields before its attributes (the mapper's direct writers write the attributes next). */
export function writeLogRecordHead(
  w: ProtoWriter,
  timeUnixNano: bigint,
  severityNumber: number | undefined,
  severityText: string,
  body: unknown,
): void {
  w.byte(0x09); // time_unix_nano = 1, fixed64
  w.fixed64(timeUnixNano > 0n ? timeUnixNano : 0n);
  if (severityNumber !== undefined && severityNumber !== 0) {
    w.byte(0x10); // severity_number = 2
    w.varint(severityNumber);
  }
  if (severityText) {
    w.byte(0x1a); // severity_text = 3
    w.string(severityText);
  }
  if (body !== undefined) {
    w.byte(0x2a); // body = 5
    const b = w.begin();
    writeAnyValue(w, body);
    w.end(b);
  }
}

/** A LogRecord's fields after its attributes. */
export function writeLogRecordTail(w: ProtoWriter, observedTimeUnixNano: bigint, eventName: string): void {
  w.byte(0x38); // dropped_attributes_count = 7
  w.byte(0);
  w.byte(0x59); // observed_time_unix_nano = 11, fixed64
  w.fixed64(observedTimeUnixNano > 0n ? observedTimeUnixNano : 0n);
  if (eventName) {
    w.byte(0x62); // event_name = 12
    w.string(eventName);
  }
}

/** KeyValue.key field bytes of `key` (tag, length, UTF-8): what writeKeyValues writes for it. */
export function keyFieldBytes(key: string): Uint8Array {
  const w = new ProtoWriter(64);
  w.byte(T_F1_LEN);
  w.string(key);
  return w.take();
}

/** One LogRecord.attributes field (KeyValue) from its key field bytes (keyFieldBytes) and value: what writeKeyValues writes for that member. */
export function writeAttribute(w: ProtoWriter, keyField: Uint8Array, value: unknown): void {
  if (writeSmallKeyValue(w, 0x32, keyField, value)) return;
  w.byte(0x32); // attributes = 6
  const kv = w.begin();
  w.bytes(keyField);
  w.byte(T_F2_LEN);
  const v = w.begin();
  writeAnyValue(w, value);
  w.end(v);
  w.end(kv);
}

/** One writer reused across calls (its buffer grows to the largest request and stays). */
const shared = new ProtoWriter();

/** The request bytes, as a copy (the shared writer is reused). */
export function encodeLogsProto(records: readonly OtelRecord[], cache: SdkResourceCache): Uint8Array {
  encodeLogsProtoTo(shared, records, cache);
  return shared.take();
}

/**
 * The request bytes written into `w` from its start: a view of its buffer, valid until `w` is
 * written again (the exporter's request writers, body-writers.ts: no new buffer per request).
 */
export function encodeLogsProtoTo(w: ProtoWriter, records: readonly OtelRecord[], cache: SdkResourceCache): Uint8Array {
  // Group by the cached Resource object, in order of first appearance.
  const groups = new Map<Resource, OtelRecord[]>();
  for (let i = 0; i < records.length; i++) {
    const rec = records[i];
    const res = cache.get(rec.resource);
    const g = groups.get(res);
    if (g === undefined) groups.set(res, [rec]);
    else g.push(rec);
  }
  w.pos = 0;
  try {
    for (const [res, recs] of groups) {
      w.byte(0x0a); // resource_logs = 1
      const rl = w.begin();
      w.raw(encodedResource(res));
      w.byte(0x12); // scope_logs = 2
      const sl = w.begin();
      w.raw(SCOPE_FIELD);
      for (let i = 0; i < recs.length; i++) {
        w.byte(0x12); // log_records = 2
        const enc = recs[i].encoded; // encoded by encode-log-record.ts: copied as it is
        if (enc !== undefined) {
          w.varint(enc.length);
          w.raw(enc);
          continue;
        }
        const lr = w.begin();
        writeLogRecord(w, recs[i]);
        w.end(lr);
      }
      w.end(sl);
      if (res.schemaUrl) {
        w.byte(0x1a); // schema_url = 3
        w.string(res.schemaUrl);
      }
      w.end(rl);
    }
  } catch (err) {
    w.pos = 0;
    throw err;
  }
  return w.buf.subarray(0, w.pos);
}
