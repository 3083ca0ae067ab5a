// When to cut a batch from the queue, and how big: by count, by bytes, by time since the oldest
// waiting item arrived, or at once while a flush/shutdown wants everything up to a sequence number.
// Owns the one batch timer; the caller pumps when it fires.

import type { ItemQueue } from './queue.ts';
import type { Clock, DeliveryItem } from './types.ts';

export interface BatchLimits {
  readonly maxBatchItems: number;
  readonly maxBatchBytes: number;
  readonly flushIntervalMs: number;
}

export interface Batcher<R> {
  /** Call after each add to the queue. */
  added(): void;
  /** Cut batches at once until every item with sequence < seq has left the queue. */
  hurryUntil(seq: number): void;
  /** Whether a batch should be cut now. */
  ready(): boolean;
  take(): { items: DeliveryItem<R>[]; bytes: number; firstSeq: number };
  /** Arm the interval timer if items wait and it is not armed; `onFire` is called when it fires. */
  arm(): void;
  cancel(): void;
}

export function createBatcher<R>(
  queue: ItemQueue<R>,
  limits: BatchLimits,
  clock: Clock,
  onFire: () => void,
): Batcher<R> {
  let windowStart = 0; // when the oldest waiting item arrived (approximately: when the queue last became non-empty)
  let hurrySeq = 0;
  let timer: AbortController | undefined;

  return {
    added() {
      if (queue.length === 1) windowStart = clock.now();
    },
    hurryUntil(seq) {
      if (seq > hurrySeq) hurrySeq = seq;
    },
    ready() {
      const n = queue.length;
      if (n === 0) return false;
      return (
        n >= limits.maxBatchItems ||
        queue.bytes >= limits.maxBatchBytes ||
        queue.headSeq < hurrySeq ||
        clock.now() - windowStart >= limits.flushIntervalMs
      );
    },
    take() {
      const firstSeq = queue.headSeq;
      const { items, bytes } = queue.take(limits.maxBatchItems, limits.maxBatchBytes);
      return { items, bytes, firstSeq };
    },
    arm() {
      if (timer !== undefined || queue.length === 0) return;
      const ac = new AbortController();
      timer = ac;
      const wait = windowStart + limits.flushIntervalMs - clock.now();
      clock.sleep(wait > 0 ? wait : 0, ac.signal).then(() => {
        if (timer !== ac) return; // cancelled or superseded
        timer = undefined;
        onFire();
      });
    },
    cancel() {
      timer?.abort();
      timer = undefined;
    },
  };
}
