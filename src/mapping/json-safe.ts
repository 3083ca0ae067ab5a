// Values headed for JSON (ECS documents) or OTel attributes: bigint → decimal string, everything
// else unchanged; objects are copied, never mutated.

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
  for (const k of Object.keys(o)) {
    const x = o[k];
    const y = toJsonSafe(x);
    if (y !== x) {
      copy ??= Object.assign(Object.create(null), o);
      copy![k] = y;
    }
  }
  return copy ?? o;
}
