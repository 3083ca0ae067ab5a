// The delivery's health, a circuit breaker: 'healthy' once the destination answers, 'retrying' after
// a retryable failure, 'open' after `threshold` consecutive retryable failures. While open, only one
// probe batch is sent at a time (the others wait at gate()); the first answered send closes the
// circuit ('healthy') and lets them all go. Transitions are reported to onStateChange (logs, metrics).

import type { DeliveryHooks, HealthState } from './types.ts';

export interface Health {
  readonly state: HealthState;
  readonly consecutiveFailures: number;
  /** The destination answered (ok, rejected, or partial without retryable items). */
  answered(): void;
  failed(reason: string): void;
  /**
   * Wait until batch `owner` may send: at once unless the circuit is open and another batch holds the
   * probe. Resolves early (false) when `signal` aborts (shutdown deadline).
   */
  gate(owner: object, signal: AbortSignal): Promise<boolean>;
  /** `owner` will not send again (terminal, or handed back): give the probe to a waiting batch. */
  release(owner: object): void;
}

export function createHealth<R>(
  hooks: DeliveryHooks<R>,
  onHookError: (hook: string, err: unknown) => void,
  threshold = 5,
): Health {
  let state: HealthState = 'healthy';
  let failures = 0;
  let lastError: string | undefined;
  let probe: object | undefined; // the batch allowed to send while open
  let waiters: Array<() => void> = [];

  function report(): void {
    if (hooks.onStateChange === undefined) return;
    try {
      hooks.onStateChange(state, { consecutiveFailures: failures, lastError });
    } catch (err) {
      onHookError('onStateChange', err);
    }
  }

  function wakeAll(): void {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  }

  return {
    get state() {
      return state;
    },
    get consecutiveFailures() {
      return failures;
    },
    answered() {
      failures = 0;
      if (state === 'healthy') return;
      state = 'healthy';
      probe = undefined;
      report();
      wakeAll();
    },
    failed(reason) {
      failures++;
      lastError = reason;
      if (state === 'open') return;
      if (failures >= threshold) {
        state = 'open';
        report();
        return;
      }
      if (state === 'retrying') return;
      state = 'retrying';
      report();
    },
    async gate(owner, signal) {
      for (;;) {
        if (signal.aborted) return false;
        if (state !== 'open' || probe === undefined || probe === owner) {
          if (state === 'open') probe = owner;
          return true;
        }
        await new Promise<void>((resolve) => {
          const done = (): void => {
            signal.removeEventListener('abort', done);
            resolve();
          };
          waiters.push(done);
          signal.addEventListener('abort', done, { once: true });
        });
      }
    },
    release(owner) {
      if (probe !== owner) return;
      probe = undefined;
      wakeAll(); // they race for the probe again in gate(); the first one takes it
    },
  };
}

/** The log line for a transition; each is logged once (the circuit opens and closes once per outage). */
export function stateChangeLine(
  exporter: string,
  previous: HealthState,
  state: HealthState,
  d: { consecutiveFailures: number; lastError: string | undefined },
): string {
  const last = d.lastError ? ` (last error: ${d.lastError})` : '';
  switch (state) {
    case 'open':
      return `${exporter}: circuit open after ${d.consecutiveFailures} consecutive failures${last}; one probe batch at a time until it answers`;
    case 'retrying':
      return `${exporter}: retrying${d.lastError ? ` (${d.lastError})` : ''}`;
    case 'healthy':
      return previous === 'open' ? `${exporter}: circuit closed: the destination answered` : `${exporter}: healthy`;
  }
}
