// The delivery's health: 'healthy' once the destination answers, 'retrying' after retryable
// failures, with the consecutive failure count. Transitions are reported to onStateChange (for logs
// and /healthz). It does not gate sending: each batch already waits out its own backoff.

import type { DeliveryHooks, HealthState } from './types.ts';

export interface Health {
  readonly state: HealthState;
  readonly consecutiveFailures: number;
  /** The destination answered (ok, rejected, or partial without retryable items). */
  answered(): void;
  failed(reason: string): void;
}

export function createHealth<R>(hooks: DeliveryHooks<R>, onHookError: (hook: string, err: unknown) => void): Health {
  let state: HealthState = 'healthy';
  let failures = 0;
  let lastError: string | undefined;

  function report(): void {
    if (hooks.onStateChange === undefined) return;
    try {
      hooks.onStateChange(state, { consecutiveFailures: failures, lastError });
    } catch (err) {
      onHookError('onStateChange', err);
    }
  }

  return {
    get state() { return state; },
    get consecutiveFailures() { return failures; },
    answered() {
      failures = 0;
      if (state === 'healthy') return;
      state = 'healthy';
      report();
    },
    failed(reason) {
      failures++;
      lastError = reason;
      if (state === 'retrying') return;
      state = 'retrying';
      report();
    },
  };
}
