// The real clock. Tests inject a fake one (test/helpers/fake-clock.ts).
// TODO(move): belongs in src/util/ once that folder settles; delivery is its only user today.

import type { Clock } from './types.ts';

const MAX_TIMER_MS = 2_147_483_647; // setTimeout fires at once above 2^31-1 ms

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    let remaining = ms;
    const arm = (): void => {
      if (remaining <= MAX_TIMER_MS) {
        timer = setTimeout(done, Math.max(0, remaining));
      } else {
        remaining -= MAX_TIMER_MS;
        timer = setTimeout(arm, MAX_TIMER_MS);
      }
    };
    if (ms === Infinity) remaining = Number.MAX_VALUE;
    signal?.addEventListener('abort', done, { once: true });
    arm();
  });
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep,
};
