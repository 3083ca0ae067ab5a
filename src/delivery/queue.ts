// A FIFO of accepted items with their sizes, bounded by item count and bytes. Plain arrays with a
// moving head (no per-item allocation, no Array#shift). Every accepted item gets the next sequence
// number implicitly: the head's sequence is `accepted - length`.

import type { DeliveryItem } from './types.ts';

const COMPACT_AT = 4096;

export interface ItemQueue<R> {
  readonly length: number;
  readonly bytes: number;
  /** Sequence number of the head item (or of the next item to be accepted when empty). */
  readonly headSeq: number;
  /** Whether an item of `size` bytes fits now (held room counts as used). An oversized item fits an empty queue, so it cannot stall. */
  fits(size: number): boolean;
  /** Room held for an item not added yet (a push reservation): counted by fits() until unhold(). */
  hold(size: number): void;
  unhold(size: number): void;
  add(item: DeliveryItem<R>, size: number): void;
  /** Remove up to maxItems from the head, within maxBytes (at least one item if non-empty). */
  take(maxItems: number, maxBytes: number): { items: DeliveryItem<R>[]; bytes: number };
  /** Remove everything (shutdown hand-back). */
  drain(): DeliveryItem<R>[];
}

export function createItemQueue<R>(maxItems: number, maxBytes: number): ItemQueue<R> {
  let items: (DeliveryItem<R> | undefined)[] = [];
  let sizes: number[] = [];
  let head = 0;
  let bytes = 0;
  let accepted = 0;
  let heldItems = 0;
  let heldBytes = 0;

  function reset(): void {
    items = [];
    sizes = [];
    head = 0;
  }

  return {
    get length() {
      return items.length - head;
    },
    get bytes() {
      return bytes;
    },
    get headSeq() {
      return accepted - (items.length - head);
    },
    fits(size) {
      const n = items.length - head + heldItems;
      if (n === 0) return true;
      return n < maxItems && bytes + heldBytes + size <= maxBytes;
    },
    hold(size) {
      heldItems++;
      heldBytes += size;
    },
    unhold(size) {
      heldItems--;
      heldBytes -= size;
    },
    add(item, size) {
      items.push(item);
      sizes.push(size);
      bytes += size;
      accepted++;
    },
    take(maxTake, maxTakeBytes) {
      let end = head;
      let taken = 0;
      const stop = Math.min(items.length, head + maxTake);
      while (end < stop) {
        const s = sizes[end];
        if (end > head && taken + s > maxTakeBytes) break;
        taken += s;
        end++;
      }
      const out = items.slice(head, end) as DeliveryItem<R>[];
      bytes -= taken;
      if (end === items.length) {
        reset();
      } else {
        for (let i = head; i < end; i++) items[i] = undefined; // let sent items be collected
        head = end;
        if (head >= COMPACT_AT && head * 2 >= items.length) {
          items = items.slice(head);
          sizes = sizes.slice(head);
          head = 0;
        }
      }
      return { items: out, bytes: taken };
    },
    drain() {
      const out = items.slice(head) as DeliveryItem<R>[];
      bytes = 0;
      reset();
      return out;
    },
  };
}
