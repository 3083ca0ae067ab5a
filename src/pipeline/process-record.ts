// The per-record work of ingest that needs no pipeline state: decode, select the routes (filters),
// map once per mapping. The main thread (ingest-run.ts) and the worker threads
// (src/pipeline/workers/worker-main.ts, `workers: N`) run this same code; what comes of it is
// then counted, pushed and settled on the main thread, in input order.

import type { EcsRecord, OtelRecord, TraceeRecord } from '../model/records.ts';
import { decodeText, decodeValue } from '../normalize/decode.ts';
import { mapForRoutes, selectRoutes, type PlanRoute, type RoutePlan } from './ingest-routes.ts';

export type MappedRecord = EcsRecord | OtelRecord | TraceeRecord;

/** What became of one record: rejected, excluded by every route's filter, or mapped (indexed by slot). */
export type Processed =
  | { kind: 'reject'; code: string; reason: string }
  | { kind: 'filtered'; excluded: number[] }
  | { kind: 'mapped'; to: number[]; excluded: number[] | undefined; mapped: Array<MappedRecord | undefined> };

/** The input a record carries: its text (NDJSON line) or its parsed value (whole documents, push sources). */
export type RecordInput = { kind: 'text'; text: string } | { kind: 'value'; value: unknown; marked: boolean };

export function processRecord(plan: RoutePlan<PlanRoute>, rec: RecordInput): Processed {
  const dec = rec.kind === 'text' ? decodeText(rec.text) : decodeValue(rec.value, rec.marked);
  if (!dec.ok) return { kind: 'reject', code: dec.code, reason: dec.reason };
  const event = dec.event;
  const { to, excluded } = selectRoutes(plan, event);
  if (excluded !== undefined && to.length === 0) return { kind: 'filtered', excluded };
  try {
    return { kind: 'mapped', to, excluded, mapped: mapForRoutes(plan, event, to) };
  } catch (err) {
    // only a stack overflow means too deep; another RangeError (an invalid date…) is a mapping error
    if (err instanceof RangeError && /call stack/i.test(err.message))
      return { kind: 'reject', code: 'too_deep', reason: 'event nested too deeply to map' };
    return { kind: 'reject', code: 'map_error', reason: `mapping failed: ${(err as Error).message}` };
  }
}
