// A soft memory limit, the way the OpenTelemetry Collector's memory_limiter works, but without
// dropping: while the process's resident memory is over the limit, sources wait before their next
// record (a pull source stops reading, a push source's request waits and then answers 503 from its
// own queue-wait limit) until deliveries have drained and memory is back under the limit. Nothing is
// refused or dropped here; queues keep their own byte bounds.
//
// Memory is sampled on a timer (process.memoryUsage.rss() is a system call: not once per event);
// `over` is a plain flag read by the hot path.

export interface MemoryLimiterOptions {
  /** Soft limit in bytes; 0 turns the limiter off. */
  limitBytes: number;
  /** How often memory is sampled (ms). */
  checkIntervalMs?: number;
  /** Sources resume once usage is below limit × resumeRatio (hysteresis: no flapping at the edge). */
  resumeRatio?: number;
  /**
   * Whether the deliveries have drained (nothing queued or in flight): then sources resume even over
   * the limit, since waiting longer frees nothing (resident memory a collector has not given back).
   */
  drained?: () => boolean;
  /** Reads the current usage in bytes (tests pass their own). Default: resident set size. */
  read?: () => number;
  /** Called with (true, usage) when sources start waiting and (false, usage) when they resume. */
  onChange?(waiting: boolean, usageBytes: number): void;
}

export interface MemoryLimiter {
  /** Whether sources are waiting now. */
  readonly over: boolean;
  /** Resolves at once when under the limit, else when memory is back under it (or `signal` aborts). */
  admit(signal?: AbortSignal): Promise<void> | undefined;
  /** Samples memory now (the timer calls this). */
  check(): void;
  /** Times sources had to wait (a counter for telemetry and the run summary). */
  readonly waits: number;
  stop(): void;
}

export const MEMORY_LIMIT_DEFAULT_MIB = 128;

export function createMemoryLimiter(o: MemoryLimiterOptions): MemoryLimiter {
  const read = o.read ?? (() => process.memoryUsage.rss());
  const resumeAt = o.limitBytes * (o.resumeRatio ?? 0.9);
  let over = false;
  let waits = 0;
  let waiters: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;

  function release(): void {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  }

  const limiter: MemoryLimiter = {
    get over() { return over; },
    get waits() { return waits; },
    admit(signal) {
      if (!over || o.limitBytes <= 0) return undefined;
      if (signal?.aborted) return undefined;
      waits++;
      return new Promise<void>((resolve) => {
        const done = (): void => { signal?.removeEventListener('abort', done); resolve(); };
        signal?.addEventListener('abort', done, { once: true });
        waiters.push(done);
      });
    },
    check() {
      if (o.limitBytes <= 0) return;
      const used = read();
      if (!over && used > o.limitBytes) {
        over = true;
        o.onChange?.(true, used);
      } else if (over && (used <= resumeAt || o.drained?.() === true)) {
        over = false;
        o.onChange?.(false, used);
        release();
      }
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      over = false;
      release();
    },
  };
  if (o.limitBytes > 0) {
    timer = setInterval(() => limiter.check(), o.checkIntervalMs ?? 100);
    timer.unref();
  }
  return limiter;
}

/** Records that wait for the limiter before each one is handed on (a pull source stops reading meanwhile). */
export async function* admitted<T>(records: AsyncIterable<T> | Iterable<T>, limiter: MemoryLimiter, signal?: AbortSignal): AsyncGenerator<T> {
  for await (const r of records) {
    const wait = limiter.admit(signal);
    if (wait !== undefined) await wait;
    yield r;
  }
}
