// The event's identity for `event.id` (ECS) / `log.record.uid` (OTel): the same Tracee event gives the same id
// on replay or retry, whichever shape or source it came in (so Elasticsearch `create` answers 409 instead of
// storing it twice), and two events that differ in anything they carry get two ids (Tracee emits several
// events from one base event at the same instant: same time, thread and process, different data).
//
// Identity = time (ns) + thread + process + event name + container + a canonical form of the event's data
// (arguments, and for a detection the event it was detected from). The canonical form is the same for the
// classic JSON, structured JSON, protobuf (gRPC) and forward shapes of one event, so it keeps only what every
// shape carries alike:
//   - per argument (by name, in any order), the multiset of its scalar leaves, keys ignored (the shapes spell
//     nested keys differently: query_data / dns_query_data, fin / fin_flag, and a scalar inside a protobuf
//     Struct arrives wrapped as {value: x});
//   - zero values dropped (0, "", false, null, empty arrays/objects): proto3 does not send them;
//   - numbers, bigints and numeric strings written alike (uint64 arrives as a number, a bigint or a string);
//   - a list of small integers (bytes) is one leaf, in order.

import { hash } from 'node:crypto';
import type { DataField, DetectedFrom, TraceeEvent } from '../../model/event.ts';

/**
 * The data is folded into a multiset hash, so neither argument order nor key order matters and nothing is
 * sorted or joined (the id is computed for every event: it must stay cheap). Each scalar leaf is hashed twice
 * in one pass (FNV-1a and a multiply-rotate hash, 32 bits each), both seeded with its argument's name so a
 * value moved to another argument counts as a change; the leaf hashes are summed per accumulator, and the
 * leaf count is kept. The rest of the key (time, thread, process, name, container) is exact; the 64 bits
 * only have to tell apart events that share all of those.
 *
 * The state is module-level int32 variables, not an object: one fold runs at a time (no callbacks), and V8
 * keeps int32 locals unboxed where an object's uint32 fields would be heap numbers. The sums are kept as
 * int32 (`| 0`) and read as uint32 at the end: the same bits as summing uint32 modulo 2^32.
 */
let sumA = 0;
let sumB = 0;
let leafCount = 0;
let seedA = 0;
let seedB = 0;
let lastA = 0;
let lastB = 0;

function leaf(s: string): void {
  let h1 = seedA;
  let h2 = seedB;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul((h2 << 5) | (h2 >>> 27), 0x5bd1e995) ^ c;
  }
  h1 ^= s.length;
  h2 = Math.imul(h2 ^ (h2 >>> 15), 0x2c1b3c6d);
  lastA = h1;
  lastB = h2;
  sumA = (sumA + h1) | 0;
  sumB = (sumB + h2) | 0;
  leafCount++;
}

/** An argument's name: its own hash becomes the seed of its leaves. */
function arg(name: string): void {
  seedA = 0x811c9dc5 | 0;
  seedB = 0x9747b28c | 0;
  leaf(name); // counts as a leaf: an empty argument is not carried by every shape, so it is undone below
  leafCount--; // when no leaf follows
  seedA = lastA;
  seedB = lastB;
}

function isByteList(v: readonly unknown[]): boolean {
  if (v.length === 0) return false;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 255) return false;
  }
  return true;
}

function leaves(v: unknown, depth: number): void {
  switch (typeof v) {
    case 'string':
      if (v !== '' && v !== '0') leaf(v);
      return;
    case 'number':
      if (v !== 0 && !Number.isNaN(v)) leaf(String(v));
      return;
    case 'bigint':
      if (v !== 0n) leaf(v.toString());
      return;
    case 'boolean':
      if (v) leaf('1');
      return;
    case 'object':
      break;
    default:
      return;
  }
  if (v === null || depth > 32) return; // hostile nesting: the mapper refuses it elsewhere; the id need not go deeper
  if (Array.isArray(v)) {
    if (isByteList(v)) {
      leaf(v.join(','));
      return;
    }
    for (let i = 0; i < v.length; i++) leaves(v[i], depth + 1);
    return;
  }
  if (v instanceof Uint8Array) {
    if (v.length > 0) leaf(Array.from(v).join(','));
    return;
  }
  // own enumerable values (what for-in with hasOwn visits); the sums make their order irrelevant
  const values = Object.values(v);
  for (let i = 0; i < values.length; i++) leaves(values[i], depth + 1);
}

/** The canonical form of the data, as text: the two multiset hashes and the leaf count. */
export function canonicalData(fields: readonly DataField[] | undefined): string {
  sumA = 0;
  sumB = 0;
  leafCount = 0;
  if (fields) {
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      const a = sumA;
      const b = sumB;
      const n = leafCount;
      arg(f.name);
      leaves(f.value, 0);
      if (leafCount === n) {
        sumA = a;
        sumB = b;
      } // an argument with only zero values: as if absent (proto3)
    }
  }
  return leafCount === 0 ? '' : `${(sumA >>> 0).toString(36)}.${(sumB >>> 0).toString(36)}.${leafCount}`;
}

function canonicalDetectedFrom(d: DetectedFrom | undefined, depth = 0): string {
  if (d === undefined || depth > 8) return '';
  return `${d.name ?? ''}(${canonicalData(d.data)})${canonicalDetectedFrom(d.parent, depth + 1)}`;
}

/**
 * A changed copy of an event (its sensitive fields redacted: src/mapping/redact.ts) keeps the identity of the
 * event it was copied from, so the id does not depend on an exporter's `redact:` setting (Elasticsearch and the
 * collector get the same id, and a replay with another setting still dedupes).
 */
const ORIGINAL = new WeakMap<TraceeEvent, TraceeEvent>();

/** `copy` is `original` with some values changed: it gets `original`'s id. */
export function sameIdentityAs(copy: TraceeEvent, original: TraceeEvent): TraceeEvent {
  ORIGINAL.set(copy, ORIGINAL.get(original) ?? original);
  return copy;
}

/** The identity key of an event (what `eventId` hashes). */
export function identityKey(event: TraceeEvent, name = event.name): string {
  const ev = ORIGINAL.get(event) ?? event;
  const p = ev.workload.process;
  return (
    `${ev.timestamp}|${p?.thread?.host_tid ?? ''}|${p?.host_pid ?? ''}|${p?.unique_id ?? ''}|${name}|${ev.workload.container?.id ?? ''}` +
    `|${canonicalData(ev.data)}|${canonicalDetectedFrom(ev.detected_from)}`
  );
}

/** Deterministic event id: 22 base64url characters of SHA-256 over the identity key (132 bits). */
export function eventId(ev: TraceeEvent, name = ev.name): string {
  return hash('sha256', identityKey(ev, name), 'base64url').slice(0, 22);
}
