// What crosses between the main thread and a worker thread (`workers: N`), in compact form:
// a chunk's texts (strings); back, per slot
// (mapping), the finished records: ECS as its document text (id and JSON strings) rather than
// objects; OTel records with their resource sent once per
// chunk (the main thread hands out one object per resource key, as the mapper does: exporters
// group by it); rejections with their code and reason (the main thread reports them with the
// record's origin, which never leaves it).

import { EcsJsonRecord } from '../../mapping/ecs-json.ts';
import type { ExportTarget } from '../../model/exporter.ts';
import type { EcsKind, EcsRecord, OtelRecord, OtelResource, TraceeRecord } from '../../model/records.ts';
import type { PlanRoute, RoutePlan } from '../ingest-routes.ts';
import type { MappedRecord, Processed } from '../process-record.ts';

export interface ChunkRequest {
  type: 'chunk';
  id: number;
  /**
   * The texts, as they are: cloning the array of strings costs the main thread half what joining
   * them into one string (and its lengths) did (0.8 against 1.7 µs per event on the DNS capture).
   */
  texts: string[];
}

/** Status of one record in a ChunkResult. */
const MAPPED = 0;
const REJECTED = 1;
const FILTERED = 2;

type SlotColumn =
  | {
      target: 'ecs';
      /** Per record its id and its JSON ('' when absent); an array of strings costs the worker half what one long string built of them does. */
      ids: string[];
      jsons: string[];
      /** Per record: 0 absent (not mapped for this slot), 1 event, 2 alert. */
      kinds: Uint8Array;
    }
  | {
      target: 'otel';
      /** Per record: the record without its resource, and the resource's index in `resources` (null: absent). */
      records: Array<(Omit<OtelRecord, 'resource'> & { r: number }) | null>;
      resources: Array<{ key: string; attributes: OtelResource['attributes'] }>;
    }
  | { target: 'tracee'; records: Array<TraceeRecord | null> };

export interface ChunkResult {
  type: 'result';
  id: number;
  status: Uint8Array;
  /** The rejected records: index in the chunk, code and reason. */
  rejects: Array<{ i: number; code: string; reason: string }>;
  /** With filters: per record the routes it goes to and those that excluded it (null: rejected). */
  selections?: Array<[number[], number[]] | null>;
  slots: SlotColumn[];
}

/** The worker could not process the chunk at all (a bug, not bad input): the main thread runs it. */
export interface ChunkFailed {
  type: 'failed';
  id: number;
  message: string;
}

export type WorkerReply = ChunkResult | ChunkFailed;

export function encodeChunk(id: number, texts: string[]): { msg: ChunkRequest; transfer: ArrayBuffer[] } {
  return { msg: { type: 'chunk', id, texts }, transfer: [] };
}

export function decodeChunk(msg: ChunkRequest): string[] {
  return msg.texts;
}

const KIND_CODE: Record<EcsKind, number> = { event: 1, alert: 2 };
const CODE_KIND: EcsKind[] = ['event', 'event', 'alert'];

/** A worker's results for a chunk, in their crossing form. */
export function encodeResults(
  id: number,
  plan: RoutePlan<PlanRoute>,
  out: Processed[],
): { msg: ChunkResult; transfer: ArrayBuffer[] } {
  const n = out.length;
  const status = new Uint8Array(n);
  const rejects: ChunkResult['rejects'] = [];
  const selections: ChunkResult['selections'] = plan.filtering ? new Array(n).fill(null) : undefined;
  for (let i = 0; i < n; i++) {
    const p = out[i];
    if (p.kind === 'reject') {
      status[i] = REJECTED;
      rejects.push({ i, code: p.code, reason: p.reason });
    } else if (p.kind === 'filtered') {
      status[i] = FILTERED;
      if (selections) selections[i] = [[], p.excluded];
    } else if (selections) selections[i] = [p.to, p.excluded ?? []];
  }
  const transfer: ArrayBuffer[] = [status.buffer as ArrayBuffer];
  const slots = plan.slots.map((s, k) => encodeSlot(s.target, k, out, transfer));
  return { msg: { type: 'result', id, status, rejects, selections, slots }, transfer };
}

function mappedAt(out: Processed[], i: number, k: number): MappedRecord | undefined {
  const p = out[i];
  return p.kind === 'mapped' ? p.mapped[k] : undefined;
}

