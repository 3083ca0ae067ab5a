// A Forward entry's record → the pipeline's input record. Tracee sends `{event: "<event JSON>"}`:
// the JSON string is decoded like a line of Tracee's JSON output. A record whose `event` is a map
// (a forwarder that parsed the JSON) is taken as the already parsed event. Anything else is
// rejected with its origin; the record is kept (as JSON) for the dead letter.

import type { Origin } from '../../model/records.ts';
import type { InputRecord } from '../read-records.ts';
import { EventTimeValue } from './protocol.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Most of a rejected record kept in the dead letter. */
const MAX_KEPT_CHARS = 64 * 1024;

export function toInputRecord(record: Record<string, unknown>, origin: Origin): InputRecord {
  const ev = record.event;
  if (typeof ev === 'string') return { kind: 'text', text: ev, origin };
  if (ev instanceof Uint8Array) {
    try {
      return { kind: 'text', text: utf8.decode(ev), origin };
    } catch {
      return { kind: 'error', code: 'invalid_utf8', reason: 'record "event" is bin that is not valid UTF-8', origin };
    }
  }
  if (isPlainMap(ev)) {
    // msgpack decodes any depth without recursion; converting it recurses: too deep is a rejection, not a dropped connection
    try {
      return { kind: 'value', value: plain(ev), marked: false, origin };
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      return { kind: 'error', code: 'too_deep', reason: 'record "event" map nested too deeply', origin };
    }
  }
  const reason = !Object.hasOwn(record, 'event')
    ? `record has no "event" key (Tracee sends {event: "<event JSON>"}; keys: ${Object.keys(record).slice(0, 8).join(', ') || 'none'})`
    : `record "event" must be a JSON string or a map, got ${kindOf(ev)}`;
  return { kind: 'error', code: 'wrong_type', reason, origin, text: show(record) };
}

export function tagMismatch(record: Record<string, unknown>, tag: string, want: string, origin: Origin): InputRecord {
  return {
    kind: 'error',
    code: 'tag_mismatch',
    reason: `tag ${JSON.stringify(tag)} does not match the configured tag ${JSON.stringify(want)}`,
    origin,
    text: show(record),
  };
}

function isPlainMap(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Uint8Array) &&
    !(v instanceof EventTimeValue)
  );
}

function kindOf(v: unknown): string {
  return v === null ? 'nil' : Array.isArray(v) ? 'an array' : v instanceof EventTimeValue ? 'an EventTime' : typeof v;
}

/** msgpack values → JSON-like values: 64-bit integers that fit become numbers, bin becomes text. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint')
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (v instanceof EventTimeValue) return BigInt(v.seconds) * 1_000_000_000n + BigInt(v.nanoseconds);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plain(x);
    return out;
  }
  return v;
}

function show(record: Record<string, unknown>): string {
  let s: string;
  try {
    s = JSON.stringify(record, (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? `<bin ${v.length} bytes>` : v,
    );
  } catch {
    s = '<record not representable as JSON>';
  }
  return s.length > MAX_KEPT_CHARS ? `${s.slice(0, MAX_KEPT_CHARS)}…` : s;
}
