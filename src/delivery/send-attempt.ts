// One call to exporter.send, made safe: a throw (sync or async) becomes `retryable` with the error
// message, `sendTimeoutMs` is enforced with the AbortSignal plus a timer (an exporter that ignores the
// signal is left behind, its late answer ignored), and a malformed outcome becomes `retryable`.

import type { Exporter, ExportItem, SendOutcome } from '../model/exporter.ts';
import { errorMessage } from './ledger.ts';
import type { Clock } from './types.ts';

export interface AttemptResult {
  outcome: SendOutcome;
  timedOut: boolean;
}

const TIMED_OUT = Symbol('timed out');
const ignore = (): void => {};

function isOutcome(o: unknown, n: number): o is SendOutcome {
  if (typeof o !== 'object' || o === null) return false;
  switch ((o as SendOutcome).status) {
    case 'ok':
    case 'retryable':
    case 'rejected':
      return true;
    case 'partial': {
      const items = (o as { items?: unknown }).items;
      return Array.isArray(items) && items.length === n;
    }
    default:
      return false;
  }
}

function describe(o: unknown): string {
  try {
    const s = JSON.stringify(o);
    return s === undefined ? String(o) : s.slice(0, 200);
  } catch {
    return String(o);
  }
}

/**
 * Send once. `abort` is the attempt's controller: the timeout aborts it, and so may the caller
 * (shutdown deadline). Never throws.
 */
export async function sendAttempt<R>(
  exporter: Exporter<R>,
  batch: readonly ExportItem<R>[],
  timeoutMs: number,
  clock: Clock,
  abort: AbortController,
): Promise<AttemptResult> {
  let sending: Promise<SendOutcome>;
  try {
    sending = Promise.resolve(exporter.send(batch, abort.signal));
  } catch (err) {
    return { outcome: { status: 'retryable', reason: errorMessage(err) }, timedOut: false };
  }
  const timer = timeoutMs === Infinity ? undefined : new AbortController();
  try {
    let result: SendOutcome | typeof TIMED_OUT;
    if (timer === undefined) {
      result = await sending;
    } else {
      // The timer also ends early when the caller aborts the attempt (shutdown deadline).
      const expiry = clock
        .sleep(timeoutMs, AbortSignal.any([timer.signal, abort.signal]))
        .then((): typeof TIMED_OUT => TIMED_OUT);
      result = await Promise.race([sending, expiry]);
    }
    if (result === TIMED_OUT && abort.signal.aborted) {
      sending.then(ignore, ignore);
      return { outcome: { status: 'retryable', reason: 'send aborted' }, timedOut: false };
    }
    if (result === TIMED_OUT) {
      abort.abort(new Error(`send timed out after ${timeoutMs} ms`));
      sending.then(ignore, ignore); // a late answer or rejection is ignored
      return { outcome: { status: 'retryable', reason: `send timed out after ${timeoutMs} ms` }, timedOut: true };
    }
    if (!isOutcome(result, batch.length)) {
      return {
        outcome: {
          status: 'retryable',
          reason: `exporter ${exporter.name} returned an invalid outcome: ${describe(result)}`,
        },
        timedOut: false,
      };
    }
    return { outcome: result, timedOut: false };
  } catch (err) {
    return { outcome: { status: 'retryable', reason: errorMessage(err) }, timedOut: false };
  } finally {
    timer?.abort();
  }
}
