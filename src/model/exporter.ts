// The exporter contract. An exporter sends one batch and CLASSIFIES the result; it never sleeps,
// loops or retries: the delivery layer (src/delivery) owns batching, retry, backoff and dead-letter.

import type { EcsRecord, OtelRecord, Origin, TraceeRecord } from './records.ts';

/** What the exporter is handed: ECS documents, OTel log records, or the Tracee event itself (TraceeRecord). */
export type ExportTarget = 'ecs' | 'otel' | 'tracee';

export interface ExportItem<R = EcsRecord | OtelRecord | TraceeRecord> {
  record: R;
  origin: Origin;
}

/**
 * Why a refused item is dead-lettered. 'permanent' (the default): a verdict on the event itself (it will fail
 * the same way wherever it is sent). 'destination_state': the destination's state refused it (e.g. a template
 * that differs from ours); it can clear when an operator fixes the destination, so it is replayable.
 */
export type RejectCause = 'permanent' | 'destination_state';

/** Outcome of one item inside a batch (e.g. one bulk item). */
export type ItemOutcome =
  | { status: 'ok' }
  | { status: 'duplicate' } // already delivered (ES 409 on create)
  | { status: 'retryable'; reason: string; retryAfterMs?: number }
  | { status: 'rejected'; reason: string; cause?: RejectCause }; // dead-letter it (cause: see RejectCause)

export type SendOutcome =
  | { status: 'ok'; rejected?: number; rejectedReason?: string } // OTLP partial success: counted, not retried
  | { status: 'retryable'; reason: string; retryAfterMs?: number } // whole batch may be sent again
  | { status: 'rejected'; reason: string; cause?: RejectCause } // whole batch is refused for this run
  | { status: 'partial'; items: ItemOutcome[] }; // per item, same order as the batch

export interface Exporter<R = EcsRecord | OtelRecord | TraceeRecord> {
  readonly name: string;
  readonly target: ExportTarget;
  /** Connect, check or install what the destination needs (templates...). */
  start(): Promise<void>;
  send(batch: readonly ExportItem<R>[], signal?: AbortSignal): Promise<SendOutcome>;
  shutdown(): Promise<void>;
}
