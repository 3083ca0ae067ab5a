// The config model of delivery (`delivery:` at the top level and per exporter), of its buffer
// (`delivery.buffer`) and of the dead letter (`dead_letter:`): schema, defaults (the ones the code
// uses: DELIVERY_DEFAULTS, DEAD_LETTER_DEFAULTS, and BUFFER_DEFAULTS here) and the TypeScript types, in
// one place. Keys are snake_case; the code's options are camelCase (deliveryOptionsOf).

import { camelOptions, schema, type CamelCased, type FromSchema } from '../util/schema-type.ts';
import { DEAD_LETTER_DEFAULTS } from './dead-letter.ts';
import { DELIVERY_DEFAULTS } from './options.ts';
import type { DeliveryOptions } from './types.ts';

export const BUFFER_DEFAULTS = {
  type: 'memory',
  max_bytes: 256 * 1024 * 1024,
  when_full: 'block',
  fsync: 'interval',
  fsync_interval_ms: 500, // Vector's disk buffer syncs every 500 ms
} as const;

export const bufferSchema = schema({
  type: 'object',
  additionalProperties: false,
  description:
    "Where accepted events wait for the destination (docs/delivery.md): memory (default) or a disk buffer that survives restarts and kill -9. Set it under the top-level delivery (every exporter) or an exporter's delivery (that exporter; merged key by key over the top-level one).",
  properties: {
    type: {
      enum: ['memory', 'disk'],
      default: BUFFER_DEFAULTS.type,
      description:
        'disk: write-ahead segment files in <data_dir>/buffer/<exporter name>; a push is accepted once written (per fsync); replayed after a restart (at-least-once).',
    },
    max_bytes: {
      type: 'integer',
      minimum: 65536,
      default: BUFFER_DEFAULTS.max_bytes,
      description: "disk: cap on the buffer's files.",
    },
    when_full: {
      enum: ['block', 'drop_oldest'],
      default: BUFFER_DEFAULTS.when_full,
      description:
        'disk: at the cap, block the source (back-pressure), or drop the oldest segments (each event counted, reason buffer_full_drop_oldest).',
    },
    fsync: {
      enum: ['always', 'interval', 'never'],
      default: BUFFER_DEFAULTS.fsync,
      description:
        'disk: always = a push waits for fsync (survives power loss); interval = fsync every fsync_interval_ms; never = the OS decides. Every policy survives kill -9.',
    },
    fsync_interval_ms: {
      type: 'integer',
      minimum: 1,
      default: BUFFER_DEFAULTS.fsync_interval_ms,
      description: 'disk + fsync interval: how often.',
    },
    segment_bytes: {
      type: 'integer',
      minimum: 4096,
      description:
        'disk: size of one segment file (default max_bytes / 8, within 64 KiB..64 MiB); drop_oldest drops whole segments.',
    },
  },
});
export type BufferConfig = FromSchema<typeof bufferSchema>;

const D = DELIVERY_DEFAULTS;
export const deliverySchema = schema({
  type: 'object',
  additionalProperties: false,
  description:
    "Queue, batching, retry and buffer of an exporter: the top-level delivery applies to every exporter, an exporter's own delivery wins key by key.",
  properties: {
    max_queue_items: {
      type: 'integer',
      minimum: 1,
      default: D.maxQueueItems,
      description: 'Most events waiting in the queue.',
    },
    max_queue_bytes: {
      type: 'integer',
      minimum: 1,
      default: D.maxQueueBytes,
      description: 'Most (estimated) bytes waiting in the queue.',
    },
    when_full: {
      enum: ['block', 'drop_newest'],
      default: D.whenFull,
      description: 'Queue full: block the source (back-pressure), or drop the new event (counted).',
    },
    max_batch_items: {
      type: 'integer',
      minimum: 1,
      default: D.maxBatchItems,
      description: 'Most events per request (at most max_queue_items).',
    },
    max_batch_bytes: {
      type: 'integer',
      minimum: 1,
      default: D.maxBatchBytes,
      description: 'Most (estimated) bytes per request (at most max_queue_bytes).',
    },
    flush_interval_ms: {
      type: 'integer',
      minimum: 1,
      default: D.flushIntervalMs,
      description: 'A partial batch is sent after this long.',
    },
    concurrency: { type: 'integer', minimum: 1, default: D.concurrency, description: 'Requests in flight at once.' },
    send_timeout_ms: {
      type: 'integer',
      minimum: 1,
      default: D.sendTimeoutMs,
      description: 'One send attempt is abandoned (and retried) after this long.',
    },
    initial_backoff_ms: {
      type: 'integer',
      minimum: 1,
      default: D.initialBackoffMs,
      description: 'First retry delay (exponential, with jitter; Retry-After honoured).',
    },
    max_backoff_ms: {
      type: 'integer',
      minimum: 1,
      default: D.maxBackoffMs,
      description: 'Longest retry delay (>= initial_backoff_ms).',
    },
    max_retries: {
      type: 'integer',
      minimum: 0,
      description: 'Retries of one batch before it is dead-lettered (default: unlimited while the process lives).',
    },
    max_elapsed_ms: {
      type: 'integer',
      minimum: 1,
      description: 'Time one batch may spend retrying before it is dead-lettered (default: unlimited).',
    },
    circuit_failure_threshold: {
      type: 'integer',
      minimum: 1,
      default: D.circuitFailureThreshold,
      description:
        'Consecutive retryable failures that open the circuit (docs/telemetry.md): then one probe batch at a time until the destination answers.',
    },
    buffer: bufferSchema,
  },
});
export type DeliveryConfig = FromSchema<typeof deliverySchema>;

export const deadLetterSchema = schema({
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: {
      type: 'string',
      description:
        'NDJSON file for rejected input and permanently refused events (created 0600; a symbolic link is refused).',
    },
    max_bytes: {
      type: 'integer',
      minimum: 1024,
      default: DEAD_LETTER_DEFAULTS.maxBytes,
      description: 'Largest size of the dead-letter file (default 100 MiB); past it the file is rotated to <path>.1.',
    },
    max_files: {
      type: 'integer',
      minimum: 0,
      default: DEAD_LETTER_DEFAULTS.maxFiles,
      description:
        'Rotated files kept (<path>.1 newest … <path>.N oldest, default 5); the oldest beyond them is deleted, counted and logged. Disk use stays below max_bytes × (max_files + 1).',
    },
  },
});
export type DeadLetterConfig = FromSchema<typeof deadLetterSchema>;

/** The delivery an exporter gets: its own section over the top-level one, key by key (the buffer too). */
export function mergedDelivery(top: DeliveryConfig | undefined, own: DeliveryConfig | undefined): DeliveryConfig {
  const buffer =
    top?.buffer === undefined && own?.buffer === undefined
      ? undefined
      : { ...(top?.buffer ?? {}), ...(own?.buffer ?? {}) };
  return { ...(top ?? {}), ...(own ?? {}), ...(buffer === undefined ? {} : { buffer }) };
}

/** A delivery section as the options of createDelivery (camelCase; the buffer is not one of them). */
export function deliveryOptionsOf(c: DeliveryConfig): DeliveryOptions {
  const { buffer: _buffer, ...rest } = c;
  // the compiler checks the camel-cased config against the options type
  return camelOptions(deliverySchema, rest) as CamelCased<typeof rest>;
}
