// decode → map → push to every exporter's delivery, for one batch of input records. Shared by the
// pull sources (one call per stream) and the push sources (one call per HTTP request).

import type { Delivery, DeliveryItem } from '../delivery/index.ts';
import type { Mapper } from '../mapping/compile.ts';
import type { Exporter } from '../model/exporter.ts';
import type { Origin } from '../model/records.ts';
import type { InputRecord } from '../sources/read-records.ts';
import type { Ingest, IngestOptions, IngestResult, RecordStream } from '../sources/types.ts';
import { eachRecord } from './each-record.ts';
import type { Telemetry } from '../telemetry/index.ts';
import type { EventPredicate } from '../mapping/event-filter.ts';
import { planRoutes } from './ingest-routes.ts';
import { IngestRun } from './ingest-run.ts';

export interface IngestRoute {
  exporter: Exporter;
  delivery: Delivery;
  /** The exporter's filter (src/mapping/event-filter.ts); absent = every event. */
  accepts?: EventPredicate;
  /** This exporter's mapper (its trimmed fields left out); absent = the shared one (IngestDeps.mapper). */
  mapper?: Mapper;
  /** An event this route's filter excluded: not pushed, settled for this route at once. */
  filtered?(): void;
  /**
   * The delivery queues OTel records as LogRecord bytes (encoded-otel.ts encodingDelivery, no disk
   * buffer in front holding items): records are mapped straight to bytes (Mapper.toOtelEncoded).
   */
  mapsEncoded?: boolean;
}

export interface IngestCounts {
  received: number;
  mapped: number;
  rejected: number;
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

/**
 * ingest(): for each input record, the steps of IngestRun.take (ingest-run.ts): count, decode,
 * select the routes (filters), map once per mapping (ingest-routes.ts), push to every route.
 */
export function createIngest(deps: IngestDeps): Ingest {
  const plan = planRoutes(deps.routes, deps.mapper);
  return async function ingest(records: RecordStream, opts: IngestOptions = {}): Promise<IngestResult> {
    const run = new IngestRun(deps, plan, opts);
    try {
      await eachRecord(records, opts, (rec) => run.take(rec));
    } finally {
      run.end();
    }
    return run.res;
  };
}
