// ingest() with `workers: N` (N > 0): the records of each call (one source stream, one request)
// are cut into chunks (chunks.ts) that the worker pool decodes and maps (pool.ts) while the main
// thread goes on reading; the chunks' results are then taken in the order the records were read
// (IngestRun.takeProcessed: counted, pushed, settled exactly as with `workers: 0`), so each
// source's order is kept. Backpressure: at most `maxInFlightBytes` of one call's input is read
// ahead of what was pushed (at least one chunk), so memory stays bounded when the exporters are
// slower than the source; pushes wait on the delivery queues as before. A chunk that does not fill
// is sent after `flushMs` (a slow or followed source is not held back). The stop signal is seen
// when a record is taken: records read but not yet taken when it aborts are left unread (a pull
// source) or refused (a push source with refuseRestAs), as the records after them.

import type { Ingest, IngestOptions, IngestResult, RecordStream } from '../../sources/types.ts';
import type { InputRecord } from '../../sources/read-records.ts';
import type { RunConfig } from '../../config/run-config.ts';
import type { Telemetry } from '../../telemetry/index.ts';
import type { NodeInfo } from '../../mapping/input.ts';
import { toLogger, type LogTarget } from '../../util/log.ts';
import { eachRecord, type TakeResult } from '../each-record.ts';
import { createIngest, type IngestDeps } from '../ingest.ts';
import { planRoutes, type RoutePlan } from '../ingest-routes.ts';
import { IngestRun } from '../ingest-run.ts';
import type { Processed } from '../process-record.ts';
import { ChunkCutter, type Chunk, type ChunkLimits } from './chunks.ts';
import { WorkerPool } from './pool.ts';
import { workerSetupOf } from './setup.ts';

export interface PooledIngestOptions {
  chunk?: Partial<ChunkLimits>;
  /** Input read ahead of what was pushed, per ingest call (default 1 MiB per worker). */
  maxInFlightBytes?: number;
  /** A chunk not yet full is sent after this long (default 5 ms). */
  flushMs?: number;
}

/** The pool as the ingest uses it: submit chunks, say when their results were taken. */
type PoolLike = Pick<WorkerPool, 'submit'> & Partial<Pick<WorkerPool, 'taken'>>;

interface Pending {
  chunk: Chunk;
  result: Promise<Processed[]> | undefined;
}

/** The plan the pool's workers must match (workerSetupOf) is this one: build it once, pass it to both. */
export function createPooledIngest(
  deps: IngestDeps,
  pool: PoolLike,
  workers: number,
  opts: PooledIngestOptions = {},
  plan: RoutePlan = planRoutes(deps.routes, deps.mapper),
): Ingest {
  const limits = {
    chunk: opts.chunk,
    maxInFlight: opts.maxInFlightBytes ?? workers * 1024 * 1024,
    flushMs: opts.flushMs ?? 5,
  };
  return (records, iopts = {}) => new PooledCall(new IngestRun(deps, plan, iopts), pool, iopts, limits).ingest(records);
}

/** One ingest() call through the pool: a reader cutting chunks, a taker applying their results in order. */
class PooledCall {
  private readonly run: IngestRun;
  private readonly pool: PoolLike;
  private readonly iopts: IngestOptions;
  private readonly maxInFlight: number;
  private readonly cutter: ChunkCutter;
  private readonly timer: NodeJS.Timeout;
  private readonly queue: Pending[] = [];
  private queuedBytes = 0;
  /** The taker stopped (a pull source after stop, or a failure): reading stops too. */
  private stopped = false;
  private reading = true;
  private wakeTaker: (() => void) | undefined;
  private wakeReader: (() => void) | undefined;

  constructor(
    run: IngestRun,
    pool: PoolLike,
    iopts: IngestOptions,
    limits: { chunk?: Partial<ChunkLimits>; maxInFlight: number; flushMs: number },
  ) {
    this.run = run;
    this.pool = pool;
    this.iopts = iopts;
    this.maxInFlight = limits.maxInFlight;
    this.cutter = new ChunkCutter(limits.chunk);
    this.timer = setTimeout(() => this.send(this.cutter.flush()), limits.flushMs);
    this.timer.unref();
  }

  async ingest(records: RecordStream): Promise<IngestResult> {
    const taking = this.take().catch((err: unknown) => {
      this.stopped = true;
      this.wakeReader?.();
      throw err;
    });
    taking.catch(() => {}); // awaited below, once reading ended: not an unhandled rejection meanwhile
    try {
      await this.read(records);
    } finally {
      clearTimeout(this.timer);
      // what was read is taken (a read error ends the stream after the records before it)
      if (!this.stopped) this.send(this.cutter.flush());
      this.reading = false;
      this.wakeTaker?.();
      try {
        await taking;
      } finally {
        this.run.end();
      }
    }
    return this.run.res;
  }

