// When one batch goes out as several requests (size split) or has records that cannot be sent,
// the per-request outcomes are combined into one SendOutcome:
//   - every request ok and nothing unsendable → one `ok`, partial-success counts summed;
//   - every item retryable (the first request failed retryable)   → one `retryable`;
//   - otherwise `partial`, per item in batch order. `partial` has no field for the collector's
//     partial-success count (it does not say which records it rejected): that count is returned in
//     `lostRejected` for the caller to report.

import type { ItemOutcome, SendOutcome } from '../../model/exporter.ts';

export interface ChunkResult {
  start: number;
  end: number;
  outcome: SendOutcome; // 'ok' | 'retryable' | 'rejected' (never 'partial')
}

export interface Combined {
  outcome: SendOutcome;
  /** Collector partial-success rejections that a `partial` outcome cannot carry. */
  lostRejected: number;
}

function toItem(o: SendOutcome): ItemOutcome {
  switch (o.status) {
    case 'ok':
      return { status: 'ok' };
    case 'retryable':
      return o.retryAfterMs === undefined
        ? { status: 'retryable', reason: o.reason }
        : { status: 'retryable', reason: o.reason, retryAfterMs: o.retryAfterMs };
    case 'rejected':
      return { status: 'rejected', reason: o.reason };
    case 'partial':
      throw new Error('a chunk outcome cannot be partial');
  }
}

export function combineOutcomes(
  size: number,
  chunks: readonly ChunkResult[],
  unsendable: ReadonlyArray<{ index: number; reason: string }>,
): Combined {
  let rejectedSum = 0;
  const reasons: string[] = [];
  for (const c of chunks) {
    if (c.outcome.status === 'ok' && c.outcome.rejected) {
      rejectedSum += c.outcome.rejected;
      if (c.outcome.rejectedReason) reasons.push(c.outcome.rejectedReason);
    }
  }
  if (unsendable.length === 0 && chunks.every((c) => c.outcome.status === 'ok')) {
    if (rejectedSum === 0) {
      const note = chunks.map((c) => (c.outcome.status === 'ok' ? c.outcome.rejectedReason : undefined)).find(Boolean);
      return {
        outcome: note ? { status: 'ok', rejected: 0, rejectedReason: note } : { status: 'ok' },
        lostRejected: 0,
      };
    }
    return { outcome: { status: 'ok', rejected: rejectedSum, rejectedReason: reasons.join('; ') }, lostRejected: 0 };
  }
  if (unsendable.length === 0 && chunks.length > 0 && chunks.every((c) => c.outcome.status === 'retryable')) {
    return { outcome: chunks[0].outcome, lostRejected: 0 };
  }
  const items: ItemOutcome[] = new Array(size);
  for (const c of chunks) {
    const item = toItem(c.outcome);
    for (let i = c.start; i < c.end; i++) items[i] = item;
  }
  for (const u of unsendable) items[u.index] = { status: 'rejected', reason: u.reason };
  for (let i = 0; i < size; i++) {
    if (items[i] === undefined) throw new Error(`internal: batch item ${i} has no outcome`);
  }
  return { outcome: { status: 'partial', items }, lostRejected: rejectedSum };
}
