// Terminal states and their bookkeeping in one place: every count, hook call and ack goes through
// here, so "each item reaches exactly one terminal state, once" is checked in one file.
// Hooks and acks that throw are counted (hookErrors, lastError) and never break delivery.

import { clearable, type AckResult, type DeadLetterKind, type DeliveryHooks, type DeliveryItem } from './types.ts';

export interface Counters {
  received: number;
  delivered: number;
  duplicates: number;
  deadLettered: number;
  deadLetteredBy: Partial<Record<DeadLetterKind, number>>;
  deadLetteredUnstored: number;
  dropped: Record<string, number>;
  droppedTotal: number;
  returned: number;
  hookErrors: number;
  lastError: string | undefined;
}

export interface Ledger<R> {
  readonly counters: Counters;
  delivered(items: readonly DeliveryItem<R>[]): void;
  /**
   * The destination took the batch but refused `refused` of its items by count, without saying which
   * (OTLP partial success). Counted as delivered + dropped{partial_success: reason}; every item is
   * acked 'delivered' since none can be retried and no identity is known.
   */
  deliveredExceptCount(items: readonly DeliveryItem<R>[], refused: number, reason: string): void;
  deliveredOne(item: DeliveryItem<R>): void;
  duplicate(item: DeliveryItem<R>): void;
  deadLetter(item: DeliveryItem<R>, reason: string, kind?: DeadLetterKind): void;
  deadLetterAll(items: readonly DeliveryItem<R>[], reason: string, kind?: DeadLetterKind): void;
  /** A dropped item (queue full); counts it received too. */
  droppedItem(item: DeliveryItem<R>, reason: string): void;
  hookError(hook: string, err: unknown): void;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

export function createLedger<R>(hooks: DeliveryHooks<R>): Ledger<R> {
  const c: Counters = {
    received: 0,
    delivered: 0,
    duplicates: 0,
    deadLettered: 0,
    deadLetteredBy: {},
    deadLetteredUnstored: 0,
    dropped: Object.create(null),
    droppedTotal: 0,
    returned: 0,
    hookErrors: 0,
    lastError: undefined,
  };

  function hookError(hook: string, err: unknown): void {
    c.hookErrors++;
    c.lastError = `${hook} threw: ${errorMessage(err)}`;
  }

  function ack(item: DeliveryItem<R>, result: AckResult): void {
    if (item.ack === undefined) return;
    try {
      item.ack(result);
    } catch (err) {
      hookError('ack', err);
    }
  }

  /** Ack a range; one try per range, resumed after a throwing ack (no per-item try on the hot path). */
  function ackRange(items: readonly DeliveryItem<R>[], from: number, to: number, result: AckResult): void {
    let i = from;
    while (i < to) {
      try {
        for (; i < to; i++) {
          const a = items[i].ack;
          if (a !== undefined) a.call(items[i], result);
        }
      } catch (err) {
        hookError('ack', err);
        i++;
      }
    }
  }

  function countDrop(reason: string, count: number): void {
    c.dropped[reason] = (c.dropped[reason] ?? 0) + count;
    c.droppedTotal += count;
  }

  function deadLetter(item: DeliveryItem<R>, reason: string, kind: DeadLetterKind = 'rejected'): void {
    c.deadLettered++;
    let stored = true;
    if (hooks.onDeadLetter !== undefined) {
      try {
        stored = hooks.onDeadLetter(item, reason, kind) !== false;
      } catch (err) {
        stored = false;
        hookError('onDeadLetter', err);
      }
    }
    // an event that may still be deliverable is settled for its source only once the dead letter holds it
    // (deadLettered = Σ deadLetteredBy + deadLetteredUnstored)
    if (!stored && clearable(kind)) {
      c.deadLetteredUnstored++;
      return;
    }
    c.deadLetteredBy[kind] = (c.deadLetteredBy[kind] ?? 0) + 1;
    ack(item, 'dead_lettered');
  }

  return {
    counters: c,
    delivered(items) {
      c.delivered += items.length;
      ackRange(items, 0, items.length, 'delivered');
    },
    deliveredExceptCount(items, refused, reason) {
      c.delivered += items.length - refused;
      countDrop(reason, refused);
      if (hooks.onDrop !== undefined) {
        try {
          hooks.onDrop(reason, refused);
        } catch (err) {
          hookError('onDrop', err);
        }
      }
      ackRange(items, 0, items.length, 'delivered');
    },
    deliveredOne(item) {
      c.delivered++;
      ack(item, 'delivered');
    },
    duplicate(item) {
      c.duplicates++;
      ack(item, 'duplicate');
    },
    deadLetter,
    deadLetterAll(items, reason, kind) {
      for (let i = 0; i < items.length; i++) deadLetter(items[i], reason, kind);
    },
    droppedItem(item, reason) {
      c.received++;
      countDrop(reason, 1);
      if (hooks.onDrop !== undefined) {
        try {
          hooks.onDrop(reason, 1, item);
        } catch (err) {
          hookError('onDrop', err);
        }
      }
      ack(item, 'dropped');
    },
    hookError,
  };
}
