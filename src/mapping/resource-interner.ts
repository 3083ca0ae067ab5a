// One OtelResource object per distinct workload, so exporters can group by object identity
// (OTel JS builds one ResourceLogs per Resource object). Bounded: least recently used goes first.

import type { Attributes, OtelResource } from '../model/records.ts';

export interface ResourceInterner {
  get(key: string, attributes: Attributes): OtelResource;
  readonly size: number;
}

export function createResourceInterner(max: number): ResourceInterner {
  const map = new Map<string, OtelResource>();
  return {
    get(key, attributes) {
      const hit = map.get(key);
      if (hit !== undefined) {
        map.delete(key);
        map.set(key, hit);
        return hit;
      }
      const r: OtelResource = Object.freeze({ key, attributes: Object.freeze(attributes) });
      map.set(key, r);
      if (map.size > max) map.delete(map.keys().next().value!);
      return r;
    },
    get size() { return map.size; },
  };
}
