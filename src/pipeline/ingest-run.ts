// One call of ingest(): each input record is counted, decoded, sent to the routes whose filter wants
// it, mapped once per mapping, and pushed to every route; bad input is rejected (counted, reported,
// dead-lettered, settled). The stop signal ends the call: a pull source leaves the rest unread, a
// push source refuses it (refuseRestAs).

import { PUSHED, type DeliveryItem, type PushReservation } from '../delivery/index.ts';
import { PushWithdrawn } from '../delivery/types.ts';
import type { InputRecord } from '../sources/read-records.ts';
import type { IngestOptions, IngestResult } from '../sources/types.ts';
import type { IngestDeps } from './ingest.ts';
import type { RoutePlan } from './ingest-routes.ts';
import { processRecord, type MappedRecord, type Processed } from './process-record.ts';

const ABORTED = Symbol('aborted');

/** One counter per record: calls `done` on the n-th call (each route's DeliveryItem.ack fires once). */
function afterAll(n: number, done: () => void): () => void {
  let left = n;
  return () => {
    if (--left === 0) done();
  };
}

export class IngestRun {
  readonly res: IngestResult = {
    accepted: 0,
    rejected: [],
    rejectedCount: 0,
    waiting: 0,
    refused: 0,
    interrupted: false,
  };
  private readonly deps: IngestDeps;
  private readonly plan: RoutePlan;
  private readonly opts: IngestOptions;
  private readonly signal: AbortSignal | undefined;
  private readonly listRejections: boolean;
  /** Wakes the push waited for now when the signal aborts (one abort listener per call). */
  private wake: ((v: typeof ABORTED) => void) | undefined;
  private onAbort: (() => void) | undefined;
  /** Pushes, reservations and commits not settled yet (their items may still be read: a late refusal, a disk buffer's hand-off). */
  private unsettled = 0;
  private readonly settledOne = () => {
    this.unsettled--;
  };

  constructor(deps: IngestDeps, plan: RoutePlan, opts: IngestOptions) {
    this.deps = deps;
    this.plan = plan;
    this.opts = opts;
    this.signal = opts.signal;
    this.listRejections = opts.listRejections !== false;
  }

  /**
   * One record: the steps in order. False (or a promise of false) when the call stops reading; a
   * promise only when a push is awaited.
   */
  take(rec: InputRecord): boolean | Promise<boolean> {
    return this.takeProcessed(rec, undefined);
  }

  /**
   * take(), with the decode + map step (process-record.ts) already done elsewhere (a worker thread,
   * `workers: N`): `done` is what it gave for this record; undefined = do it here.
   */
  takeProcessed(rec: InputRecord, done: Processed | undefined): boolean | Promise<boolean> {
    if (this.signal?.aborted) return this.refuseAfterStop(rec);
    this.received(rec);
    if (rec.kind === 'error') {
      this.bad(rec, rec.code, rec.reason, rec.text);
      return true;
    }
    const input = rec.kind === 'text' ? rec.text : undefined;
    const out = done ?? processRecord(this.plan, rec);
    if (out.kind === 'reject') {
      this.bad(rec, out.code, out.reason, input);
      return true;
    }
    if (out.kind === 'filtered') {
      this.filteredEverywhere(rec, out.excluded);
      return true;
    }
    const { to, excluded } = out;
    this.mapped(rec, excluded);
    const items = this.itemsFor(rec, out.mapped, to, input);
    return this.reserving(to) ? this.reserveThenCommit(rec, items, to, input) : this.pushEverywhere(items, to);
  }

  /**
   * No push of this call is still pending: every item it handed a route was taken (a queue copies
   * what it keeps) or refused and reported. Records whose bytes are a worker's may then be reused
   * (workers/pooled-ingest.ts).
   */
  get settled(): boolean {
    return this.unsettled === 0;
  }

  /** Counts `p` until it settles (a push that answered PUSHED is settled). */
  private track<T>(p: Promise<T>): Promise<T> {
    if (p !== (PUSHED as Promise<unknown>)) {
      this.unsettled++;
      p.then(this.settledOne, this.settledOne);
    }
    return p;
  }

  /** The signal may outlive this call (a run's stop signal): leave no listener on it. */
  end(): IngestResult {
    if (this.onAbort !== undefined) this.signal?.removeEventListener('abort', this.onAbort);
    return this.res;
  }

  private received(rec: InputRecord): void {
    this.deps.counts.received++;
    this.deps.telemetry?.eventReceived(rec.origin.source);
  }

  /** After the stop: a pull source stops reading; a push source refuses the rest (dead-lettered: settled). */
  private refuseAfterStop(rec: InputRecord): boolean {
    this.res.interrupted = true;
    const refuseAs = this.opts.refuseRestAs;
    if (refuseAs === undefined) return false;
    this.received(rec);
    this.res.refused++;
    this.deps.reject(
      rec.origin,
      refuseAs,
      rec.kind === 'text' ? rec.text : rec.kind === 'error' ? rec.text : undefined,
      'queue_full',
    );
    rec.ack?.();
    return true;
  }

  /** Bad input is dead-lettered at once: counted, reported, and the record settled (rec.ack). */
  private bad(rec: InputRecord, code: string, reason: string, input: string | undefined): void {
    this.deps.reject(rec.origin, reason, input, code);
    this.res.rejectedCount++;
    if (this.listRejections) this.res.rejected.push({ origin: rec.origin, reason });
    rec.ack?.();
  }

  /** Every route's filter excluded the event: nothing to map; settled for each of them at once. */
  private filteredEverywhere(rec: InputRecord, excluded: number[]): void {
    for (const i of excluded) this.plan.routes[i].filtered?.();
    this.deps.counts.filteredOut++;
    this.res.accepted++;
    rec.ack?.();
  }

