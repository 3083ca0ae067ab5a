// A fixed pool of worker threads (`workers: N`) that decode and map chunks of records. Chunks go
// to the workers in turn (round robin, skipping dead ones); each submit resolves with the chunk's
// results, in the chunk's order (the caller, pooled-ingest.ts, applies the chunks of one source in
// the order it read them). A worker that dies (crash, exit, out of memory) or fails a chunk: its
// chunks in flight are run on the main thread instead — each chunk's results are used once, from
// whoever finished it, so nothing is lost or doubled — counted, and logged with where the chunk's
// records came from; a dead worker is replaced (up to `maxRestarts` in all). Idle workers do not
// keep the process alive; close() ends them.

import { Worker } from 'node:worker_threads';
import type { Logger } from '../../util/log.ts';
import type { PlanRoute, RoutePlan } from '../ingest-routes.ts';
import { processRecord, type Processed } from '../process-record.ts';
import { chunkWhere, type Chunk } from './chunks.ts';
import { decodeResults, encodeChunk, ResourceInterner, resultBuffers, type WorkerReply } from './crossing.ts';
import type { WorkerSetup } from './setup.ts';

/** The worker entry: the TypeScript source next to this file, or in the bundle dist/pipeline-worker.js. */
export function defaultWorkerScript(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('./worker-main.ts', import.meta.url)
    : new URL('./pipeline-worker.js', import.meta.url);
}

export interface PoolOptions {
  size: number;
  setup: WorkerSetup;
  /** The main thread's plan: chunks of a dead worker are run with it. */
  plan: RoutePlan<PlanRoute>;
  log: Pick<Logger, 'warn' | 'error'>;
  /** Internal (tests): the worker entry script; default defaultWorkerScript(). */
  script?: URL | string;
  /** Dead workers replaced at most this many times in all (default 2 × size). */
  maxRestarts?: number;
}

export interface PoolStats {
  size: number;
  alive: number;
  /** Workers that died (exited, crashed) while the pool was open. */
  deaths: number;
  /** Chunks run on the main thread instead (their worker died or failed them, or none was alive). */
  rerunChunks: number;
  rerunRecords: number;
}

interface Job {
  id: number;
  chunk: Chunk;
  resolve(out: Processed[]): void;
  reject(err: unknown): void;
}

interface Slot {
  index: number;
  worker: Worker | undefined;
  jobs: Map<number, Job>;
  /** The last error the worker reported (for the line saying it died). */
  error: Error | undefined;
}

export class WorkerPool {
  private readonly opts: PoolOptions;
  private readonly slots: Slot[];
  private readonly resources = new ResourceInterner();
  /** Per answered chunk (its results), the buffers its records' bytes are in; handed back by taken(). */
  private readonly buffersOf = new WeakMap<Processed[], ArrayBuffer[]>();
  /**
   * Buffers the main thread is done with, sent back to a worker with the next chunk to write into
   * again: a new buffer per chunk (~2× its input) made V8 run a full collection every ~1,400 events
   * on the main thread, for the external memory it gained.
   */
  private readonly spares: ArrayBuffer[] = [];
  private next = 0;
  private ids = 0;
  private restarts = 0;
  private closing = false;
  private readonly counts = { deaths: 0, rerunChunks: 0, rerunRecords: 0 };

  /** Slots whose results cross as bytes (ECS, OTel mapped to LogRecord bytes): buffers per chunk. */
  private readonly byteSlots: number;

  constructor(opts: PoolOptions) {
    this.opts = opts;
    this.byteSlots = opts.plan.slots.filter((s) => s.target === 'ecs' || s.encoded === true).length;
    this.slots = Array.from({ length: opts.size }, (_v, index) => ({
      index,
      worker: undefined,
      jobs: new Map(),
      error: undefined,
    }));
  }

  stats(): PoolStats {
    return {
      size: this.opts.size,
      alive: this.slots.filter((s) => s.worker !== undefined).length,
      ...this.counts,
    };
  }

  /**
   * The chunk's text records decoded and mapped, in order. Rejects only when running the chunk on
   * the main thread throws (a worker failed it, died or is gone): the ingest call then fails as it
   * does with `workers: 0`.
   */
  submit(chunk: Chunk): Promise<Processed[]> {
    if (this.opts.size > 0 && !this.started) this.start();
    const slot = this.pick();
    // the executor turns a throw of runHere into a rejection (it may run inside a timer's callback)
    if (slot === undefined) return new Promise<Processed[]>((resolve) => resolve(this.runHere(chunk)));
    const id = ++this.ids;
    return new Promise<Processed[]>((resolve, reject) => {
      const job: Job = { id, chunk, resolve, reject };
      const w = slot.worker as Worker;
      if (slot.jobs.size === 0) w.ref();
      slot.jobs.set(id, job);
      const { msg, transfer } = encodeChunk(id, chunk.texts, this.spares.splice(0, this.byteSlots));
      try {
        w.postMessage(msg, transfer);
      } catch (err) {
        slot.jobs.delete(id);
        if (slot.jobs.size === 0) w.unref();
        this.opts.log.error(
          `worker thread ${slot.index}: cannot send it the records of ${chunkWhere(chunk)} (${(err as Error).message}): run on the main thread`,
        );
        resolve(this.rerun(chunk));
      }
    });
  }

