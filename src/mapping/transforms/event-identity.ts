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
import { uint32ToBase36 } from '../../util/base36.ts';
import { forInIsOwn } from '../../util/own-keys.ts';
import { keyBytes, putChar, putTemplate, putText, putValue, startKey } from './key-bytes.ts';
import type { DataField, DetectedFrom, TraceeEvent } from '../../model/event.ts';

/**
 * The data is folded into a multiset hash, so neither argument order nor key order matters and nothing is
 * sorted or joined (the id is computed for every event: it must stay cheap). Each scalar leaf is hashed twice
 * in one pass (FNV-1a and a multiply-rotate hash, 32 bits each) over the characters of its text, both seeded
 * with its argument's name so a value moved to another argument counts as a change; the leaf hashes are
 * summed per accumulator, and the leaf count is kept. The rest of the key (time, thread, process, name,
 * container) is exact; the 64 bits only have to tell apart events that share all of those.
 *
 * A leaf's text is what String(v) gives (a byte list: its numbers joined by ','): integers and byte lists
 * are hashed digit by digit as they are produced, without making the string.
 *
 * The state is one Int32Array (sums, count, seeds): one fold runs at a time (no callbacks), and its elements
 * are read and written as raw int32 (module-level `let`s are context slots with a hole check on each access,
 * an object's int32 fields heap numbers). The sums are int32 (`| 0`) read as uint32 at the end: the same
 * bits as summing uint32 modulo 2^32.
 */
const S = new Int32Array(7);
const SUM_A = 0,
  SUM_B = 1,
  COUNT = 2,
  SEED_A = 3,
  SEED_B = 4,
  H_A = 5, // the hashes of a leaf being written (digit by digit)
  H_B = 6;

/** A leaf's hashes start from its argument's seeds. */
function open(): void {
  S[H_A] = S[SEED_A];
  S[H_B] = S[SEED_B];
}

/** One character of a leaf's text. */
function char(c: number): void {
  S[H_A] = Math.imul(S[H_A] ^ c, 0x01000193);
  const h2 = S[H_B];
  S[H_B] = Math.imul((h2 << 5) | (h2 >>> 27), 0x5bd1e995) ^ c;
}

/** The leaf ends after `length` characters: its hashes are added. */
function close(length: number): void {
  const h1 = S[H_A] ^ length;
  let h2 = S[H_B];
  h2 = Math.imul(h2 ^ (h2 >>> 15), 0x2c1b3c6d);
  S[H_A] = h1;
  S[H_B] = h2;
  S[SUM_A] = (S[SUM_A] + h1) | 0;
  S[SUM_B] = (S[SUM_B] + h2) | 0;
  S[COUNT]++;
}

function leaf(s: string): void {
  let h1 = S[SEED_A];
  let h2 = S[SEED_B];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul((h2 << 5) | (h2 >>> 27), 0x5bd1e995) ^ c;
  }
  S[H_A] = h1;
  S[H_B] = h2;
  close(s.length);
}

/** The decimal digits of a non-negative safe integer, most significant first (into DIGITS, from the end). */
const DIGITS = new Uint8Array(16);

/** The characters of String(n) for a safe integer n; returns how many. */
function intChars(n: number): number {
  let len = 0;
  if (n < 0) {
    char(45); // '-'
    len++;
    n = -n;
  }
  if (n < 10) {
    char(48 + n);
    return len + 1;
  }
  let p = DIGITS.length;
  if (n <= 0x7fffffff) {
    let m = n | 0;
    while (m > 0) {
      const q = (m / 10) | 0;
      DIGITS[--p] = m - q * 10;
      m = q;
    }
  } else {
    while (n > 0) {
      const q = Math.floor(n / 10);
      DIGITS[--p] = n - q * 10;
      n = q;
    }
  }
  for (let k = p; k < DIGITS.length; k++) char(48 + DIGITS[k]);
  return len + DIGITS.length - p;
}

/** An argument's name: its own hash becomes the seed of its leaves. */
function arg(name: string): void {
  S[SEED_A] = 0x811c9dc5 | 0;
  S[SEED_B] = 0x9747b28c | 0;
  leaf(name); // counts as a leaf: an empty argument is not carried by every shape, so it is undone below
  S[COUNT]--; // when no leaf follows
  S[SEED_A] = S[H_A];
  S[SEED_B] = S[H_B];
}

