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

import type { Ingest, IngestOptions, IngestResult } from '../../sources/types.ts';
import type { InputRecord } from '../../sources/read-records.ts';
import type { RunConfig } from '../../config/run-config.ts';
import type { NodeInfo } from '../../mapping/input.ts';
import { toLogger, type LogTarget } from '../../util/log.ts';
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

interface Pending {
  chunk: Chunk;
  result: Promise<Processed[]> | undefined;
}

/** The plan the pool's workers must match (workerSetupOf) is this one: build it once, pass it to both. */
export function createPooledIngest(
  deps: IngestDeps,
  pool: Pick<WorkerPool, 'submit'>,
  workers: number,
  opts: PooledIngestOptions = {},
  plan: RoutePlan = planRoutes(deps.routes, deps.mapper),
): Ingest {
  const maxInFlight = opts.maxInFlightBytes ?? workers * 1024 * 1024;
  const flushMs = opts.flushMs ?? 5;
  return async function ingest(
    records: AsyncIterable<InputRecord> | Iterable<InputRecord>,
    iopts: IngestOptions = {},
  ): Promise<IngestResult> {
    const run = new IngestRun(deps, plan, iopts);
    const queue: Pending[] = [];
    let queuedBytes = 0;
    let stopped = false;
    let reading = true;
    let wakeTaker: (() => void) | undefined;
    let wakeReader: (() => void) | undefined;
    const cutter = new ChunkCutter(opts.chunk);
    const send = (chunk: Chunk | undefined) => {
      if (chunk === undefined) return;
      queue.push({ chunk, result: chunk.texts.length > 0 ? pool.submit(chunk) : undefined });
      queuedBytes += chunk.bytes;
      wakeTaker?.();
    };
    const timer = setTimeout(() => send(cutter.flush()), flushMs);
    timer.unref();

    /** Takes the chunks in order: each record's results counted, pushed, settled. */
    async function take(): Promise<void> {
      for (;;) {
        const head = queue[0];
        if (head === undefined) {
          if (!reading) return;
          await new Promise<void>((r) => {
            wakeTaker = r;
          });
          wakeTaker = undefined;
          continue;
        }
        const results = head.result === undefined ? undefined : await head.result;
        let k = 0;
        for (const rec of head.chunk.records) {
          const done = rec.kind === 'text' ? results?.[k++] : undefined;
          const more = run.takeProcessed(rec, done);
          if (!(typeof more === 'boolean' ? more : await more)) {
            stopped = true;
            break;
          }
        }
        queue.shift();
        queuedBytes -= head.chunk.bytes;
        wakeReader?.();
        if (stopped) return; // the rest is left unread (a pull source after stop)
      }
    }
    const taking = take().catch((err: unknown) => {
      stopped = true;
      wakeReader?.();
      throw err;
    });
    taking.catch(() => {}); // awaited below, once reading ended: not an unhandled rejection meanwhile
    // a pull source stops reading at stop() (its rest stays in the file / pipe); a push source refuses its rest
    const stopReading = () => stopped || (iopts.signal?.aborted === true && iopts.refuseRestAs === undefined);

    try {
      for await (const rec of records) {
        if (stopReading()) {
          run.res.interrupted = true; // as IngestRun.take says when it stops a pull source
          break;
        }
        const full = cutter.add(rec);
        if (full !== undefined) send(full);
        else if (cutter.pending === 1) timer.refresh();
        while (!stopped && queuedBytes > maxInFlight) {
          await new Promise<void>((r) => {
            wakeReader = r;
          });
          wakeReader = undefined;
        }
        if (stopped) break;
      }
    } finally {
      clearTimeout(timer);
      // what was read is taken (a read error ends the stream after the records before it)
      if (!stopped) send(cutter.flush());
      reading = false;
      wakeTaker?.();
      try {
        await taking;
      } finally {
        run.end();
      }
    }
    return run.res;
  };
}

/**
 * The run's ingest: with `workers: N` (N > 0) through a pool of N worker threads, else the
 * single-thread ingest (ingest.ts). `close` ends the workers (after the sources finished).
 */
export function createRunIngest(
  config: RunConfig,
  deps: IngestDeps,
  node: NodeInfo,
  log: LogTarget,
  script?: URL | string,
): { ingest: Ingest; pool: WorkerPool | undefined; close(): Promise<void> } {
  const workers = config.workers ?? 0;
  if (workers <= 0) return { ingest: createIngest(deps), pool: undefined, close: async () => {} };
  const plan = planRoutes(deps.routes, deps.mapper);
  const logger = toLogger(log, { component: 'workers' });
  const pool = new WorkerPool({ size: workers, setup: workerSetupOf(config, node, plan), plan, log: logger, script });
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