  /** Counted only now: an event rejected by the mapping counts as rejected, not as filtered too. */
  private mapped(rec: InputRecord, excluded: number[] | undefined): void {
    this.deps.counts.mapped++;
    this.deps.telemetry?.eventMapped(rec.origin.source);
    if (excluded !== undefined) for (const i of excluded) this.plan.routes[i].filtered?.();
  }

  /** One item per route; the record is settled once every route it was pushed to acked its item. */
  private itemsFor(
    rec: InputRecord,
    mapped: Array<MappedRecord | undefined>,
    to: number[],
    input: string | undefined,
  ): DeliveryItem[] {
    const items: DeliveryItem[] = new Array(to.length);
    const ack = rec.ack === undefined ? undefined : to.length === 1 ? rec.ack : afterAll(to.length, rec.ack);
    for (let j = 0; j < to.length; j++) {
      items[j] = {
        record: mapped[this.plan.slotOf[to[j]]] as MappedRecord,
        origin: rec.origin,
        input,
        ack,
      };
    }
    return items;
  }

  /** A push source whose refusal must mean "taken nowhere" (webhook 503, forward not acked), and routes that can hold room. */
  private reserving(to: number[]): boolean {
    return (
      this.signal !== undefined &&
      this.opts.refuseRestAs !== undefined &&
      to.every((i) => this.plan.routes[i].delivery.reserve !== undefined)
    );
  }

  /** Room is reserved in every route first, and withdrawn from all of them when the signal aborts. */
  private async reserveThenCommit(
    rec: InputRecord,
    items: DeliveryItem[],
    to: number[],
    input: string | undefined,
  ): Promise<boolean> {
    const routes = this.plan.routes;
    // every route has reserve() and refuseRestAs is set: reserving()
    const held = await Promise.allSettled(
      to.map((i, j) => this.track(routes[i].delivery.reserve?.(items[j], this.signal) as Promise<PushReservation>)),
    );
    if (held.some((h) => h.status === 'rejected' && h.reason instanceof PushWithdrawn)) {
      for (const h of held) if (h.status === 'fulfilled') h.value.cancel();
      this.res.refused++;
      this.res.interrupted = true;
      this.deps.reject(rec.origin, this.opts.refuseRestAs ?? '', input, 'queue_full');
      rec.ack?.(); // dead-lettered: settled
      return true;
    }
    // committed where room was held; a route that refused for another reason (shut down, disk
    // error) reports it, as a refused push does
    const commits = held.map((h, j) =>
      this.track(h.status === 'fulfilled' ? h.value.commit() : Promise.reject(h.reason as Error)).catch(
        (err: Error) => {
          this.deps.pushFailed?.(routes[to[j]], items[j], err);
          throw err;
        },
      ),
    );
    try {
      await Promise.all(commits);
      this.res.accepted++;
    } catch {
      this.res.refused++;
    }
    return true;
  }

  /**
   * Push to every route. Where every route took the item at once (PUSHED) that is the answer, with no
   * promise of ours (the common case: one per event was most of ingest's garbage, issue #16).
   */
  private pushEverywhere(items: DeliveryItem[], to: number[]): boolean | Promise<boolean> {
    const routes = this.plan.routes;
    if (to.length === 1) {
      const pushed = routes[to[0]].delivery.push(items[0]);
      if (pushed === PUSHED) {
        this.res.accepted++;
        return true;
      }
      return this.awaitPushes(items, to, [pushed]);
    }
    const pushes: Promise<void>[] = new Array(to.length);
    let now = true;
    for (let j = 0; j < to.length; j++) {
      pushes[j] = routes[to[j]].delivery.push(items[j]);
      if (pushes[j] !== PUSHED) now = false;
    }
    if (now) {
      this.res.accepted++;
      return true;
    }
    return this.awaitPushes(items, to, pushes);
  }

  /** Wait for the pushes; stop waiting when the signal aborts (the push stays in line, accounted for). */
  private async awaitPushes(items: DeliveryItem[], to: number[], pushes: Promise<void>[]): Promise<boolean> {
    const routes = this.plan.routes;
    for (const p of pushes) this.track(p);
    const all: Promise<unknown> = pushes.length === 1 ? pushes[0] : Promise.all(pushes);
    let outcome: unknown;
    try {
      outcome = await this.untilAborted(all);
    } catch {
      // a route refused the push: report each refusal; the other routes keep what they took
      this.res.refused++;
      for (let j = 0; j < pushes.length; j++)
        pushes[j].catch((err: Error) => this.deps.pushFailed?.(routes[to[j]], items[j], err));
      return true;
    }
    if (outcome !== ABORTED) {
      this.res.accepted++;
      return true;
    }
    this.res.waiting++;
    this.res.interrupted = true;
    for (let j = 0; j < pushes.length; j++)
      pushes[j].catch((err: Error) => this.deps.lateRefusal(routes[to[j]], items[j], err));
    return this.opts.refuseRestAs !== undefined;
  }

  /**
   * `all`, or ABORTED as soon as the signal aborts. Not a Promise.race against one long-lived "aborted"
   * promise: that left one reaction on it per event until the signal fired (~200 bytes of heap per
   * event, issue #16; test/unit/pipeline/bounded-memory.test.ts).
   */
  private untilAborted(all: Promise<unknown>): Promise<unknown> {
    const signal = this.signal;
    if (signal === undefined) return all;
    if (signal.aborted) return Promise.race([all, Promise.resolve(ABORTED)]);
    if (this.onAbort === undefined) {
      this.onAbort = () => this.wake?.(ABORTED);
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
    return new Promise((resolve, reject) => {
      this.wake = resolve;
      all.then(resolve, reject);
    });
  }
}
