// createDelivery: the in-memory delivery layer around any Exporter. It owns the bounded queue
// (block or drop_newest), batching, up to `concurrency` batches in flight, retry with backoff,
// dead-lettering, acks, flush and shutdown. Exporters only classify (src/model/exporter.ts).
//
// Invariant: every accepted item is in exactly one place (the queue, one in-flight batch) until the
// ledger settles it (delivered | duplicate | dead_lettered | dropped) or shutdown hands it back.
// received = delivered + duplicates + deadLettered + droppedTotal + queued + inFlight + returned.

import type { Exporter } from '../model/exporter.ts';
import { AdmissionLine, holdReservation } from './admission.ts';
import { retryDelay, shouldGiveUp } from './backoff.ts';
import { createBatcher } from './batcher.ts';
import { createHealth } from './health.ts';
import { createLedger } from './ledger.ts';
import { resolveDeliveryOptions } from './options.ts';
import { applyOutcome } from './outcome.ts';
import { createItemQueue } from './queue.ts';
import { sendAttempt } from './send-attempt.ts';
import type {
  Delivery,
  DeliveryHooks,
  DeliveryItem,
  DeliveryOptions,
  DeliveryStats,
  Lifecycle,
  PushReservation,
  ShutdownReport,
} from './types.ts';

interface Batch<R> {
  items: DeliveryItem<R>[];
  readonly firstSeq: number; // lowest sequence number it may hold (for flush)
  readonly firstAttemptAt: number;
  retries: number;
  attempt: AbortController | undefined;
}

/** A push waiting for room in the queue. */
interface BlockedPush<R> {
  item: DeliveryItem<R>;
  size: number;
  /** A reservation: admitted = room held in the queue, the item is added by its commit(). */
  hold: boolean;
}

interface FlushWaiter {
  target: number; // resolved once every sequence < target is settled
  resolve(): void;
  reject(err: Error): void;
}

/**
 * What push() returns when it took the item at once (accepted, or counted as dropped): one shared
 * settled promise, so a caller can see that nothing is to be awaited (ingest then takes the next
 * record without a promise of its own per event).
 */
export const PUSHED: Promise<void> = Promise.resolve();