function encodeSlot(target: ExportTarget, k: number, out: Processed[], transfer: ArrayBuffer[]): SlotColumn {
  const n = out.length;
  if (target === 'ecs') {
    const ids: string[] = new Array(n);
    const jsons: string[] = new Array(n);
    const kinds = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const r = mappedAt(out, i, k) as EcsRecord | undefined;
      if (r === undefined) {
        ids[i] = '';
        jsons[i] = '';
        continue;
      }
      // the mapper writes ECS JSON directly (Mapper.toEcsJson); a record without it is serialized here
      ids[i] = r.id;
      jsons[i] = r.json ?? JSON.stringify(r.doc);
      kinds[i] = KIND_CODE[r.kind];
    }
    transfer.push(kinds.buffer as ArrayBuffer);
    return { target, ids, jsons, kinds };
  }
  if (target === 'otel') {
    const resources: Array<{ key: string; attributes: OtelResource['attributes'] }> = [];
    const indexOf = new Map<OtelResource, number>();
    const records = new Array(n).fill(null) as Array<(Omit<OtelRecord, 'resource'> & { r: number }) | null>;
    for (let i = 0; i < n; i++) {
      const rec = mappedAt(out, i, k) as OtelRecord | undefined;
      if (rec === undefined) continue;
      // a plain record (workers map with toOtel, never toOtelEncoded): the rest spread copies its own
      // fields; a record carrying bytes (encode-log-record.ts) keeps them behind getters the spread would miss
      const { resource, ...rest } = rec;
      let r = indexOf.get(resource);
      if (r === undefined) {
        r = resources.push({ key: resource.key, attributes: resource.attributes }) - 1;
        indexOf.set(resource, r);
      }
      records[i] = { ...rest, r };
    }
    return { target, records, resources };
  }
  const records = new Array(n).fill(null) as Array<TraceeRecord | null>;
  for (let i = 0; i < n; i++) records[i] = (mappedAt(out, i, k) as TraceeRecord | undefined) ?? null;
  return { target: 'tracee', records };
}

/**
 * The main thread's side: one object per OTel resource key, as the mapper hands out (the OTLP
 * exporters group records by resource object). Bounded: forgets everything past `max` keys.
 */
export class ResourceInterner {
  private readonly byKey = new Map<string, OtelResource>();
  private readonly max: number;
  constructor(max = 4096) {
    this.max = max;
  }
  get(key: string, attributes: OtelResource['attributes']): OtelResource {
    let r = this.byKey.get(key);
    if (r === undefined) {
      if (this.byKey.size >= this.max) this.byKey.clear();
      r = { key, attributes };
      this.byKey.set(key, r);
    }
    return r;
  }
}

/** A ChunkResult back into one Processed per text record of the chunk. */
export function decodeResults(msg: ChunkResult, plan: RoutePlan<PlanRoute>, resources: ResourceInterner): Processed[] {
  const n = msg.status.length;
  const out: Processed[] = new Array(n);
  for (const r of msg.rejects) out[r.i] = { kind: 'reject', code: r.code, reason: r.reason };
  const cols = msg.slots.map((c) => slotReader(c, resources));
  for (let i = 0; i < n; i++) {
    const st = msg.status[i];
    if (st === REJECTED) continue;
    const sel = msg.selections?.[i];
    if (st === FILTERED) {
      out[i] = { kind: 'filtered', excluded: sel?.[1] ?? [] };
      continue;
    }
    const mapped: Array<MappedRecord | undefined> = new Array(cols.length);
    for (let k = 0; k < cols.length; k++) mapped[k] = cols[k](i);
    out[i] =
      sel === undefined || sel === null
        ? { kind: 'mapped', to: plan.everyRoute, excluded: undefined, mapped }
        : { kind: 'mapped', to: sel[0], excluded: sel[1], mapped };
  }
  return out;
}

function slotReader(c: SlotColumn, resources: ResourceInterner): (i: number) => MappedRecord | undefined {
  if (c.target === 'ecs') {
    const { ids, jsons, kinds } = c;
    return (i) => {
      const kind = kinds[i];
      return kind === 0 ? undefined : new EcsJsonRecord(ids[i], CODE_KIND[kind], jsons[i]);
    };
  }
  if (c.target === 'otel') {
    const res = c.resources.map((r) => resources.get(r.key, r.attributes));
    return (i) => {
      const w = c.records[i];
      if (w === null) return undefined;
      const { r, ...rest } = w;
      return { resource: res[r], ...rest } as OtelRecord;
    };
  }
  return (i) => c.records[i] ?? undefined;
}
