// Values headed for JSON (ECS documents) or OTel attributes: bigint → decimal string, everything
// else unchanged; objects are copied, never mutated.

import { forInIsOwn } from '../util/own-keys.ts';

export function toJsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const y = toJsonSafe(x);
      if (y !== x) {
        copy ??= v.slice();
        copy[i] = y;
      }
    }
    return copy ?? v;
  }
  const o = v as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  if (forInIsOwn(o)) for (const k in o) copy = withSafeMember(o, k, copy);
  else for (const k of Object.keys(o)) copy = withSafeMember(o, k, copy);
  return copy ?? o;
}

/** `copy` (made from `o` when first needed) with o[k] made JSON-safe, if that changed it. */
function withSafeMember(
  o: Record<string, unknown>,
  k: string,
  copy: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  const x = o[k];
  const y = toJsonSafe(x);
  if (y === x) return copy;
  const c = copy ?? Object.assign(Object.create(null), o);
  c[k] = y;
  return c;
}
