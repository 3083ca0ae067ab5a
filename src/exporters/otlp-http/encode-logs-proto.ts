// OtelRecords → ExportLogsServiceRequest protobuf bytes, written directly (no ReadableLogRecord,
// no HrTime, no size pre-pass). The output is byte-for-byte what the OTel JS ProtobufLogsSerializer
// writes for the same records through toReadableLogRecord (test/unit/exporters/otlp-http/
// encode-logs-proto.test.ts checks it): the same grouping (ResourceLogs per cached Resource object,
// in order of first appearance; one ScopeLogs), the same field order and the same presence rules
// (dropped_attributes_count 0 written; severity_number 0 and empty severity_text / event_name
// omitted; integers in [-2^63, 2^63) as int_value, other numbers as double_value; values of other
// types as an empty AnyValue). Speed: a record the mapper made carries its attributes as bytes
// already (proto-attrs.ts MappedOtelRecord: copied, not re-encoded); each Resource is encoded once
// (WeakMap by the cached Resource object), attribute keys are copied from cached bytes, short ASCII
// strings are written in JS.
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
import { MappedOtelRecord, writeAnyValue, writeKeyValues } from './proto-attrs.ts';
import { ProtoWriter } from './proto-writer.ts';
import type { SdkResourceCache } from './sdk-resource-cache.ts';
import { INSTRUMENTATION_SCOPE } from './to-readable-records.ts';

// Shared by ResourceLogs.resource, ScopeLogs.scope …
const T_F1_LEN = 0x0a;

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

function writeLogRecord(w: ProtoWriter, rec: OtelRecord): void {
  w.byte(0x09); // time_unix_nano = 1, fixed64
  w.fixed64(rec.timeUnixNano > 0n ? rec.timeUnixNano : 0n);
  if (rec.severityNumber !== undefined && rec.severityNumber !== 0) {
    w.byte(0x10); // severity_number = 2
    w.varint(rec.severityNumber);
  }
  if (rec.severityText) {
    w.byte(0x1a); // severity_text = 3
    w.string(rec.severityText);
  }
  if (rec.body !== undefined) {
    w.byte(0x2a); // body = 5
    const b = w.begin();
    writeAnyValue(w, rec.body);
    w.end(b);
  }
  // attributes = 6: as the mapper wrote them (the same bytes), or from the object
  if (!MappedOtelRecord.writeAttributes(w, rec) && rec.attributes) writeKeyValues(w, rec.attributes, 0x32);
  w.byte(0x38); // dropped_attributes_count = 7
  w.byte(0);
  w.byte(0x59); // observed_time_unix_nano = 11, fixed64
  w.fixed64(rec.observedTimeUnixNano > 0n ? rec.observedTimeUnixNano : 0n);
  if (rec.eventName) {
    w.byte(0x62); // event_name = 12
    w.string(rec.eventName);
  }
}

/** One writer reused across calls (its buffer grows to the largest request and stays). */
const shared = new ProtoWriter();

export function encodeLogsProto(records: readonly OtelRecord[], cache: SdkResourceCache): Uint8Array {
  // Group by the cached Resource object, in order of first appearance.
  const groups = new Map<Resource, OtelRecord[]>();
  for (let i = 0; i < records.length; i++) {
    const rec = records[i];
    const res = cache.get(rec.resource);
    const g = groups.get(res);
    if (g === undefined) groups.set(res, [rec]);
    else g.push(rec);
  }
  const w = shared;
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
    return w.take();
  } finally {
    w.pos = 0;
  }
}
