// Default `sizeOf`: a cheap, bounded estimate of an item's serialized size in bytes. Callers that
// already know the encoded length (the mapper's fast path) should pass their own `sizeOf`.
//
// The walk counts string lengths, 8 bytes per number/boolean and key lengths plus a little syntax,
// and stops after NODE_BUDGET values (a truncated walk counts double: crude, but bounded). An OTel
// record's `resource` is skipped: it is one shared object per workload, not per-item memory.

import type { DeliveryItem } from './types.ts';

const NODE_BUDGET = 256;
const SCALAR_BYTES = 8;

interface Walk {
  nodes: number;
  bytes: number;
  truncated: boolean;
}

function walk(v: unknown, w: Walk): void {
  if (w.nodes >= NODE_BUDGET) {
    w.truncated = true;
    return;
  }
  w.nodes++;
  switch (typeof v) {
    case 'string':
      w.bytes += v.length + 2;
      return;
    case 'number':
    case 'boolean':
    case 'bigint':
      w.bytes += SCALAR_BYTES;
      return;
    case 'object':
      if (v === null) {
        w.bytes += 4;
        return;
      }
      if (Array.isArray(v)) {
        w.bytes += 2;
        for (let i = 0; i < v.length && !w.truncated; i++) {
          w.bytes += 1;
          walk(v[i], w);
        }
        return;
      }
      w.bytes += 2;
      for (const k in v as Record<string, unknown>) {
        if (k === 'resource') continue;
        w.bytes += k.length + 4;
        walk((v as Record<string, unknown>)[k], w);
        if (w.truncated) return;
      }
      return;
    default:
      return;
  }
}

export function estimateSize(item: DeliveryItem): number {
  const w: Walk = { nodes: 0, bytes: 0, truncated: false };
  walk(item.record, w);
  const bytes = w.truncated ? w.bytes * 2 : w.bytes;
  return bytes > 0 ? bytes : 1;
}
