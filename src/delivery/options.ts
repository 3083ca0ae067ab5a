// Delivery defaults and validation. The result has no optional fields; code downstream never uses `??`.
// An invalid value passed in code is a programming or configuration error: it throws RangeError.

import { systemClock } from './clock.ts';
import { estimateSize } from './size-estimate.ts';
import type { DeliveryItem, DeliveryOptions, ResolvedDeliveryOptions } from './types.ts';

export const DELIVERY_DEFAULTS = {
  maxQueueItems: 10_000,
  maxQueueBytes: 16 * 1024 * 1024, // bytes, not events, bound memory (docs/delivery.md "Memory")
  whenFull: 'block',
  maxBatchItems: 1_000,
  maxBatchBytes: 5_000_000, // the ~5 MB bulk size peers default to (peers-reliability §0.9)
  flushIntervalMs: 1_000,
  concurrency: 4,
  sendTimeoutMs: 30_000,
  initialBackoffMs: 1_000,
  maxBackoffMs: 30_000,
  backoffMultiplier: 1.5,
  maxRetries: Infinity,
  maxElapsedMs: Infinity,
  circuitFailureThreshold: 5,
} as const;

/** An invalid delivery setting: `key` is the config key (snake_case), `reason` the message without it. */
export class DeliveryOptionError extends RangeError {
  readonly path: string;
  readonly reason: string;
  constructor(key: string, reason: string) {
    super(`delivery.${key}: ${reason}`);
    this.name = 'RangeError';
    this.path = key;
    this.reason = reason;
  }
}

const KEY = (camel: string) => camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

function positive(name: string, v: number, integer: boolean, allowInfinity = false): number {
  const ok = allowInfinity && v === Infinity ? true : Number.isFinite(v) && v > 0 && (!integer || Number.isInteger(v));
  if (!ok)
    throw new DeliveryOptionError(
      KEY(name),
      `expected a positive ${integer ? 'integer' : 'number'}${allowInfinity ? ' or Infinity' : ''}, got ${String(v)}`,
    );
  return v;
}

function nonNegative(name: string, v: number, allowInfinity: boolean): number {
  if (!(v >= 0) || (!allowInfinity && !Number.isFinite(v))) {
    throw new DeliveryOptionError(
      KEY(name),
      `expected a number >= 0${allowInfinity ? ' or Infinity' : ''}, got ${String(v)}`,
    );
  }
  return v;
}

export function resolveDeliveryOptions<R>(o: DeliveryOptions<R> = {}): ResolvedDeliveryOptions<R> {
  const d = DELIVERY_DEFAULTS;
  const r: ResolvedDeliveryOptions<R> = {
    maxQueueItems: positive('maxQueueItems', o.maxQueueItems ?? d.maxQueueItems, true),
    maxQueueBytes: positive('maxQueueBytes', o.maxQueueBytes ?? d.maxQueueBytes, false),
    whenFull: o.whenFull ?? d.whenFull,
    // A default batch limit never exceeds an explicit queue limit; two explicit ones must agree.
    maxBatchItems: positive(
      'maxBatchItems',
      o.maxBatchItems ?? Math.min(d.maxBatchItems, o.maxQueueItems ?? Infinity),
      true,
    ),
    maxBatchBytes: positive(
      'maxBatchBytes',
      o.maxBatchBytes ?? Math.min(d.maxBatchBytes, o.maxQueueBytes ?? Infinity),
      false,
    ),
    flushIntervalMs: nonNegative('flushIntervalMs', o.flushIntervalMs ?? d.flushIntervalMs, false),
    concurrency: positive('concurrency', o.concurrency ?? d.concurrency, true),
    sendTimeoutMs: positive('sendTimeoutMs', o.sendTimeoutMs ?? d.sendTimeoutMs, false, true),
    initialBackoffMs: nonNegative('initialBackoffMs', o.initialBackoffMs ?? d.initialBackoffMs, false),
    maxBackoffMs: nonNegative('maxBackoffMs', o.maxBackoffMs ?? d.maxBackoffMs, false),
    backoffMultiplier: positive('backoffMultiplier', o.backoffMultiplier ?? d.backoffMultiplier, false),
    maxRetries: nonNegative('maxRetries', o.maxRetries ?? d.maxRetries, true),
    maxElapsedMs: nonNegative('maxElapsedMs', o.maxElapsedMs ?? d.maxElapsedMs, true),
    circuitFailureThreshold: positive(
      'circuitFailureThreshold',
      o.circuitFailureThreshold ?? d.circuitFailureThreshold,
      true,
      true,
    ),
    sizeOf: o.sizeOf ?? (estimateSize as (item: DeliveryItem<R>) => number),
    clock: o.clock ?? systemClock,
    random: o.random ?? Math.random,
  };
  if (r.whenFull !== 'block' && r.whenFull !== 'drop_newest') {
    throw new DeliveryOptionError('when_full', `expected "block" or "drop_newest", got ${JSON.stringify(r.whenFull)}`);
  }
  if (r.backoffMultiplier < 1)
    throw new DeliveryOptionError('backoff_multiplier', `expected >= 1, got ${r.backoffMultiplier}`);
  if (r.initialBackoffMs > r.maxBackoffMs) {
    throw new DeliveryOptionError(
      'initial_backoff_ms',
      `must be <= max_backoff_ms (${r.maxBackoffMs}), got ${r.initialBackoffMs}`,
    );
  }
  if (r.maxBatchItems > r.maxQueueItems) {
    throw new DeliveryOptionError(
      'max_batch_items',
      `must be <= max_queue_items (${r.maxQueueItems}), got ${r.maxBatchItems}`,
    );
  }
  if (r.maxBatchBytes > r.maxQueueBytes) {
    throw new DeliveryOptionError(
      'max_batch_bytes',
      `must be <= max_queue_bytes (${r.maxQueueBytes}), got ${r.maxBatchBytes}`,
    );
  }
  if (r.maxRetries !== Infinity && !Number.isInteger(r.maxRetries)) {
    throw new DeliveryOptionError('max_retries', `expected an integer or Infinity, got ${r.maxRetries}`);
  }
  return r;
}
