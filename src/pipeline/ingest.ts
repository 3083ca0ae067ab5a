// decode → map → push to every exporter's delivery, for one batch of input records. Shared by the
// pull sources (one call per stream) and the push sources (one call per HTTP request).

import type { Delivery, DeliveryItem } from '../delivery/index.ts';
import type { Mapper } from '../mapping/compile.ts';
import type { Exporter } from '../model/exporter.ts';
import type { EcsRecord, Origin, OtelRecord } from '../model/records.ts';
import { decodeText, decodeValue } from '../normalize/decode.ts';
import type { InputRecord } from '../sources/read-records.ts';
import type { Ingest, IngestOptions, IngestResult } from '../sources/types.ts';
import type { Telemetry } from '../telemetry/index.ts';

export interface IngestRoute { exporter: Exporter; delivery: Delivery }

export interface IngestCounts { received: number; mapped: number; rejected: number }

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
}

const ABORTED = Symbol('aborted');

export function createIngest(deps: IngestDeps): Ingest {
  const { mapper, routes, counts } = deps;
  const tel = deps.telemetry;
  const wantEcs = routes.some((r) => r.exporter.target === 'ecs');
  const wantOtel = routes.some((r) => r.exporter.target === 'otel');

  return async function ingest(records: AsyncIterable<InputRecord> | Iterable<InputRecord>, opts: IngestOptions = {}): Promise<IngestResult> {
    const res: IngestResult = { accepted: 0, rejected: [], waiting: 0, refused: 0, interrupted: false };
    const signal = opts.signal;
    let aborted: Promise<typeof ABORTED> | undefined;
    const bad = (origin: Origin, code: string, reason: string, input: string | undefined) => {
      deps.reject(origin, reason, input, code);
      res.rejected.push({ origin, reason });
    };
    for await (const rec of records) {
      if (signal?.aborted) {
        res.interrupted = true;
        if (opts.refuseRestAs === undefined) break;
        counts.received++;
        tel?.eventReceived(rec.origin.source);
        res.refused++;
        deps.reject(rec.origin, opts.refuseRestAs, rec.kind === 'text' ? rec.text : rec.kind === 'error' ? rec.text : undefined, 'queue_full');
        continue;
      }
      counts.received++;
      tel?.eventReceived(rec.origin.source);
      if (rec.kind === 'error') { bad(rec.origin, rec.code, rec.reason, rec.text); continue; }
      const input = rec.kind === 'text' ? rec.text : undefined;
      const dec = rec.kind === 'text' ? decodeText(rec.text) : decodeValue(rec.value, rec.marked);
      if (!dec.ok) { bad(rec.origin, dec.code, dec.reason, input); continue; }
      let ecs: EcsRecord | undefined;
      let otel: OtelRecord | undefined;
      try {
        if (wantEcs) ecs = mapper.toEcsJson(dec.event); // the JSON text is built once; .doc parses it on demand
        if (wantOtel) otel = mapper.toOtel(dec.event);
      } catch (err) {
        if (err instanceof RangeError) bad(rec.origin, 'too_deep', 'event nested too deeply to map', input);
        else bad(rec.origin, 'map_error', `mapping failed: ${(err as Error).message}`, input);
        continue;
      }
      counts.mapped++;
      tel?.eventMapped(rec.origin.source);
      const items: DeliveryItem[] = new Array(routes.length);
      const pushes: Promise<void>[] = new Array(routes.length);
      for (let i = 0; i < routes.length; i++) {
        items[i] = { record: routes[i].exporter.target === 'ecs' ? ecs! : otel!, origin: rec.origin, input };
        pushes[i] = routes[i].delivery.push(items[i]);
      }
      const all: Promise<unknown> = pushes.length === 1 ? pushes[0] : Promise.all(pushes);
      if (signal === undefined) { await all; res.accepted++; continue; }
      aborted ??= signal.aborted ? Promise.resolve(ABORTED)
        : new Promise((resolve) => signal.addEventListener('abort', () => resolve(ABORTED), { once: true }));
      if ((await Promise.race([all, aborted])) !== ABORTED) { res.accepted++; continue; }
      // Stopped waiting: the push stays in line; whatever becomes of it is still accounted for.
      res.waiting++;
      res.interrupted = true;
      for (let i = 0; i < pushes.length; i++) pushes[i].catch((err: Error) => deps.lateRefusal(routes[i], items[i], err));
      if (opts.refuseRestAs === undefined) break;
    }
    return res;
  };
}
