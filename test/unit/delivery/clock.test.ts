import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/delivery/clock.ts';
import { track } from '../../helpers/delivery-setup.ts';

describe('systemClock.sleep', () => {
  it('resolves at once when already aborted', async () => {
    await expect(systemClock.sleep(1e9, AbortSignal.abort())).resolves.toBeUndefined();
  });

  it.each([3e9, Infinity])('does not fire early for %d ms (setTimeout overflow) and resolves on abort', async (ms) => {
    const ac = new AbortController();
    const slept = track(systemClock.sleep(ms, ac.signal));
    await nextMacrotask();
    await nextMacrotask();
    expect(slept.done).toBe(false);
    ac.abort();
    await nextMacrotask();
    expect(slept.done).toBe(true);
  });

  it('is monotonic', () => {
    const a = systemClock.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(a);
  });
});