  /** A pull source stops reading at stop() (its rest stays in the file / pipe); a push source refuses its rest. */
  private stopReading(): boolean {
    return this.stopped || (this.iopts.signal?.aborted === true && this.iopts.refuseRestAs === undefined);
  }

  private read(records: RecordStream): Promise<void> {
    return eachRecord(records, this.iopts, (rec) => this.readOne(rec));
  }

  /** One record read: into the chunk being cut; false = stop reading. */
  private readOne(rec: InputRecord): TakeResult {
    if (this.stopReading()) {
      this.run.res.interrupted = true; // as IngestRun.take says when it stops a pull source
      return false;
    }
    const full = this.cutter.add(rec);
    if (full !== undefined) this.send(full);
    else if (this.cutter.pending === 1) this.timer.refresh();
    return !this.stopped && this.queuedBytes > this.maxInFlight ? this.untilRoom() : !this.stopped;
  }

  private async untilRoom(): Promise<boolean> {
    while (!this.stopped && this.queuedBytes > this.maxInFlight) {
      await new Promise<void>((r) => {
        this.wakeReader = r;
      });
      this.wakeReader = undefined;
    }
    return !this.stopped;
  }

  private send(chunk: Chunk | undefined): void {
    if (chunk === undefined) return;
    const result = chunk.texts.length > 0 ? this.pool.submit(chunk) : undefined;
    // awaited in order later; marked handled now so a rejection waiting its turn is not an unhandled one
    result?.catch(() => {});
    this.queue.push({ chunk, result });
    this.queuedBytes += chunk.bytes;
    this.wakeTaker?.();
  }

  /** Takes the chunks in order: each record's results counted, pushed, settled. */
  private async take(): Promise<void> {
    for (;;) {
      const head = this.queue[0];
      if (head === undefined) {
        if (!this.reading) return;
        await new Promise<void>((r) => {
          this.wakeTaker = r;
        });
        this.wakeTaker = undefined;
        continue;
      }
      if (!(await this.takeChunk(head))) this.stopped = true;
      this.queue.shift();
      this.queuedBytes -= head.chunk.bytes;
      this.wakeReader?.();
      if (this.stopped) return; // the rest is left unread (a pull source after stop)
    }
  }

  /** False when the run stopped taking (IngestRun.takeProcessed said so). */
  private async takeChunk(head: Pending): Promise<boolean> {
    const results = head.result === undefined ? undefined : await head.result;
    try {
      let k = 0;
      for (const rec of head.chunk.records) {
        const done = rec.kind === 'text' ? results?.[k++] : undefined;
        const more = this.run.takeProcessed(rec, done);
        if (!(typeof more === 'boolean' ? more : await more)) return false;
      }
      return true;
    } finally {
      // every push of this call settled (a queue copies what it keeps): the records' bytes are not
      // read again. Else (a push still waits: the stop came, a route refused, a disk buffer's line)
      // the buffer is left to the garbage collector.
      if (results !== undefined && this.run.settled) this.pool.taken?.(results);
    }
  }
}

/**
 * The run's ingest: with `workers: N` (N > 0) through a pool of N worker threads, else the
 * single-thread ingest (ingest.ts). `close` ends the workers (after the sources finished).
 */
export function createRunIngest(
  config: RunConfig,
  deps: IngestDeps & { telemetry?: Pick<Telemetry, 'workers'> },
  node: NodeInfo,
  log: LogTarget,
  script?: URL | string,
): { ingest: Ingest; pool: WorkerPool | undefined; close(): Promise<void> } {
  const workers = config.workers ?? 0;
  if (workers <= 0) return { ingest: createIngest(deps), pool: undefined, close: async () => {} };
  const plan = planRoutes(deps.routes, deps.mapper);
  const logger = toLogger(log, { component: 'workers' });
  const pool = new WorkerPool({ size: workers, setup: workerSetupOf(config, node, plan), plan, log: logger, script });
  deps.telemetry?.workers?.(() => pool.stats()); // deaths and re-runs in /metrics
  return {
    ingest: createPooledIngest(deps, pool, workers, {}, plan),
    pool,
    async close() {
      await pool.close();
      const s = pool.stats();
      if (s.deaths > 0 || s.rerunChunks > 0)
        logger.warn(
          `workers: ${s.deaths} worker thread(s) died; ${s.rerunChunks} chunk(s) (${s.rerunRecords} records) run on the main thread instead`,
          { count: s.rerunChunks },
        );
    },
  };
}
