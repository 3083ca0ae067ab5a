// Apply one SendOutcome to the batch it answers: settle what is terminal through the ledger and
// return what must be sent again (the whole batch, or only the retryable items of a partial).

import type { SendOutcome } from '../model/exporter.ts';
import type { Health } from './health.ts';
import type { Ledger } from './ledger.ts';
import type { DeliveryItem } from './types.ts';

export interface RetryRequest<R> {
  items: DeliveryItem<R>[];
  reason: string;
  retryAfterMs: number | undefined;
}

export function applyOutcome<R>(
  items: DeliveryItem<R>[],
  outcome: SendOutcome,
  ledger: Ledger<R>,
  health: Health,
): RetryRequest<R> | undefined {
  switch (outcome.status) {
    case 'ok': {
      const refused =
        outcome.rejected === undefined ? 0 : Math.min(items.length, Math.max(0, Math.floor(outcome.rejected)));
      if (refused > 0) {
        ledger.deliveredExceptCount(items, refused, `partial_success: ${outcome.rejectedReason || 'unspecified'}`);
      } else {
        ledger.delivered(items);
      }
      health.answered();
      return undefined;
    }
    case 'retryable':
      ledger.counters.lastError = outcome.reason;
      health.failed(outcome.reason);
      return { items, reason: outcome.reason, retryAfterMs: outcome.retryAfterMs };
    case 'rejected':
      ledger.counters.lastError = outcome.reason;
      ledger.deadLetterAll(
        items,
        outcome.reason,
        outcome.cause === 'destination_state' ? 'destination_state' : 'rejected',
      );
      health.answered();
      return undefined;
    case 'partial':
      return applyPartial(items, outcome.items, ledger, health);
  }
}

function applyPartial<R>(
  items: DeliveryItem<R>[],
  outcomes: Extract<SendOutcome, { status: 'partial' }>['items'],
  ledger: Ledger<R>,
  health: Health,
): RetryRequest<R> | undefined {
  let retry: DeliveryItem<R>[] | undefined;
  let reason = '';
  let retryAfterMs: number | undefined;
  for (let i = 0; i < items.length; i++) {
    const o = outcomes[i];
    const item = items[i];
    switch (o?.status) {
      case 'ok':
        ledger.deliveredOne(item);
        break;
      case 'duplicate':
        ledger.duplicate(item);
        break;
      case 'rejected':
        ledger.counters.lastError = o.reason;
        ledger.deadLetter(item, o.reason, o.cause === 'destination_state' ? 'destination_state' : 'rejected');
        break;
      case 'retryable':
        if (retry === undefined) {
          retry = [];
          reason = o.reason;
        }
        retry.push(item);
        if (o.retryAfterMs !== undefined && (retryAfterMs === undefined || o.retryAfterMs > retryAfterMs))
          retryAfterMs = o.retryAfterMs;
        break;
      default: {
        // an exporter bug: keep the item rather than guess
        if (retry === undefined) {
          retry = [];
          reason = `invalid item outcome at index ${i}`;
        }
        retry.push(item);
      }
    }
  }
  if (retry === undefined) {
    health.answered();
    return undefined;
  }
  ledger.counters.lastError = reason;
  health.failed(reason);
  return { items: retry, reason, retryAfterMs };
}
