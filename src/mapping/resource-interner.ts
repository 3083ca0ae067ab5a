// One OtelResource object per distinct workload, so exporters can group by object identity
// (OTel JS builds one ResourceLogs per Resource object). Bounded: least recently used goes first.

import type { Attributes, OtelResource } from '../model/records.ts';

export interface ResourceInterner {
  get(key: string, attributes: Attributes): OtelResource;
  /**
   * The Resource the last get returned, while it is still cached (and so the most recently used):
   * a caller whose attributes equal its attributes may take it without building a key.
   */
  readonly latest: OtelResource | undefined;
  readonly size: number;
}

export function createResourceInterner(max: number): ResourceInterner {
  const map = new Map<string, OtelResource>();
  let latest: OtelResource | undefined;
  return {
    get(key, attributes) {
      const hit = map.get(key);
      if (hit !== undefined) {
        if (hit !== latest) {
          // the latest is the most recently used already
          map.delete(key);
          map.set(key, hit);
        }
        latest = hit;
        return hit;
      }
      const r: OtelResource = Object.freeze({ key, attributes: Object.freeze(attributes) });
      map.set(key, r);
      if (map.size > max) map.delete(map.keys().next().value!);
      latest = map.has(key) ? r : undefined;
      return r;
    },
    get latest() {
      return latest;
    },
    get size() {
      return map.size;
    },
  };
}

/**
 * Do two attribute sets hold the same keys in the same order with the same values (scalars, or lists of
 * scalars)? Then their Resource key is the same. false where unsure (other values): build the key then.
 */
export function sameAttributes(a: Attributes, b: Attributes): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let k = 0; k < ka.length; k++) {
    if (ka[k] !== kb[k]) return false;
    const x = a[ka[k]];
    const y = b[kb[k]];
    if (x === y && (x === null || typeof x !== 'object')) continue;
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) {
      const e = x[j] as unknown;
      if (e !== y[j] || (e !== null && typeof e === 'object')) return false;
    }
  }
  return true;
}
