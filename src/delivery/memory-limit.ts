// A soft memory limit, the way the OpenTelemetry Collector's memory_limiter works (on the heap the
// runtime holds), but without dropping: while V8's used heap + external (Buffer) memory is over the limit, sources wait before their next
// record (a pull source stops reading, a push source's request waits and then answers 503 from its
// own queue-wait limit) until deliveries have drained and memory is back under the limit. Nothing is
// refused or dropped here; queues keep their own byte bounds.
//
// Not resident memory: that stays high after a collection until the allocator returns pages, so it
// would hold sources back with nothing left to drain. Memory is sampled on a timer (not per event);
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
  /** Reads the current usage in bytes (tests pass their own). Default: V8 heap used + external memory. */
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
  /** A source starts / stops reading: memory is sampled on a timer only while one reads. */
  reading(on: boolean): void;
  stop(): void;
}

export const MEMORY_LIMIT_DEFAULT_MIB = 128;

export function createMemoryLimiter(o: MemoryLimiterOptions): MemoryLimiter {
  const read =
    o.read ??
    (() => {
      const m = process.memoryUsage();
      return m.heapUsed + m.external;
    });
  const resumeAt = o.limitBytes * (o.resumeRatio ?? 0.9);
  let over = false;
  let waits = 0;
  let waiters: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;
  let readers = 0;

  function release(): void {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  }

  const limiter: MemoryLimiter = {
    get over() {
      return over;
    },
    get waits() {
      return waits;
    },
    admit(signal) {
      if (!over || o.limitBytes <= 0) return undefined;
      if (signal?.aborted) return undefined;
      waits++;
      return new Promise<void>((resolve) => {
        const done = (): void => {
          signal?.removeEventListener('abort', done);
          resolve();
        };
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
    reading(on) {
      readers += on ? 1 : -1;
      if (o.limitBytes <= 0) return;
      if (on && timer === undefined) {
        limiter.check();
        // not unref'd: a source waiting here must keep the process alive (it runs only while one reads)
        timer = setInterval(() => limiter.check(), o.checkIntervalMs ?? 100);
      } else if (readers === 0 && timer !== undefined) {
        clearInterval(timer);
        timer = undefined;
      }
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      over = false;
      release();
    },
  };
  return limiter;
}

type Admit = (signal?: AbortSignal) => Promise<void> | undefined;

type IngestLike<R, O extends { signal?: AbortSignal; admit?: Admit }, Res> = (records: R, opts?: O) => Promise<Res>;

/**
 * An ingest whose records pass the limiter first (the pipeline wires every source through this):
 * it asks `admit` before each record it takes (a pull source stops reading meanwhile); memory is
 * sampled while a call runs.
 */
export function withMemoryLimit<R, O extends { signal?: AbortSignal; admit?: Admit }, Res>(
  ingest: IngestLike<R, O, Res>,
  limiter: MemoryLimiter | undefined,
): IngestLike<R, O, Res> {
  if (limiter === undefined) return ingest;
  const admit: Admit = (signal) => limiter.admit(signal);
  return async (records, opts) => {
    limiter.reading(true);
    try {
      return await ingest(records, { ...opts, admit } as O);
    } finally {
      limiter.reading(false);
    }
  };
}
