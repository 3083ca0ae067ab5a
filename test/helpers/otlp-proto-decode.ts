// Test-only decoder of an OTLP ExportLogsServiceRequest (protobuf) into the OTLP/JSON shape
// (lowerCamelCase; int64/fixed64 as decimal strings; enums as numbers), so tests can read what
// the exporter sent independently of the serializer that wrote it. Field numbers from
// opentelemetry-proto `logs/v1/logs.proto`, `common/v1/common.proto`, `resource/v1/resource.proto`.
// Unknown fields throw: a test should notice a field it does not expect.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

class Reader {
  pos = 0;
  readonly buf: Uint8Array;
  constructor(buf: Uint8Array) {
    this.buf = buf;
  }
  done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  fixed64(): bigint {
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getBigUint64(0, true);
    this.pos += 8;
    return v;
  }
  fixed32(): number {
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getUint32(0, true);
    this.pos += 4;
    return v;
  }
  double(): number {
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }
  bytes(): Uint8Array {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new Error('truncated bytes');
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
  string(): string {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes());
  }
  tag(): { field: number; wire: number } {
    const t = Number(this.varint());
    return { field: t >>> 3, wire: t & 7 };
  }
}

function push(o: Obj, k: string, v: Json): void {
  ((o[k] ??= []) as Json[]).push(v);
}

function fail(msg: string, field: number, wire: number): never {
  throw new Error(`${msg}: unexpected field ${field} (wire ${wire})`);
}

function toInt64(u: bigint): string {
  return BigInt.asIntN(64, u).toString();
}

function anyValue(buf: Uint8Array): Obj {
  const r = new Reader(buf);
  const o: Obj = {};
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        o.stringValue = r.string();
        break;
      case 2:
        o.boolValue = r.varint() !== 0n;
        break;
      case 3:
        o.intValue = toInt64(r.varint());
        break;
      case 4:
        o.doubleValue = r.double();
        break;
      case 5:
        o.arrayValue = listOf(r.bytes(), anyValue);
        break;
      case 6:
        o.kvlistValue = listOf(r.bytes(), keyValue);
        break;
      case 7:
        o.bytesValue = Buffer.from(r.bytes()).toString('base64');
        break;
      default:
        fail('AnyValue', field, wire);
    }
  }
  return o;
}

function listOf(buf: Uint8Array, item: (b: Uint8Array) => Obj): Obj {
  const r = new Reader(buf);
  const values: Json[] = [];
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field !== 1) fail('list', field, wire);
    values.push(item(r.bytes()));
  }
  return { values };
}

function keyValue(buf: Uint8Array): Obj {
  const r = new Reader(buf);
  const o: Obj = {};
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) o.key = r.string();
    else if (field === 2) o.value = anyValue(r.bytes());
    else fail('KeyValue', field, wire);
  }
  return o;
}

function resource(buf: Uint8Array): Obj {
  const r = new Reader(buf);
  const o: Obj = { attributes: [] };
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) push(o, 'attributes', keyValue(r.bytes()));
    else if (field === 2) o.droppedAttributesCount = Number(r.varint());
    else fail('Resource', field, wire);
  }
  return o;
}

function scope(buf: Uint8Array): Obj {
  const r = new Reader(buf);
  const o: Obj = {};
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) o.name = r.string();
    else if (field === 2) o.version = r.string();
    else if (field === 3) push(o, 'attributes', keyValue(r.bytes()));
    else if (field === 4) o.droppedAttributesCount = Number(r.varint());
    else fail('InstrumentationScope', field, wire);
  }
  return o;
}

function logRecord(buf: Uint8Array): Obj {
  const r = new Reader(buf);
  const o: Obj = { attributes: [] };
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        o.timeUnixNano = r.fixed64().toString();
        break;
      case 2:
        o.severityNumber = Number(r.varint());
        break;
      case 3:
        o.severityText = r.string();
        break;
      case 5:
        o.body = anyValue(r.bytes());
        break;
      case 6:
        push(o, 'attributes', keyValue(r.bytes()));
        break;
      case 7:
        o.droppedAttributesCount = Number(r.varint());
        break;
      case 8:
        o.flags = r.fixed32();
        break;
      case 9:
        o.traceId = Buffer.from(r.bytes()).toString('hex');
        break;
      case 10:
        o.spanId = Buffer.from(r.bytes()).toString('hex');
        break;
      case 11:
        o.observedTimeUnixNano = r.fixed64().toString();
        break;
      case 12:
        o.eventName = r.string();
        break;
      default:
        fail('LogRecord', field, wire);
    }
  }
  return o;
}

function scopeLogs(buf: Uint8Array): Obj {
  const r = new Reader(buf);
  const o: Obj = { logRecords: [] };
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) o.scope = scope(r.bytes());
    else if (field === 2) push(o, 'logRecords', logRecord(r.bytes()));
    else if (field === 3) o.schemaUrl = r.string();
    else fail('ScopeLogs', field, wire);
  }
  return o;
}

function resourceLogs(buf: Uint8Array): Obj {
  const r = new Reader(buf);
  const o: Obj = { scopeLogs: [] };
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) o.resource = resource(r.bytes());
    else if (field === 2) push(o, 'scopeLogs', scopeLogs(r.bytes()));
    else if (field === 3) o.schemaUrl = r.string();
    else fail('ResourceLogs', field, wire);
  }
  return o;
}

export interface DecodedLogsRequest {
  resourceLogs: Array<Record<string, any>>;
}

export function decodeLogsRequest(buf: Uint8Array): DecodedLogsRequest {
  const r = new Reader(buf);
  const out: Obj = { resourceLogs: [] };
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) push(out, 'resourceLogs', resourceLogs(r.bytes()));
    else fail('ExportLogsServiceRequest', field, wire);
  }
  return out as unknown as DecodedLogsRequest;
}

/** Test-only encoder of a google.rpc.Status (code, message) for fake servers. */
export function encodeRpcStatus(code: number, message: string): Buffer {
  const msg = Buffer.from(message, 'utf8');
  const varint = (n: number): number[] => {
    const out: number[] = [];
    while (n > 127) {
      out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
    return out;
  };
  return Buffer.from([0x08, ...varint(code), 0x12, ...varint(msg.length), ...msg]);
}

/** Test-only encoder of an ExportLogsServiceResponse with partial_success. */
export function encodePartialSuccess(rejected: number, message: string): Buffer {
  const msg = Buffer.from(message, 'utf8');
  const varint = (n: number): number[] => {
    const out: number[] = [];
    while (n > 127) {
      out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
    return out;
  };
  const inner = Buffer.from([0x08, ...varint(rejected), 0x12, ...varint(msg.length), ...msg]);
  return Buffer.from([0x0a, ...varint(inner.length), ...inner]);
}

/** Attributes list of the OTLP/JSON shape → plain object of `{key: AnyValue}`. */
export function attrMap(list: Array<{ key: string; value: any }> | undefined): Record<string, any> {
  const out: Record<string, any> = {};
  for (const kv of list ?? []) out[kv.key] = kv.value;
  return out;
}
