// decode → map → push to every exporter's delivery, for one batch of input records. Shared by the
// pull sources (one call per stream) and the push sources (one call per HTTP request).

import type { Delivery, DeliveryItem } from '../delivery/index.ts';
import { PushWithdrawn } from '../delivery/types.ts';
import type { Mapper } from '../mapping/compile.ts';
import type { Exporter } from '../model/exporter.ts';
import type { EcsRecord, Origin, OtelRecord } from '../model/records.ts';
import { decodeText, decodeValue } from '../normalize/decode.ts';
import type { InputRecord } from '../sources/read-records.ts';
import type { Ingest, IngestOptions, IngestResult } from '../sources/types.ts';
import type { Telemetry } from '../telemetry/index.ts';
import type { EventPredicate } from '../mapping/event-filter.ts';

export interface IngestRoute {
  exporter: Exporter; delivery: Delivery;
  /** The exporter's filter (src/mapping/event-filter.ts); absent = every event. */
  accepts?: EventPredicate;
  /** This exporter's mapper (its trimmed fields left out); absent = the shared one (IngestDeps.mapper). */
  mapper?: Mapper;
  /** An event this route's filter excluded: not pushed, settled for this route at once. */
  filtered?(): void;
}

export interface IngestCounts {
  received: number; mapped: number; rejected: number;
  /** Decoded events that every exporter's filter excluded (not mapped). */
  filteredOut: number;
}

export interface IngestDeps {
  mapper: Mapper;
  routes: IngestRoute[];
  counts: IngestCounts;
  /** Per-source counts for /metrics (`received` and `mapped` here; rejections in `reject`). */
  telemetry?: Pick<Telemetry, 'eventReceived' | 'eventMapped'>;
  /** Bad input: count, log, dead-letter (exporter "input"). `code` is the reason's fixed code (a metric label). */
  reject(origin: Origin, reason: string, input: string | undefined, code: string): void;
  /** A push we stopped waiting for was refused later (the delivery shut down first). */
  lateRefusal(route: IngestRoute, item: DeliveryItem, err: Error): void;
  /**
   * A route refused the push while running (its disk buffer could not write). The event is not
   * accepted there: logged, counted and dead-lettered; the record is not acknowledged, so a file
   * source reads it again after a restart (a duplicate rather than a loss).
   */
  pushFailed?(route: IngestRoute, item: DeliveryItem, err: Error): void;
}

const ABORTED = Symbol('aborted');

/** One counter per record: calls `done` on the n-th call (each route's DeliveryItem.ack fires once). */
function afterAll(n: number, done: () => void): () => void {
  let left = n;
  return () => { if (--left === 0) done(); };
}