export function createDelivery<R>(
  exporter: Exporter<R>,
  options: DeliveryOptions<R> = {},
  hooks: DeliveryHooks<R> = {},
): Delivery<R> {
  const o = resolveDeliveryOptions(options);
  const clock = o.clock;
  const sizeOf = o.sizeOf;
  const queue = createItemQueue<R>(o.maxQueueItems, o.maxQueueBytes);
  const batcher = createBatcher(queue, o, clock, pump);
  const ledger = createLedger(hooks);
  const counters = ledger.counters;
  const health = createHealth(hooks, ledger.hookError, o.circuitFailureThreshold);
  const active = new Set<Batch<R>>();
  const closing = new AbortController(); // ends backoff sleeps at the shutdown deadline
  const blocked = new AdmissionLine<BlockedPush<R>>(
    {
      fits: (size) => queue.fits(size),
      take: (b) => {
        if (b.hold) queue.hold(b.size);
        else accept(b.item, b.size);
      },
    },
    `delivery to ${exporter.name}`,
  );
  let flushWaiters: FlushWaiter[] = [];
  let lifecycle: Lifecycle = 'running';
  let shutdownReport: Promise<ShutdownReport<R>> | undefined;
  let inFlightItems = 0;
  let retries = 0;
  let retriedItems = 0;
  let batchesSent = 0;
  let timeouts = 0;

  function push(item: DeliveryItem<R>): Promise<void> {
    if (lifecycle !== 'running') {
      return Promise.reject(new Error(`delivery to ${exporter.name} is shut down: item not accepted`));
    }
    const size = sizeOf(item);
    if (blocked.admitsNow(size)) {
      accept(item, size);
      pump();
      return PUSHED;
    }
    if (o.whenFull === 'drop_newest') {
      ledger.droppedItem(item, 'queue_full');
      return PUSHED;
    }
    const accepted = blocked.wait({ item, size, hold: false }, size);
    pump(); // a full queue is a due batch: do not wait for the interval
    return accepted;
  }

  function reserve(item: DeliveryItem<R>, signal?: AbortSignal): Promise<PushReservation> {
    if (lifecycle !== 'running') {
      return Promise.reject(new Error(`delivery to ${exporter.name} is shut down: item not accepted`));
    }
    const size = sizeOf(item);
    const held = (): PushReservation =>
      holdReservation(
        () => {
          queue.unhold(size);
          if (lifecycle === 'closed')
            return Promise.reject(new Error(`delivery to ${exporter.name} shut down before the item was accepted`));
          accept(item, size);
          pump();
          return PUSHED;
        },
        () => {
          queue.unhold(size);
          blocked.admit();
          pump();
        },
      );
    if (blocked.admitsNow(size)) {
      queue.hold(size);
      return Promise.resolve(held());
    }
    if (o.whenFull === 'drop_newest') {
      // never waits: committing counts the drop, as push() would
      return Promise.resolve({
        commit: () => {
          ledger.droppedItem(item, 'queue_full');
          return PUSHED;
        },
        cancel: () => {},
      });
    }
    const admitted = blocked.wait({ item, size, hold: true }, size, signal).then(held);
    pump();
    return admitted;
  }

  function accept(item: DeliveryItem<R>, size: number): void {
    queue.add(item, size);
    counters.received++;
    batcher.added();
  }

  /** Start batches while slots are free and a batch is due; otherwise arm the interval timer. */
  function pump(): void {
    if (lifecycle === 'closed') return;
    while (active.size < o.concurrency && (batcher.ready() || (blocked.length > 0 && queue.length > 0))) {
      const { items, firstSeq } = batcher.take();
      blocked.admit();
      const b: Batch<R> = { items, firstSeq, firstAttemptAt: clock.now(), retries: 0, attempt: undefined };
      active.add(b);
      inFlightItems += items.length;
      void run(b);
    }
    if (active.size < o.concurrency) batcher.arm();
  }

  async function run(b: Batch<R>): Promise<void> {
    for (;;) {
      // an open circuit lets one probe batch through at a time; the others wait here
      if (health.state === 'open' && !(await health.gate(b, closing.signal))) return;
      if (closed()) return;
      const attempt = new AbortController();
      b.attempt = attempt;
      batchesSent++;
      const { outcome, timedOut } = await sendAttempt(exporter, b.items, o.sendTimeoutMs, clock, attempt);
      if (closed()) return; // its items were handed back at the deadline
      b.attempt = undefined;
      if (timedOut) timeouts++;
      const retry = applyOutcome(b.items, outcome, ledger, health);
      if (retry === undefined) return finish(b);
      inFlightItems -= b.items.length - retry.items.length;
      b.items = retry.items;
      b.retries++;
      const delayMs = retryDelay(b.retries, o, o.random(), retry.retryAfterMs);
      if (shouldGiveUp(b.retries, delayMs, b.firstAttemptAt, clock.now(), o)) {
        ledger.deadLetterAll(b.items, `retries_exhausted: ${retry.reason}`, 'retries_exhausted');
        return finish(b);
      }
      retries++;
      retriedItems += b.items.length;
      if (hooks.onRetry !== undefined) {
        try {
          hooks.onRetry({ attempt: b.retries, delayMs, items: b.items.length, reason: retry.reason });
        } catch (err) {
          ledger.hookError('onRetry', err);
        }
      }
      await clock.sleep(delayMs, closing.signal);
      if (closed()) return;
    }
  }

  /** A function, so TypeScript does not narrow `lifecycle` across awaits. */
  function closed(): boolean {
    return lifecycle === 'closed';
  }

  function finish(b: Batch<R>): void {
    active.delete(b);
    health.release(b);
    inFlightItems -= b.items.length;
    pump();
    settleFlushWaiters();
  }

  /** Lowest sequence number not yet settled. */
  function lowWater(): number {
    let low = queue.headSeq;
    for (const b of active) if (b.firstSeq < low) low = b.firstSeq;
    return low;
  }

  function settleFlushWaiters(): void {
    if (flushWaiters.length === 0) return;
    const low = lowWater();
    const waiting: FlushWaiter[] = [];
    for (const w of flushWaiters) {
      if (w.target <= low) w.resolve();
      else waiting.push(w);
    }
    flushWaiters = waiting;
  }

  function flush(): Promise<void> {
    if (lifecycle === 'closed') return Promise.resolve();
    // blocked pushes count; reservations do not (they may be withdrawn: a target never reached)
    const pushes = blocked.count((b) => !b.hold);
    const target = queue.headSeq + queue.length + pushes;
    if (lowWater() >= target) return Promise.resolve();
    batcher.hurryUntil(target);
    const done = new Promise<void>((resolve, reject) => {
      flushWaiters.push({ target, resolve, reject });
    });
    pump();
    return done;
  }

  /** The deadline passed: stop everything and hand back what is not settled, oldest first. */
  function close(): DeliveryItem<R>[] {
    lifecycle = 'closed';
    batcher.cancel();
    closing.abort();
    const pending: DeliveryItem<R>[] = [];
    const batches = [...active].sort((x, y) => x.firstSeq - y.firstSeq);
    for (const b of batches) {
      b.attempt?.abort(new Error('delivery shut down'));
      for (let i = 0; i < b.items.length; i++) pending.push(b.items[i]);
    }
    active.clear();
    inFlightItems = 0;
    const queued = queue.drain();
    for (let i = 0; i < queued.length; i++) pending.push(queued[i]);
    counters.returned += pending.length;
    blocked.refuseAll(() => new Error(`delivery to ${exporter.name} shut down before the item was accepted`));
    for (const w of flushWaiters)
      w.reject(new Error(`delivery to ${exporter.name} shut down with ${pending.length} items pending`));
    flushWaiters = [];
    return pending;
  }

  function shutdown(timeoutMs: number): Promise<ShutdownReport<R>> {
    if (shutdownReport !== undefined) return shutdownReport;
    if (lifecycle === 'running') lifecycle = 'draining';
    shutdownReport = (async (): Promise<ShutdownReport<R>> => {
      const deadline = new AbortController();
      const drained = flush().then(
        () => true,
        () => false,
      );
      const expired = clock.sleep(timeoutMs, deadline.signal).then(() => false);
      const ok = await Promise.race([drained, expired]);
      deadline.abort();
      const pending = close();
      return { drained: ok && pending.length === 0, pending, stats: stats() };
    })();
    return shutdownReport;
  }

  function stats(): DeliveryStats {
    return {
      received: counters.received,
      delivered: counters.delivered,
      duplicates: counters.duplicates,
      deadLettered: counters.deadLettered,
      deadLetteredBy: { ...counters.deadLetteredBy },
      deadLetteredUnstored: counters.deadLetteredUnstored,
      dropped: { ...counters.dropped },
      droppedTotal: counters.droppedTotal,
      returned: counters.returned,
      retries,
      retriedItems,
      batchesSent,
      timeouts,
      inFlightBatches: active.size,
      inFlightItems,
      queuedItems: queue.length,
      queuedBytes: queue.bytes,
      waitingPushes: blocked.length,
      hookErrors: counters.hookErrors,
      lastError: counters.lastError,
      state: health.state,
      consecutiveFailures: health.consecutiveFailures,
      lifecycle,
    };
  }

  return { push, reserve, flush, shutdown, stats };
}
