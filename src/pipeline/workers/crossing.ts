// What crosses between the main thread and a worker thread (`workers: N`), in compact form:
// a chunk's texts (strings); back, per slot (mapping), the finished records: ECS as its ids and its
// documents' JSON as UTF-8 bytes in one transferred buffer, rather than objects or strings; OTel records with their resource sent once per
// chunk (the main thread hands out one object per resource key, as the mapper does: exporters
// group by it); rejections with their code and reason (the main thread reports them with the
// record's origin, which never leaves it).

import { EcsBytesRecord, ecsJsonOf } from '../../mapping/ecs-bytes.ts';
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
  /** A buffer of an earlier chunk's ECS bytes the main thread is done with, for the worker to write into again. */
  spare?: ArrayBuffer;
}

/** Status of one record in a ChunkResult. */
const MAPPED = 0;
const REJECTED = 1;
const FILTERED = 2;

type SlotColumn =
  | {
      target: 'ecs';
      /** Per record its id ('' when absent). */
      ids: string[];
      /**
       * The documents' JSON texts as UTF-8, one after another (transferred, not copied): record i's
       * are bytes [ends[i - 1], ends[i]) (from 0 for the first). Bytes, not strings: the main thread
       * queues them as they are (EcsBytesRecord), and the worker keeps no text alive while it maps
       * the rest of the chunk (issue #16: both isolates promoted ~5 KB per event).
       */
      bytes: ArrayBuffer;
      ends: Uint32Array;
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

export function encodeChunk(
  id: number,
  texts: string[],
  spare?: ArrayBuffer,
): { msg: ChunkRequest; transfer: ArrayBuffer[] } {
  if (spare === undefined) return { msg: { type: 'chunk', id, texts }, transfer: [] };
  return { msg: { type: 'chunk', id, texts, spare }, transfer: [spare] };
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
  const w = new ResultWriter(plan, out.length);
  for (const p of out) w.add(p);
  return w.finish(id);
}

/**
 * A chunk's results written as each record is processed (the worker keeps no record's output alive
 * while it maps the rest: an ECS text is copied into the chunk's bytes at once), then sent.
 */
export class ResultWriter {
  private readonly status: Uint8Array;
  private readonly rejects: ChunkResult['rejects'] = [];
  private readonly selections: ChunkResult['selections'];
  private readonly slots: SlotWriter[];
  private n = 0;

  /**
   * `size`: records in the chunk; `inputBytes`: the length of their texts (sizes the ECS bytes);
   * `spare`: a buffer to write ECS bytes into (ChunkRequest.spare).
   */
  constructor(plan: RoutePlan<PlanRoute>, size: number, inputBytes = 0, spare?: ArrayBuffer) {
    this.status = new Uint8Array(size);
    this.selections = plan.filtering ? new Array(size).fill(null) : undefined;
    let unused = spare;
    this.slots = plan.slots.map((s, k) => {
      const w = slotWriter(s.target, k, size, inputBytes, unused);
      if (s.target === 'ecs') unused = undefined;
      return w;
    });
  }

  /** The next record's result. */
  add(p: Processed): void {
    const i = this.n++;
    const selections = this.selections;
    if (p.kind === 'reject') {
      this.status[i] = REJECTED;
      this.rejects.push({ i, code: p.code, reason: p.reason });
    } else if (p.kind === 'filtered') {
      this.status[i] = FILTERED;
      if (selections) selections[i] = [[], p.excluded];
    } else if (selections) selections[i] = [p.to, p.excluded ?? []];
    const mapped = p.kind === 'mapped' ? p.mapped : undefined;
    for (const s of this.slots) s.add(i, mapped?.[s.k]);
  }

  finish(id: number): { msg: ChunkResult; transfer: ArrayBuffer[] } {
    const transfer: ArrayBuffer[] = [this.status.buffer as ArrayBuffer];
    const slots = this.slots.map((s) => s.finish(transfer));
    return {
      msg: { type: 'result', id, status: this.status, rejects: this.rejects, selections: this.selections, slots },
      transfer,
    };
  }
}

interface SlotWriter {
  readonly k: number;
  add(i: number, rec: MappedRecord | undefined): void;
  finish(transfer: ArrayBuffer[]): SlotColumn;
}

function slotWriter(
  target: ExportTarget,
  k: number,
  n: number,
  inputBytes: number,
  spare: ArrayBuffer | undefined,
): SlotWriter {
  if (target === 'ecs') {
    // an ECS document is about twice its input line (1.7× on the DNS capture)
    const want = Math.max(4096, inputBytes * 2);
    return new EcsSlotWriter(k, n, spare !== undefined && spare.byteLength >= want ? spare : new ArrayBuffer(want));
  }
  if (target === 'otel') return new OtelSlotWriter(k, n);
  const records = new Array(n).fill(null) as Array<TraceeRecord | null>;
  return {
    k,
    add: (i, rec) => {
      records[i] = (rec as TraceeRecord | undefined) ?? null;
    },
    finish: () => ({ target: 'tracee', records }),
  };
}

class EcsSlotWriter implements SlotWriter {
  readonly k: number;
  private readonly ids: string[];
  private readonly kinds: Uint8Array;
  private readonly ends: Uint32Array;
  private bytes: Buffer;
  private at = 0;

  constructor(k: number, n: number, buffer: ArrayBuffer) {
    this.k = k;
    this.bytes = Buffer.from(buffer);
    this.ids = new Array(n).fill('');
    this.kinds = new Uint8Array(n);
    this.ends = new Uint32Array(n);
  }

  add(i: number, rec: MappedRecord | undefined): void {
    const r = rec as EcsRecord | undefined;
    if (r !== undefined) {
      // the mapper writes ECS JSON directly (Mapper.toEcsJson); a record without it is serialized here
      const json = ecsJsonOf(r);
      this.room(json.length * 3);
      this.at += this.bytes.write(json, this.at, 'utf8');
      this.ids[i] = r.id;
      this.kinds[i] = KIND_CODE[r.kind];
    }
    this.ends[i] = this.at;
  }

  /** Room for `n` more bytes: a buffer twice as large when it is short (what was written is copied). */
  private room(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const bigger = Buffer.from(new ArrayBuffer(Math.max(this.bytes.length * 2, this.at + n)));
    this.bytes.copy(bigger, 0, 0, this.at);
    this.bytes = bigger;
  }

  finish(transfer: ArrayBuffer[]): SlotColumn {
    const bytes = this.bytes.buffer as ArrayBuffer;
    transfer.push(bytes, this.ends.buffer as ArrayBuffer, this.kinds.buffer as ArrayBuffer);
    return { target: 'ecs', ids: this.ids, bytes, ends: this.ends, kinds: this.kinds };
  }
}

class OtelSlotWriter implements SlotWriter {
  readonly k: number;
  private readonly resources: Array<{ key: string; attributes: OtelResource['attributes'] }> = [];
  private readonly indexOf = new Map<OtelResource, number>();
  private readonly records: Array<(Omit<OtelRecord, 'resource'> & { r: number }) | null>;

  constructor(k: number, n: number) {
    this.k = k;
    this.records = new Array(n).fill(null);
  }

  add(i: number, mapped: MappedRecord | undefined): void {
    const rec = mapped as OtelRecord | undefined;
    if (rec === undefined) return;
    // a plain record (workers map with toOtel, never toOtelEncoded): the rest spread copies its own
    // fields; a record carrying bytes (encode-log-record.ts) keeps them behind getters the spread would miss
    const { resource, ...rest } = rec;
    let r = this.indexOf.get(resource);
    if (r === undefined) {
      r = this.resources.push({ key: resource.key, attributes: resource.attributes }) - 1;
      this.indexOf.set(resource, r);
    }
    this.records[i] = { ...rest, r };
  }

  finish(): SlotColumn {
    return { target: 'otel', records: this.records, resources: this.resources };
  }
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

/** The buffers of a result the main thread may hand back (ChunkRequest.spare) once its records were taken. */
export function resultBuffers(msg: ChunkResult): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const c of msg.slots) if (c.target === 'ecs') out.push(c.bytes);
  return out;
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
    const { ids, bytes, ends, kinds } = c;
    return (i) => {
      const kind = kinds[i];
      if (kind === 0) return undefined;
      const start = i === 0 ? 0 : ends[i - 1];
      return new EcsBytesRecord(ids[i], CODE_KIND[kind], new Uint8Array(bytes, start, ends[i] - start));
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
