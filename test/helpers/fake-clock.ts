// A manual clock for delivery tests: time moves only through advance()/runNext(); no real sleeps.

import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { Clock } from '../../src/delivery/types.ts';

interface Timer {
  at: number;
  seq: number;
  resolve(): void;
  signal?: AbortSignal;
  onAbort?(): void;
}

export interface FakeClock extends Clock {
  readonly time: number;
  readonly timers: number;
  /** Let pending promise chains run (no time passes). */
  settle(): Promise<void>;
  /** Move time forward by ms, firing due timers in order and settling after each. */
  advance(ms: number): Promise<void>;
  /** Jump to the next timer and fire it; false when none is pending. */
  runNext(): Promise<boolean>;
  /** Fire timers until `done()` or none is left; throws after `limit` timers. */
  runUntil(done: () => boolean, limit?: number): Promise<void>;
}

export function createFakeClock(start = 0): FakeClock {
  let now = start;
  let seq = 0;
  let timers: Timer[] = [];

  async function settle(): Promise<void> {
    for (let i = 0; i < 3; i++) await nextMacrotask();
  }

  function fire(t: Timer): void {
    timers = timers.filter((x) => x !== t);
    if (t.onAbort !== undefined) t.signal?.removeEventListener('abort', t.onAbort);
    t.resolve();
  }

  function earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of timers)
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }

  const clock: FakeClock = {
    get time() {
      return now;
    },
    get timers() {
      return timers.length;
    },
    now: () => now,
    sleep(ms, signal) {
      if (signal?.aborted || !(ms > 0)) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const t: Timer = { at: now + ms, seq: seq++, resolve, signal };
        timers.push(t);
        if (signal !== undefined) {
          t.onAbort = () => fire(t);
          signal.addEventListener('abort', t.onAbort, { once: true });
        }
      });
    },
    settle,
    async advance(ms) {
      const target = now + ms;
      await settle();
      for (;;) {
        const t = earliest();
        if (t === undefined || t.at > target) break;
        now = t.at;
        fire(t);
        await settle();
      }
      now = target;
      await settle();
    },
    async runNext() {
      await settle();
      const t = earliest();
      if (t === undefined) return false;
      if (t.at > now) now = t.at;
      fire(t);
      await settle();
      return true;
    },
    async runUntil(done, limit = 100_000) {
      await settle();
      for (let n = 0; !done(); n++) {
        if (n >= limit) throw new Error(`runUntil: not done after ${limit} timers`);
        if (!(await clock.runNext())) throw new Error('runUntil: no timer left and not done');
      }
    },
  };
  return clock;
}
