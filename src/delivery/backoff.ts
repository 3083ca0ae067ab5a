// Retry timing, pure: exponential backoff with full jitter, Retry-After as a lower bound, and the
// give-up decision. No clock, no state: callers pass `now` and a random number.

export interface BackoffPolicy {
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly backoffMultiplier: number;
  readonly maxRetries: number; // Infinity = unlimited
  readonly maxElapsedMs: number; // Infinity = unlimited
}

/** The ceiling for retry number `retry` (1 = first retry): initial × multiplier^(retry-1), capped. */
export function backoffCeiling(retry: number, p: BackoffPolicy): number {
  const ceiling = p.initialBackoffMs * p.backoffMultiplier ** Math.max(0, retry - 1);
  return ceiling < p.maxBackoffMs ? ceiling : p.maxBackoffMs;
}

/**
 * Delay before retry number `retry`: full jitter (uniform in [0, ceiling]), never below the
 * destination's Retry-After. `random` is a number in [0, 1).
 */
export function retryDelay(retry: number, p: BackoffPolicy, random: number, retryAfterMs?: number): number {
  const jittered = Math.floor(random * backoffCeiling(retry, p));
  return retryAfterMs !== undefined && retryAfterMs > jittered ? Math.ceil(retryAfterMs) : jittered;
}

/**
 * Whether to stop before retry number `retry`, which would start after `delayMs`, for a batch whose
 * first attempt started at `firstAttemptAt`. A retry that would start past maxElapsedMs is not made.
 */
export function shouldGiveUp(
  retry: number,
  delayMs: number,
  firstAttemptAt: number,
  now: number,
  p: BackoffPolicy,
): boolean {
  if (retry > p.maxRetries) return true;
  return now + delayMs - firstAttemptAt > p.maxElapsedMs;
}