export function createIngest(deps: IngestDeps): Ingest {
  const { routes, counts } = deps;
  const tel = deps.telemetry;
  // One mapping per distinct (mapper, target) among the routes: routes with the same trimming share it.
  const slots: Array<{ mapper: Mapper; target: Exporter['target'] }> = [];
  const slotOf = routes.map((r) => {
    const m = r.mapper ?? deps.mapper;
    let k = slots.findIndex((s) => s.mapper === m && s.target === r.exporter.target);
    if (k < 0) k = slots.push({ mapper: m, target: r.exporter.target }) - 1;
    return k;
  });
  const filtering = routes.some((r) => r.accepts !== undefined);
  const everyRoute = routes.map((_r, i) => i);

  return async function ingest(records: AsyncIterable<InputRecord> | Iterable<InputRecord>, opts: IngestOptions = {}): Promise<IngestResult> {
    const res: IngestResult = { accepted: 0, rejected: [], rejectedCount: 0, waiting: 0, refused: 0, interrupted: false };
    const listRejections = opts.listRejections !== false;
    const signal = opts.signal;
    // The push waited for now is woken by the stop signal through `wake`: one abort listener per
    // call. (A Promise.race against one long-lived "aborted" promise left a reaction on that promise
    // per event until the signal fired: ~200 bytes of heap per event, issue #16.)
    let wake: ((v: typeof ABORTED) => void) | undefined;
    let onAbort: (() => void) | undefined;
    /** Bad input is dead-lettered at once: counted, reported, and the record settled (rec.ack). */
    const bad = (rec: InputRecord, code: string, reason: string, input: string | undefined) => {
      deps.reject(rec.origin, reason, input, code);
      res.rejectedCount++;
      if (listRejections) res.rejected.push({ origin: rec.origin, reason });
      rec.ack?.();
    };
    for await (const rec of records) {
      if (signal?.aborted) {
        res.interrupted = true;
        if (opts.refuseRestAs === undefined) break;
        counts.received++;
        tel?.eventReceived(rec.origin.source);
        res.refused++;
        deps.reject(rec.origin, opts.refuseRestAs, rec.kind === 'text' ? rec.text : rec.kind === 'error' ? rec.text : undefined, 'queue_full');
        rec.ack?.();   // dead-lettered: settled
        continue;
      }
      counts.received++;
      tel?.eventReceived(rec.origin.source);
      if (rec.kind === 'error') { bad(rec, rec.code, rec.reason, rec.text); continue; }
      const input = rec.kind === 'text' ? rec.text : undefined;
      const dec = rec.kind === 'text' ? decodeText(rec.text) : decodeValue(rec.value, rec.marked);
      if (!dec.ok) { bad(rec, dec.code, dec.reason, input); continue; }
      // which routes want it: a route whose filter excludes the event is settled for it right here
      let wanted: number[] | undefined;   // route indexes; undefined = all (no filters)
      let excluded: number[] | undefined;
      if (filtering) {
        wanted = [];
        excluded = [];
        for (let i = 0; i < routes.length; i++) {
          const a = routes[i].accepts;
          (a === undefined || a(dec.event) ? wanted : excluded).push(i);
        }
        if (wanted.length === 0) {   // nothing to map
          for (const i of excluded) routes[i].filtered?.();
          counts.filteredOut++; res.accepted++; rec.ack?.(); continue;
        }
      }
      const to = wanted ?? everyRoute;
      const mapped: Array<EcsRecord | OtelRecord | undefined> = new Array(slots.length);
      try {
        for (let j = 0; j < to.length; j++) {
          const k = slotOf[to[j]];
          if (mapped[k] !== undefined) continue;
          // ECS: the JSON text is built once; .doc parses it on demand
          mapped[k] = slots[k].target === 'ecs' ? slots[k].mapper.toEcsJson(dec.event) : slots[k].mapper.toOtel(dec.event);
        }
      } catch (err) {
        // only a stack overflow means too deep; another RangeError (an invalid date…) is a mapping error
        if (err instanceof RangeError && /call stack/i.test(err.message)) bad(rec, 'too_deep', 'event nested too deeply to map', input);
        else bad(rec, 'map_error', `mapping failed: ${(err as Error).message}`, input);
        continue;
      }
      counts.mapped++;
      tel?.eventMapped(rec.origin.source);
      // counted only now: an event rejected by the mapping counts as rejected, not as filtered too
      if (excluded !== undefined) for (const i of excluded) routes[i].filtered?.();
      const items: DeliveryItem[] = new Array(to.length);
      // the record is settled once every route it was pushed to acked its item (filtered routes need nothing)
      const ack = rec.ack === undefined ? undefined : to.length === 1 ? rec.ack : afterAll(to.length, rec.ack);
      for (let j = 0; j < to.length; j++) {
        const i = to[j];
        items[j] = { record: mapped[slotOf[i]]!, origin: rec.origin, input, ack };
      }
      // A push source's refusal (webhook 503, forward not acked) must mean "taken nowhere": room is
      // reserved in every route first, and withdrawn from all of them when the signal aborts.
      if (signal !== undefined && opts.refuseRestAs !== undefined && to.every((i) => routes[i].delivery.reserve !== undefined)) {
        const held = await Promise.allSettled(to.map((i, j) => routes[i].delivery.reserve!(items[j], signal)));
        const failures = held.filter((h): h is PromiseRejectedResult => h.status === 'rejected');
        if (failures.some((f) => f.reason instanceof PushWithdrawn)) {
          for (const h of held) if (h.status === 'fulfilled') h.value.cancel();
          res.refused++;
          res.interrupted = true;
          deps.reject(rec.origin, opts.refuseRestAs, input, 'queue_full');
          rec.ack?.();   // dead-lettered: settled
          continue;
        }
        // committed where room was held; a route that refused for another reason (shut down, disk
        // error) reports it, as a refused push does below
        const commits = held.map((h, j) => (h.status === 'fulfilled' ? h.value.commit() : Promise.reject(h.reason as Error)).catch((err: Error) => {
          deps.pushFailed?.(routes[to[j]], items[j], err);
          throw err;
        }));
        try {
          await Promise.all(commits);
          res.accepted++;
        } catch {
          res.refused++;
        }
        continue;
      }
      const pushes: Promise<void>[] = new Array(to.length);
      for (let j = 0; j < to.length; j++) pushes[j] = routes[to[j]].delivery.push(items[j]);
      const all: Promise<unknown> = pushes.length === 1 ? pushes[0] : Promise.all(pushes);
      let waited: Promise<unknown> = all;
      if (signal !== undefined) {
        if (onAbort === undefined) { onAbort = () => wake?.(ABORTED); signal.addEventListener('abort', onAbort, { once: true }); }
        waited = signal.aborted ? Promise.race([all, Promise.resolve(ABORTED)])
          : new Promise((resolve, reject) => { wake = resolve; all.then(resolve, reject); });
      }
      let outcome: unknown;
      try {
        outcome = await waited;
      } catch {
        // a route refused the push: report each refusal; the other routes keep what they took
        res.refused++;
        for (let j = 0; j < pushes.length; j++) pushes[j].catch((err: Error) => deps.pushFailed?.(routes[to[j]], items[j], err));
        continue;
      }
      if (outcome !== ABORTED) { res.accepted++; continue; }
      // Stopped waiting: the push stays in line; whatever becomes of it is still accounted for.
      res.waiting++;
      res.interrupted = true;
      for (let j = 0; j < pushes.length; j++) pushes[j].catch((err: Error) => deps.lateRefusal(routes[to[j]], items[j], err));
      if (opts.refuseRestAs === undefined) break;
    }
    // the signal may outlive this call (a run's stop signal): leave no listener on it
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    return res;
  };
}
