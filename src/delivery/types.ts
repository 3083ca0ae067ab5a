// The delivery layer's public types. Delivery wraps any Exporter (src/model/exporter.ts) and owns
// queueing, batching, concurrency, retry, backoff and dead-lettering; exporters only classify.

import type { ExportItem } from '../model/exporter.ts';
import type { EcsRecord, OtelRecord, TraceeRecord } from '../model/records.ts';

type Rec = EcsRecord | OtelRecord | TraceeRecord;

/**
 * The terminal state an item reaches; each accepted item reaches exactly one, exactly once.
 * 'persisted': a disk-buffered delivery wrote it to its buffer (delivery continues from there).
 */
export type AckResult = 'delivered' | 'duplicate' | 'dead_lettered' | 'dropped' | 'persisted';

/**
 * An item as the delivery layer carries it. `ack` is called exactly once, when the item reaches a
 * terminal state (sources hang offsets / disk-buffer commits on it). `input` is the original input
 * text, written to the dead letter when present.
 */
export type DeliveryItem<R = Rec> = ExportItem<R> & {
  ack?(result: AckResult): void;
  input?: string;
};

/** Injectable time. `now()` is monotonic milliseconds; `sleep` resolves early (never rejects) on abort. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export type WhenFull = 'block' | 'drop_newest';

/** Options as a caller gives them; every field has a default (see options.ts). */
export interface DeliveryOptions<R = Rec> {
  maxQueueItems?: number;
  maxQueueBytes?: number;
  whenFull?: WhenFull;
  maxBatchItems?: number;
  maxBatchBytes?: number;
  flushIntervalMs?: number;
  concurrency?: number;
  sendTimeoutMs?: number; // Infinity = no timeout
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  backoffMultiplier?: number;
  maxRetries?: number; // Infinity (default) = keep trying while the process lives
  maxElapsedMs?: number; // Infinity (default) = no limit
  circuitFailureThreshold?: number; // consecutive retryable failures that open the circuit (default 5; Infinity = never)
  sizeOf?: (item: DeliveryItem<R>) => number;
  clock?: Clock;
  random?: () => number; // [0, 1), for jitter
}

export type ResolvedDeliveryOptions<R = Rec> = Readonly<Required<DeliveryOptions<R>>>;

/**
 * 'healthy' after a send the destination answered; 'retrying' after a retryable failure; 'open' (the
 * circuit breaker) after circuitFailureThreshold consecutive ones: one probe batch at a time until an answer.
 */
export type HealthState = 'healthy' | 'retrying' | 'open';
export type Lifecycle = 'running' | 'draining' | 'closed';

export interface StateDetail {
  consecutiveFailures: number;
  lastError: string | undefined;
}

export interface RetryInfo {
  attempt: number; // 1 = first retry
  delayMs: number;
  items: number;
  reason: string;
}

/**
 * Why an item was dead-lettered. 'rejected': the destination refused the event itself (permanent, settled).
 * The others can clear (the event itself was fine): 'destination_state' (e.g. template drift),
 * 'retries_exhausted' (maxRetries / maxElapsedMs), 'shutdown_deadline' (not delivered before the deadline).
 */
export type DeadLetterKind = 'rejected' | 'destination_state' | 'retries_exhausted' | 'shutdown_deadline';

/** True for the kinds whose events are fine and may be delivered later (replay): see docs/delivery.md. */
export function clearable(kind: DeadLetterKind): boolean {
  return kind !== 'rejected';
}

