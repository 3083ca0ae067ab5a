// Typed field readers for decoded JSON. A wrong type throws ShapeError with the field path;
// the decoder turns it into a rejection. Big integers arrive as bigint or as marked strings.

import { reviveBig } from '../util/lossless-json.ts';
import type { Int64 } from '../model/event.ts';

export class ShapeError extends Error {
  readonly path: string;
  constructor(path: string, expected: string, got: unknown) {
    super(`field "${path}": expected ${expected}, got ${describe(got)}`);
    this.path = path;
  }
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function obj(v: unknown, path: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new ShapeError(path, 'an object', v);
  return v;
}

export function str(v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ShapeError(path, 'a string', v);
  return v;
}

export function bool(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new ShapeError(path, 'a boolean', v);
  return v;
}

/** An integer that fits a JS number exactly (pids, ids, 32-bit values). */
export function int(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d{1,15}$/.test(v)) return Number(v); // proto3 JSON may quote
  throw new ShapeError(path, 'an integer', reviveBig(v));
}

/** A 64-bit integer: number when safe, else bigint. Accepts quoted decimal (proto3 JSON int64). */
export function int64(v: unknown, path: string): Int64 | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return v;
    throw new ShapeError(path, 'an integer', v);
  }
  if (typeof v === 'bigint') return v;
  if (typeof v === 'string') {
    const r = reviveBig(v);
    if (typeof r === 'bigint') return r;
    if (/^-?\d+$/.test(v)) {
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : BigInt(v);
    }
  }
  throw new ShapeError(path, 'an integer', v);
}

/** Largest epoch nanoseconds: Tracee's int64 timestamps (2262-04-11); ES date_nanos ends there too. */
export const MAX_EPOCH_NS = 2n ** 63n - 1n;

/** Epoch nanoseconds in [0, 2^63): a time outside it cannot be a Tracee time (nor a date to ship). */
export function epochNs(x: bigint, path: string): bigint {
  if (x < 0n || x > MAX_EPOCH_NS) throw new ShapeError(path, 'epoch nanoseconds in [0, 2^63)', x);
  return x;
}

/** Nanoseconds as bigint (from an Int64 reader), within epochNs's range. */
export function ns(v: unknown, path: string): bigint | undefined {
  const x = int64(v, path);
  return x === undefined ? undefined : epochNs(BigInt(x), path);
}

export function strArray(v: unknown, path: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new ShapeError(path, 'an array of strings', v);
  for (let i = 0; i < v.length; i++)
    if (typeof v[i] !== 'string') throw new ShapeError(`${path}[${i}]`, 'a string', v[i]);
  return v as string[];
}

export function arr(v: unknown, path: string): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new ShapeError(path, 'an array', v);
  return v;
}

/** Copy a plain string map, rejecting non-string values (labels, threat properties). */
export function strMap(v: unknown, path: string): Record<string, string> | undefined {
  const o = obj(v, path);
  if (o === undefined) return undefined;
  const out: Record<string, string> = Object.create(null);
  for (const k of Object.keys(o)) {
    const x = o[k];
    out[k] = typeof x === 'string' ? x : String(reviveBig(x));
  }
  return out;
}
