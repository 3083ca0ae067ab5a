// One StreamEvents message → one input record. The loader already gives the JSON the normalizer
// reads (see protos.ts); what is left is done here, the way Tracee's own JSON printers do it:
// wrapper messages (UInt32Value, DoubleValue) become bare numbers (a wrapper holding 0 decodes as
// {}: that is 0, e.g. root's uid); an EventValue with no member set becomes "value": null;
// google.protobuf.Struct becomes plain JSON; `threat` always has description/severity/name,
// `container` id/name/started and `thread` compat (proto3 does not send zero values; Tracee's
// printer writes them).
// Bytes that do not decode, or a message without an event, become a rejection with the message's
// origin: never an exception.

import type { Origin } from '../../model/records.ts';
import type { InputRecord } from '../read-records.ts';
import type { StreamEventsResponse } from './protos.ts';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Keep the undecodable bytes in the dead letter (base64, first 4 KiB). */
const MAX_KEPT_BYTES = 4096;

export function messageToRecord(
  bytes: Buffer,
  decode: (b: Buffer) => StreamEventsResponse,
  origin: Origin,
): InputRecord {
  let msg: StreamEventsResponse;
  try {
    msg = decode(bytes);
  } catch (err) {
    return malformed(`not a StreamEventsResponse: ${(err as Error).message}`, bytes, origin);
  }
  if (!isObj(msg.event)) return malformed('message carries no event', bytes, origin);
  try {
    return { kind: 'value', value: eventToJson(msg.event), marked: false, origin };
  } catch (err) {
    return malformed(
      err instanceof RangeError ? 'event nested too deeply' : `cannot convert the event: ${(err as Error).message}`,
      bytes,
      origin,
    );
  }
}

function malformed(reason: string, bytes: Buffer, origin: Origin): InputRecord {
  const kept = bytes.subarray(0, MAX_KEPT_BYTES).toString('base64');
  return {
    kind: 'error',
    code: 'malformed_protobuf',
    reason,
    origin,
    text: `base64:${kept}${bytes.length > MAX_KEPT_BYTES ? '…' : ''}`,
  };
}

/** The decoded Event, changed in place (it is ours): data values and detected_from. */
export function eventToJson(event: Obj): Obj {
  const w = event.workload;
  if (isObj(w)) {
    if (isObj(w.process)) process(w.process);
    const c = w.container;
    if (isObj(c)) {
      c.id ??= '';
      c.name ??= '';
      c.started ??= false;
    }
  }
  if (Array.isArray(event.data)) event.data = event.data.map(eventValue);
  const t = event.threat;
  if (isObj(t)) {
    t.description ??= '';
    t.severity ??= 'INFO';
    t.name ??= '';
  }
  let d: unknown = event.detected_from;
  while (isObj(d)) {
    if (Array.isArray(d.data)) d.data = d.data.map(eventValue);
    d = d.parent;
  }
  return event;
}

/** A wrapper message → its bare value (absent value = 0). */
function unwrapIn(o: Obj, key: string): void {
  const v = o[key];
  if (isObj(v)) o[key] = v.value ?? 0;
}

function process(p: Obj): void {
  unwrapIn(p, 'unique_id');
  unwrapIn(p, 'host_pid');
  unwrapIn(p, 'pid');
  if (isObj(p.real_user)) unwrapIn(p.real_user, 'id');
  const t = p.thread;
  if (isObj(t)) {
    unwrapIn(t, 'unique_id');
    unwrapIn(t, 'host_tid');
    unwrapIn(t, 'tid');
    t.compat ??= false; // Tracee always sets it (from the context flags); false is not sent
  }
  if (Array.isArray(p.ancestors)) for (const a of p.ancestors) if (isObj(a)) process(a);
}

const CREDENTIAL_WRAPPERS = [
  'uid',
  'gid',
  'suid',
  'sgid',
  'euid',
  'egid',
  'fsuid',
  'fsgid',
  'user_namespace',
  'secure_bits',
];

function eventValue(v: unknown): unknown {
  if (!isObj(v)) return v;
  let member: string | undefined;
  for (const k in v)
    if (k !== 'name') {
      member = k;
      break;
    }
  if (member === undefined) return { name: v.name ?? '', value: null };
  switch (member) {
    case 'struct':
      return { name: v.name ?? '', struct: structToJson(v.struct) };
    case 'timespec':
      if (isObj(v.timespec)) unwrapIn(v.timespec, 'value');
      return v;
    case 'credentials':
      if (isObj(v.credentials)) for (const k of CREDENTIAL_WRAPPERS) unwrapIn(v.credentials, k);
      return v;
    case 'http':
    case 'http_request':
    case 'http_response': {
      // int64 comes as a decimal string; a body length is small: a number, as in the classic event
      const h = v[member];
      if (isObj(h) && typeof h.content_length === 'string' && /^-?\d{1,15}$/.test(h.content_length))
        h.content_length = Number(h.content_length);
      return v;
    }
    default:
      return v;
  }
}

/** google.protobuf.Struct / Value / ListValue (as the loader decodes them) → plain JSON. */
export function structToJson(s: unknown): Obj {
  const out: Obj = {};
  const fields = isObj(s) && isObj(s.fields) ? s.fields : {};
  for (const k of Object.keys(fields)) out[k] = valueToJson(fields[k]);
  return out;
}

// protobufjs's built-in struct.proto names these fields in camelCase (keepCase does not apply)
function valueToJson(v: unknown): unknown {
  if (!isObj(v)) return null;
  if ('stringValue' in v) return v.stringValue;
  if ('numberValue' in v) return v.numberValue;
  if ('boolValue' in v) return v.boolValue;
  if ('structValue' in v) return structToJson(v.structValue);
  if ('listValue' in v) {
    const list = isObj(v.listValue) && Array.isArray(v.listValue.values) ? v.listValue.values : [];
    return list.map(valueToJson);
  }
  return null; // nullValue, or no kind set
}
