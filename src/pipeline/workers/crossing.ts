// What crosses between the main thread and a worker thread (`workers: N`), in compact form:
// a chunk's texts (strings); back, per slot (mapping), the finished records: ECS as its ids and its
// documents' JSON as UTF-8 bytes in one transferred buffer, rather than objects or strings; OTel
// records as LogRecord bytes the same way where the slot's queues take bytes, else as objects; their
// resources sent once per chunk (the main thread hands out one object per resource key, as the
// mapper does: exporters group by it); rejections with their code and reason (the main thread reports them with the
// record's origin, which never leaves it).

import { encodedRecordWith, keptTimesOf } from '../../exporters/otlp-http/encode-log-record.ts';
import { EcsBytesRecord, ecsJsonOf } from '../../model/ecs-bytes.ts';
import type { ExportTarget } from '../../model/exporter.ts';
import type { EcsKind, EcsRecord, OtelRecord, OtelResource, TraceeRecord } from '../../model/records.ts';
import type { PlanRoute, RoutePlan } from '../ingest-routes.ts';
import type { MappedRecord, Processed } from '../process-record.ts';
import { createInterner } from '../../util/intern.ts';

export interface ChunkRequest {
  type: 'chunk';
  id: number;
  /**
   * The texts, as they are: cloning the array of strings costs the main thread half what joining
   * them into one string (and its lengths) did (0.8 against 1.7 µs per event on the DNS capture).
   */
  texts: string[];
  /** Buffers of earlier chunks' bytes the main thread is done with, for the worker to write into again. */
  spares?: ArrayBuffer[];
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
  | {
      /**
       * OTel records of a slot mapped to LogRecord bytes (its routes queue them as bytes: otlp_http
       * protobuf): the bytes one after another as for ECS, and per record its resource's index (-1:
       * absent), severity and event name; the times are in the bytes (those the bytes cannot say,
       * rare, are listed). The main thread neither rebuilds nor encodes them.
       */
      target: 'otel-bytes';
      bytes: ArrayBuffer;
      ends: Uint32Array;
      r: Int32Array;
      severityNumbers: Int32Array;
      severityTexts: string[];
      eventNames: string[];
      /** [record index, time, observed time] of the records whose times the bytes cannot say. */
      times: Array<[number, bigint, bigint]>;
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
  spares: ArrayBuffer[] = [],
): { msg: ChunkRequest; transfer: ArrayBuffer[] } {
  if (spares.length === 0) return { msg: { type: 'chunk', id, texts }, transfer: [] };
  return { msg: { type: 'chunk', id, texts, spares }, transfer: spares };
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
   * `size`: records in the chunk; `inputBytes`: the length of their texts (sizes the byte columns);
   * `spares`: buffers to write bytes into (ChunkRequest.spares).
   */
  constructor(plan: RoutePlan<PlanRoute>, size: number, inputBytes = 0, spares: ArrayBuffer[] = []) {
    this.status = new Uint8Array(size);
    this.selections = plan.filtering ? new Array(size).fill(null) : undefined;
    const left = [...spares];
    this.slots = plan.slots.map((s, k) => slotWriter(s, k, size, inputBytes, left));
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
  slot: RoutePlan<PlanRoute>['slots'][number],
  k: number,
  n: number,
  inputBytes: number,
  spares: ArrayBuffer[],
): SlotWriter {
  // an ECS document is about twice its input line (1.7× on the DNS capture), a LogRecord about half
  if (slot.target === 'ecs') return new EcsSlotWriter(k, n, new ByteColumn(n, inputBytes * 2, spares));
  if (slot.target === 'otel' && slot.encoded === true)
    return new OtelBytesSlotWriter(k, n, new ByteColumn(n, inputBytes, spares));
  if (slot.target === 'otel') return new OtelSlotWriter(k, n);
  const records = new Array(n).fill(null) as Array<TraceeRecord | null>;
  return {
    k,
    add: (i, rec) => {
      records[i] = (rec as TraceeRecord | undefined) ?? null;
    },
    finish: () => ({ target: 'tracee', records }),
  };
}

/** Records' bytes one after another in one buffer (a spare when one is large enough), with where each ends. */
class ByteColumn {
  readonly ends: Uint32Array;
  private bytes: Buffer;
  private at = 0;

  constructor(n: number, expect: number, spares: ArrayBuffer[]) {
    this.ends = new Uint32Array(n);
    const want = Math.max(4096, expect);
    const k = spares.findIndex((b) => b.byteLength >= want);
    this.bytes = Buffer.from(k >= 0 ? spares.splice(k, 1)[0] : new ArrayBuffer(want));
  }

  text(i: number, s: string): void {
    this.room(s.length * 3);
    this.at += this.bytes.write(s, this.at, 'utf8');
    this.ends[i] = this.at;
  }

  copy(i: number, b: Uint8Array): void {
    this.room(b.byteLength);
    this.bytes.set(b, this.at);
    this.at += b.byteLength;
    this.ends[i] = this.at;
  }

  /** Record i has no bytes. */
  none(i: number): void {
    this.ends[i] = this.at;
  }

  /** Room for `n` more bytes: a buffer twice as large when it is short (what was written is copied). */
  private room(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const bigger = Buffer.from(new ArrayBuffer(Math.max(this.bytes.length * 2, this.at + n)));
    this.bytes.copy(bigger, 0, 0, this.at);
    this.bytes = bigger;
  }

  finish(transfer: ArrayBuffer[]): ArrayBuffer {
    const buffer = this.bytes.buffer as ArrayBuffer;
    transfer.push(buffer, this.ends.buffer as ArrayBuffer);
    return buffer;
  }
}

class EcsSlotWriter implements SlotWriter {
  readonly k: number;
  private readonly ids: string[];
  private readonly kinds: Uint8Array;
  private readonly col: ByteColumn;

  constructor(k: number, n: number, col: ByteColumn) {
    this.k = k;
    this.col = col;
    this.ids = new Array(n).fill('');
    this.kinds = new Uint8Array(n);
  }

  add(i: number, rec: MappedRecord | undefined): void {
    const r = rec as EcsRecord | undefined;
    if (r === undefined) {
      this.col.none(i);
      return;
    }
    // the mapper writes ECS JSON directly (Mapper.toEcsJson); a record without it is serialized here
    this.col.text(i, ecsJsonOf(r));
    this.ids[i] = r.id;
    this.kinds[i] = KIND_CODE[r.kind];
  }

  finish(transfer: ArrayBuffer[]): SlotColumn {
    const bytes = this.col.finish(transfer);
    transfer.push(this.kinds.buffer as ArrayBuffer);
    return { target: 'ecs', ids: this.ids, bytes, ends: this.col.ends, kinds: this.kinds };
  }
}

/** One object per resource in a chunk, sent once, referred to by index. */
class ResourceList {
  readonly list: Array<{ key: string; attributes: OtelResource['attributes'] }> = [];
  private readonly indexOf = new Map<OtelResource, number>();

  index(resource: OtelResource): number {
    let r = this.indexOf.get(resource);
    if (r === undefined) {
      r = this.list.push({ key: resource.key, attributes: resource.attributes }) - 1;
      this.indexOf.set(resource, r);
    }
    return r;
  }
}

class OtelSlotWriter implements SlotWriter {
  readonly k: number;
  private readonly resources = new ResourceList();
  private readonly records: Array<(Omit<OtelRecord, 'resource'> & { r: number }) | null>;

  constructor(k: number, n: number) {
    this.k = k;
    this.records = new Array(n).fill(null);
  }

  add(i: number, mapped: MappedRecord | undefined): void {
    const rec = mapped as OtelRecord | undefined;
    if (rec === undefined) return;
    // a plain record (toOtel): the rest spread copies its own fields
    const { resource, ...rest } = rec;
    this.records[i] = { ...rest, r: this.resources.index(resource) };
  }

  finish(): SlotColumn {
    return { target: 'otel', records: this.records, resources: this.resources.list };
  }
}

class OtelBytesSlotWriter implements SlotWriter {
  readonly k: number;
  private readonly col: ByteColumn;
  private readonly resources = new ResourceList();
  private readonly r: Int32Array;
  private readonly severityNumbers: Int32Array;
  private readonly severityTexts: string[];
  private readonly eventNames: string[];
  private readonly times: Array<[number, bigint, bigint]> = [];

  constructor(k: number, n: number, col: ByteColumn) {
    this.k = k;
    this.col = col;
    this.r = new Int32Array(n).fill(-1);
    this.severityNumbers = new Int32Array(n);
    this.severityTexts = new Array(n).fill('');
    this.eventNames = new Array(n).fill('');
  }

  add(i: number, mapped: MappedRecord | undefined): void {
    const rec = mapped as OtelRecord | undefined;
    const bytes = rec?.encoded;
    if (rec === undefined || bytes === undefined) {
      this.col.none(i);
      return;
    }
    this.col.copy(i, bytes);
    this.r[i] = this.resources.index(rec.resource);
    this.severityNumbers[i] = rec.severityNumber;
    this.severityTexts[i] = rec.severityText;
    this.eventNames[i] = rec.eventName;
    const kept = keptTimesOf(rec);
    if (kept !== undefined) this.times.push([i, kept[0], kept[1]]);
  }

  finish(transfer: ArrayBuffer[]): SlotColumn {
    const bytes = this.col.finish(transfer);
    transfer.push(this.r.buffer as ArrayBuffer, this.severityNumbers.buffer as ArrayBuffer);
    return {
      target: 'otel-bytes',
      bytes,
      ends: this.col.ends,
      r: this.r,
      severityNumbers: this.severityNumbers,
      severityTexts: this.severityTexts,
      eventNames: this.eventNames,
      times: this.times,
      resources: this.resources.list,
    };
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
  for (const c of msg.slots) if (c.target === 'ecs' || c.target === 'otel-bytes') out.push(c.bytes);
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

// the cloned names and severity words, one copy per value: the records wait in queues (util/intern.ts)
const sharedText = createInterner();

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
  if (c.target === 'otel-bytes') {
    const res = c.resources.map((r) => resources.get(r.key, r.attributes));
    const { bytes, ends, r, severityNumbers, severityTexts, eventNames } = c;
    const kept = new Map<number, readonly [bigint, bigint]>(c.times.map(([i, t, o]) => [i, [t, o]]));
    return (i) => {
      const at = r[i];
      if (at < 0) return undefined;
      const start = i === 0 ? 0 : ends[i - 1];
      const sev = {
        severityNumber: severityNumbers[i],
        severityText: sharedText(severityTexts[i]),
        eventName: sharedText(eventNames[i]),
      };
      return encodedRecordWith(res[at], new Uint8Array(bytes, start, ends[i] - start), sev, kept.get(i));
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