  /** Ends the workers (after their chunks were answered). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.slots.map(async (s) => {
        const w = s.worker;
        s.worker = undefined;
        if (w !== undefined) await w.terminate();
        // answered by the main thread: nothing submitted is left unresolved
        for (const job of s.jobs.values()) this.rerunFor(job);
        s.jobs.clear();
      }),
    );
  }

  private started = false;

  private start(): void {
    this.started = true;
    for (const s of this.slots) this.spawn(s);
  }

  private spawn(slot: Slot): void {
    const w = new Worker(this.opts.script ?? defaultWorkerScript(), { workerData: this.opts.setup });
    w.unref();
    slot.worker = w;
    slot.error = undefined;
    w.on('message', (reply: WorkerReply) => this.answered(slot, reply));
    w.on('error', (err) => {
      slot.error = err;
    });
    w.on('messageerror', (err) => {
      slot.error = err;
    });
    w.on('exit', (code) => this.exited(slot, w, code));
  }

  private pick(): Slot | undefined {
    for (let k = 0; k < this.slots.length; k++) {
      const s = this.slots[(this.next + k) % this.slots.length];
      if (s.worker !== undefined) {
        this.next = (s.index + 1) % this.slots.length;
        return s;
      }
    }
    return undefined;
  }

  private answered(slot: Slot, reply: WorkerReply): void {
    const job = slot.jobs.get(reply.id);
    if (job === undefined) return;
    slot.jobs.delete(reply.id);
    if (slot.jobs.size === 0) slot.worker?.unref();
    if (reply.type === 'failed') {
      this.opts.log.error(
        `worker thread ${slot.index} failed on the records of ${chunkWhere(job.chunk)}: ${reply.message}; run on the main thread`,
        { where: chunkWhere(job.chunk) },
      );
      this.rerunFor(job);
      return;
    }
    const out = decodeResults(reply, this.opts.plan, this.resources);
    this.buffersOf.set(out, resultBuffers(reply));
    job.resolve(out);
  }

  /**
   * The caller took these results (submit's): no record of them is used any more (each queue holds
   * its own copy of a record's bytes), so their buffers may be written again. A record still read
   * after that fails loudly: its buffer was moved to the worker (detached), never overwritten under it.
   */
  taken(results: Processed[]): void {
    const buffers = this.buffersOf.get(results);
    if (buffers === undefined) return;
    this.buffersOf.delete(results);
    for (const b of buffers) if (this.spares.length < 2 * this.byteSlots * this.slots.length) this.spares.push(b);
  }

  private exited(slot: Slot, w: Worker, code: number): void {
    if (slot.worker !== w) return; // terminated by close()
    slot.worker = undefined;
    if (this.closing) return;
    this.counts.deaths++;
    const jobs = [...slot.jobs.values()];
    slot.jobs.clear();
    const why = slot.error === undefined ? `exit code ${code}` : `${slot.error.message}`;
    const held = jobs.length === 0 ? 'no records in flight' : jobs.map((j) => chunkWhere(j.chunk)).join(', ');
    const again = this.restarts < (this.opts.maxRestarts ?? 2 * this.opts.size);
    this.opts.log.error(
      `worker thread ${slot.index} died (${why}); ${jobs.length} chunk(s) it held re-run on the main thread (${held}); ${again ? 'replaced' : 'not replaced (too many restarts)'}`,
      { where: held, count: jobs.length },
    );
    if (again) {
      this.restarts++;
      this.spawn(slot);
    }
    for (const job of jobs) this.rerunFor(job);
  }

  /** The job answered by the main thread; called from worker events, so a throw must not escape. */
  private rerunFor(job: Job): void {
    try {
      job.resolve(this.rerun(job.chunk));
    } catch (err) {
      job.reject(err);
    }
  }

  private rerun(chunk: Chunk): Processed[] {
    this.counts.rerunChunks++;
    this.counts.rerunRecords += chunk.texts.length;
    return this.runHere(chunk);
  }

  private runHere(chunk: Chunk): Processed[] {
    const out: Processed[] = new Array(chunk.texts.length);
    for (let i = 0; i < out.length; i++) out[i] = processRecord(this.opts.plan, { kind: 'text', text: chunk.texts[i] });
    return out;
  }
}
