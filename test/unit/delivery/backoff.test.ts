import { describe, expect, it } from 'vitest';
import { backoffCeiling, retryDelay, shouldGiveUp, type BackoffPolicy } from '../../../src/delivery/backoff.ts';

const policy: BackoffPolicy = {
  initialBackoffMs: 1000,
  maxBackoffMs: 30_000,
  backoffMultiplier: 2,
  maxRetries: Infinity,
  maxElapsedMs: Infinity,
};

describe('backoffCeiling', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [5, 16_000],
    [6, 30_000],
    [50, 30_000],
    [2000, 30_000],
  ])('retry %i → %i ms', (retry, ceiling) => {
    expect(backoffCeiling(retry, policy)).toBe(ceiling);
  });
});

describe('retryDelay (full jitter)', () => {
  it('spans [0, ceiling) with the random number', () => {
    expect(retryDelay(3, policy, 0)).toBe(0);
    expect(retryDelay(3, policy, 0.5)).toBe(2000);
    expect(retryDelay(3, policy, 0.999999)).toBe(3999);
  });

  it('takes Retry-After as a lower bound, not a replacement', () => {
    expect(retryDelay(1, policy, 0.1, 5000)).toBe(5000); // jitter 100 < 5000
    expect(retryDelay(6, policy, 0.9, 5000)).toBe(27_000); // jitter 27000 > 5000
    expect(retryDelay(1, policy, 0, 0)).toBe(0);
  });

  it('honours a Retry-After above the backoff cap', () => {
    expect(retryDelay(1, policy, 0.5, 120_000)).toBe(120_000);
  });
});

describe('shouldGiveUp', () => {
  it('never gives up by default', () => {
    expect(shouldGiveUp(1_000_000, 30_000, 0, 1e12, policy)).toBe(false);
  });

  it('stops after maxRetries', () => {
    const p = { ...policy, maxRetries: 3 };
    expect(shouldGiveUp(3, 10, 0, 0, p)).toBe(false);
    expect(shouldGiveUp(4, 10, 0, 0, p)).toBe(true);
  });

  it('stops when the next attempt would start after maxElapsedMs', () => {
    const p = { ...policy, maxElapsedMs: 10_000 };
    expect(shouldGiveUp(1, 4000, 1000, 7000, p)).toBe(false); // would start at 11000 - 1000 = 10000
    expect(shouldGiveUp(1, 4001, 1000, 7000, p)).toBe(true);
  });

  it('maxRetries 0 means a single attempt', () => {
    expect(shouldGiveUp(1, 0, 0, 0, { ...policy, maxRetries: 0 })).toBe(true);
  });
});