function isByteList(v: readonly unknown[]): boolean {
  if (v.length === 0) return false;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 255) return false;
  }
  return true;
}

/** A list of bytes as one leaf: the text of its numbers joined by ',' (v.join(',')). */
function byteListLeaf(v: ArrayLike<number>): void {
  open();
  let len = v.length - 1; // the commas
  for (let i = 0; i < v.length; i++) {
    if (i > 0) char(44);
    len += intChars(v[i]);
  }
  close(len);
}

/** A scalar's leaf (zero values are none); false for an object (or a function, symbol, undefined). */
function scalar(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
      if (v !== '' && v !== '0') leaf(v);
      return true;
    case 'number':
      if (v === 0 || Number.isNaN(v)) return true;
      if (Number.isSafeInteger(v)) {
        open();
        close(intChars(v));
      } else leaf(String(v));
      return true;
    case 'bigint':
      if (v !== 0n) leaf(v.toString());
      return true;
    case 'boolean':
      if (v) leaf('1');
      return true;
    case 'object':
      return false;
    default:
      return true;
  }
}

function leaves(v: unknown, depth: number): void {
  if (scalar(v) || v === null || depth > 32) return; // hostile nesting: the mapper refuses it elsewhere; the id need not go deeper
  if (Array.isArray(v)) {
    if (isByteList(v)) {
      byteListLeaf(v as number[]);
      return;
    }
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (!scalar(x)) leaves(x, depth + 1);
    }
    return;
  }
  if (v instanceof Uint8Array) {
    if (v.length > 0) byteListLeaf(v);
    return;
  }
  // own enumerable values (what for-in with hasOwn visits); the sums make their order irrelevant
  const o = v as Record<string, unknown>;
  if (forInIsOwn(o)) {
    for (const k in o) {
      const x = o[k];
      if (!scalar(x)) leaves(x, depth + 1);
    }
    return;
  }
  const values = Object.values(o);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (!scalar(x)) leaves(x, depth + 1);
  }
}

/** The canonical form of the data, as text: the two multiset hashes and the leaf count. */
export function canonicalData(fields: readonly DataField[] | undefined): string {
  S[SUM_A] = 0;
  S[SUM_B] = 0;
  S[COUNT] = 0;
  if (fields) {
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      const a = S[SUM_A];
      const b = S[SUM_B];
      const n = S[COUNT];
      arg(f.name);
      leaves(f.value, 0);
      if (S[COUNT] === n) {
        S[SUM_A] = a;
        S[SUM_B] = b;
      } // an argument with only zero values: as if absent (proto3)
    }
  }
  const count = S[COUNT];
  return count === 0 ? '' : `${uint32ToBase36(S[SUM_A] >>> 0)}.${uint32ToBase36(S[SUM_B] >>> 0)}.${count}`;
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

/** The identity key of an event (what `eventId` hashes, as UTF-8). */
export function identityKey(event: TraceeEvent, name = event.name): string {
  const ev = ORIGINAL.get(event) ?? event;
  const p = ev.workload.process;
  return (
    `${ev.timestamp}|${p?.thread?.host_tid ?? ''}|${p?.host_pid ?? ''}|${p?.unique_id ?? ''}|${name}|${ev.workload.container?.id ?? ''}` +
    `|${canonicalData(ev.data)}|${canonicalDetectedFrom(ev.detected_from)}`
  );
}

/**
 * Deterministic event id: 22 base64url characters of SHA-256 over the identity key (132 bits). The
 * key is written as its UTF-8 bytes (key-bytes.ts), the same bytes as identityKey's text.
 */
export function eventId(event: TraceeEvent, name = event.name): string {
  const ev = ORIGINAL.get(event) ?? event;
  const p = ev.workload.process;
  startKey();
  putTemplate(ev.timestamp);
  putChar(124); // '|'
  putValue(p?.thread?.host_tid);
  putChar(124);
  putValue(p?.host_pid);
  putChar(124);
  putValue(p?.unique_id);
  putChar(124);
  putTemplate(name);
  putChar(124);
  putValue(ev.workload.container?.id);
  putChar(124);
  // the data's and detection's canonical texts are short (two base-36 sums and a count): as strings
  putText(canonicalData(ev.data));
  putChar(124);
  putText(canonicalDetectedFrom(ev.detected_from));
  return hash('sha256', keyBytes(), 'base64url').slice(0, 22);
}