/** Observability and terminal-state callbacks. A hook that throws is counted, never propagated. */
export interface DeliveryHooks<R = Rec> {
  /** `item` is absent when the destination reported a count only (OTLP partial success). */
  onDrop?(reason: string, count: number, item?: DeliveryItem<R>): void;
  /**
   * Store a dead-lettered item. Return false when it could not be stored (no dead letter, write failed):
   * an item dead-lettered for a clearable kind is then NOT acked, so a file source re-reads it at the next
   * start instead of moving its checkpoint past it. A permanent rejection is acked ('dead_lettered') anyway.
   */
  onDeadLetter?(item: DeliveryItem<R>, reason: string, kind: DeadLetterKind): boolean | void;
  onStateChange?(state: HealthState, detail: StateDetail): void;
  onRetry?(info: RetryInfo): void;
}

export interface DeliveryStats {
  received: number; // accepted + dropped at push
  delivered: number;
  duplicates: number;
  deadLettered: number;
  /** deadLettered by kind. */
  deadLetteredBy: Partial<Record<DeadLetterKind, number>>;
  /** Dead-lettered for a clearable kind and not stored (onDeadLetter returned false): not acked. */
  deadLetteredUnstored: number;
  dropped: Record<string, number>; // by reason
  droppedTotal: number;
  returned: number; // handed back by shutdown (ShutdownReport.pending)
  retries: number; // batch re-sends scheduled
  retriedItems: number;
  batchesSent: number; // exporter.send calls, retries included
  timeouts: number;
  inFlightBatches: number; // batches being sent or waiting to retry
  inFlightItems: number;
  queuedItems: number;
  queuedBytes: number;
  waitingPushes: number; // push calls blocked by a full queue
  hookErrors: number;
  lastError: string | undefined;
  state: HealthState;
  consecutiveFailures: number;
  lifecycle: Lifecycle;
  /** Present for a disk-buffered delivery (src/delivery/disk-buffer/). */
  buffer?: BufferStats;
}

/** The disk buffer of one exporter. */
export interface BufferStats {
  /** Bytes of the segment files. */
  bytes: number;
  maxBytes: number;
  /** Records written and not yet acknowledged by the destination. */
  events: number;
  /** Of those, records handed to the in-memory delivery. */
  inMemory: number;
  persisted: number;
  replayedFromDisk: number;
  /** Damaged records skipped (torn tail, bad checksum, undecodable). */
  corrupt: number;
  droppedOldest: number;
  segments: number;
}

export interface ShutdownReport<R = Rec> {
  /** True when everything reached a terminal state before the deadline. */
  drained: boolean;
  /** Accepted items that had not reached a terminal state; they were NOT acked: the caller owns them. */
  pending: DeliveryItem<R>[];
  /** Disk buffer: records not delivered that stay in the buffer for the next start (never in `pending`). */
  buffered?: number;
  stats: DeliveryStats;
}

/**
 * Room held for one item in a delivery (push sources): commit() pushes the item without waiting,
 * cancel() gives the room back. Exactly one of the two must be called.
 */
export interface PushReservation {
  commit(): Promise<void>;
  cancel(): void;
}

/** A reservation still waiting for room when its signal aborted: the item was never accepted. */
export class PushWithdrawn extends Error {
  constructor(where: string) {
    super(`${where}: push withdrawn before it was accepted`);
    this.name = 'PushWithdrawn';
  }
}

export interface Delivery<R = Rec> {
  /** Resolves once the item is accepted (or counted as dropped); rejects after shutdown. */
  push(item: DeliveryItem<R>): Promise<void>;
  /**
   * Waits for room for `item` (in line with blocked pushes) and holds it. If `signal` aborts first
   * the wait is withdrawn (rejects with PushWithdrawn) and nothing of the item stays. Lets a push
   * source take an event in every exporter or in none (a webhook 503 is a refusal).
   */
  reserve?(item: DeliveryItem<R>, signal?: AbortSignal): Promise<PushReservation>;
  /** Resolves when everything pushed before the call reached a terminal state. */
  flush(): Promise<void>;
  /** Stop accepting, drain, and after `timeoutMs` hand back what is still pending. Idempotent. */
  shutdown(timeoutMs: number): Promise<ShutdownReport<R>>;
  stats(): DeliveryStats;
}
