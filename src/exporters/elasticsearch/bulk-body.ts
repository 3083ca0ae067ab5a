// Builds the NDJSON of a `_bulk` request: one `create` action + one document per record, routed to the
// data stream of the record's kind, with `data_stream.*` and `event.dataset` set to match that stream,
// and `event.ingested` set to the time of this send attempt when given. Kibana's External Alerts rule
// looks back 2 minutes on event.ingested: without it an alert that arrives later than that (a retry,
// a backlog after an outage) is never promoted. Elasticsearch would set it in an ingest pipeline, but
// a pipeline needs the ingest-common module, which not every cluster has (the integ-test one has not).

import { EcsBytesRecord } from '../../model/ecs-bytes.ts';
import type { EcsRecord } from '../../model/records.ts';
import { type JsonMember, jsonMembers } from '../../util/json-members.ts';
import type { DataStreamTarget, DataStreamTargets } from './data-stream.ts';

/** One encoded item: the two NDJSON lines (with their trailing newlines) as UTF-8, or why it could not be encoded. */
export type EncodedItem = { ok: true; body: Buffer; bytes: number } | { ok: false; reason: string };

interface TargetCache {
  readonly prefix: string;
  readonly dataStream: Readonly<Record<string, string>>;
  readonly dataStreamJson: string;
  readonly datasetJson: string;
}

export class BulkEncoder {
  readonly #cache: Record<string, TargetCache>;
  constructor(targets: DataStreamTargets) {
    const mk = (t: DataStreamTarget): TargetCache => {
      const dataStream = { type: t.type, dataset: t.dataset, namespace: t.namespace };
      return {
        prefix: `{"create":{"_index":${JSON.stringify(t.name)},"_id":`,
        dataStream,
        dataStreamJson: JSON.stringify(dataStream),
        datasetJson: JSON.stringify(t.dataset),
      };
    };
    this.#cache = { event: mk(targets.event), alert: mk(targets.alert) };
  }

  /** `ingested`: event.ingested (RFC 3339), the same for every item of one attempt. */
  encode(record: EcsRecord, ingested?: string): EncodedItem {
    const t = this.#cache[record.kind];
    if (!t) return { ok: false, reason: `unknown record kind ${JSON.stringify(record.kind)}` };
    if (typeof record.id !== 'string' || record.id === '') return { ok: false, reason: 'record has no id' };
    const action = `${t.prefix}${JSON.stringify(record.id)}}}\n`;
    // a queued record's JSON as bytes (src/model/ecs-bytes.ts): edited as bytes, never decoded
    if (record instanceof EcsBytesRecord) {
      const src = record.bytesView();
      // one char per byte: JSON's structure is ASCII, so offsets in this text are offsets in the bytes
      const pieces = retarget(src.toString('latin1'), t, ingested);
      if (pieces !== undefined) return item(writePieces(action, src, pieces));
    }
    const json = record.json;
    const pieces = json === undefined ? undefined : retarget(json, t, ingested);
    const body =
      pieces !== undefined && json !== undefined ? joinPieces(json, pieces) : this.#body(record.doc, t, ingested);
    if (typeof body !== 'string') return body;
    return item(Buffer.from(`${action}${body}\n`));
  }

  #body(
    doc: Record<string, unknown>,
    t: TargetCache,
    ingested: string | undefined,
  ): string | { ok: false; reason: string } {
    const ev = doc.event;
    const event: Record<string, unknown> =
      ev !== null && typeof ev === 'object' && !Array.isArray(ev)
        ? { ...(ev as Record<string, unknown>), dataset: t.dataStream.dataset }
        : { dataset: t.dataStream.dataset };
    if (ingested !== undefined) event.ingested = ingested;
    try {
      return JSON.stringify({ ...doc, data_stream: t.dataStream, event });
    } catch (err) {
      return { ok: false, reason: `cannot encode document as JSON: ${(err as Error).message}` };
    }
  }
}

const item = (body: Buffer): EncodedItem => ({ ok: true, body, bytes: body.length });

/** A document as pieces: ranges [start, end) of the source text (or bytes), and literal texts. */
type Piece = string | readonly [number, number];

/**
 * The mapper's JSON text (EcsRecord.json) with data_stream and event.dataset set, member order as
 * the object path gives it (`{ ...doc, data_stream, event: { ...doc.event, dataset } }`): a member
 * keeps its place, a new one goes last. undefined when the text is not a JSON object.
 */
const TOP_KEYS = ['data_stream', 'event'];
const EVENT_KEYS = ['dataset', 'ingested'];

function retarget(json: string, t: TargetCache, ingested: string | undefined): Piece[] | undefined {
  const top = jsonMembers(json, 0, json.length, TOP_KEYS);
  if (top === undefined) return undefined;
  const ev = top.find((m) => m.key === 'event');
  const eventSets: Array<[string, Piece[]]> = [['dataset', [t.datasetJson]]];
  if (ingested !== undefined) eventSets.push(['ingested', [JSON.stringify(ingested)]]);
  let event: Piece[];
  if (ev !== undefined && json[ev.start] === '{') {
    const inner = jsonMembers(json, ev.start, ev.end, ingested === undefined ? EVENT_KEYS.slice(0, 1) : EVENT_KEYS);
    if (inner === undefined) return undefined;
    event = setMembers(json, ev.start, ev.end, inner, eventSets);
  } else {
    event = [joinPieces('{}', setMembers('{}', 0, 2, [], eventSets))];
  }
  return setMembers(json, 0, json.length, top, [
    ['data_stream', [t.dataStreamJson]],
    ['event', event],
  ]);
}

/**
 * The object text [start, end) of `json` with these members set (key, value pieces), as pieces: a
 * member it has keeps its place with the new value, the others are added last, in order.
 * `members`: its members as jsonMembers read them (at least up to the keys set).
 */
function setMembers(
  json: string,
  start: number,
  end: number,
  members: readonly JsonMember[],
  sets: ReadonlyArray<[string, Piece[]]>,
): Piece[] {
  const edits: Array<{ start: number; end: number; value: Piece[] }> = [];
  const appended: Piece[] = [];
  for (const [key, value] of sets) {
    const m = members.find((x) => x.key === key);
    if (m !== undefined) edits.push({ start: m.start, end: m.end, value });
    else appended.push(`${members.length === 0 && appended.length === 0 ? '' : ','}${JSON.stringify(key)}:`, ...value);
  }
  edits.sort((a, b) => a.start - b.start);
  const out: Piece[] = [];
  let at = start;
  for (const e of edits) {
    out.push([at, e.start], ...e.value);
    at = e.end;
  }
  if (appended.length === 0) {
    out.push([at, end]);
    return out;
  }
  const close = json.lastIndexOf('}', end - 1);
  out.push([at, close], ...appended, [close, end]);
  return out;
}

/** The pieces as text, ranges taken from `json`. */
function joinPieces(json: string, pieces: readonly Piece[]): string {
  let out = '';
  for (const p of pieces) out += typeof p === 'string' ? p : json.slice(p[0], p[1]);
  return out;
}

/** `action`, the pieces (ranges taken from `src`) and a newline, as UTF-8 in one buffer. */
function writePieces(action: string, src: Buffer, pieces: readonly Piece[]): Buffer {
  let n = Buffer.byteLength(action) + 1;
  for (const p of pieces) n += typeof p === 'string' ? Buffer.byteLength(p) : p[1] - p[0];
  const out = Buffer.allocUnsafe(n);
  let at = out.write(action, 0, 'utf8');
  for (const p of pieces) at += typeof p === 'string' ? out.write(p, at, 'utf8') : src.copy(out, at, p[0], p[1]);
  out[at] = 0x0a;
  return out;
}

/**
 * Splits item indexes into consecutive chunks whose byte sizes add up to at most `maxBytes`
 * (an item larger than `maxBytes` gets a chunk of its own).
 */
export function chunkBySize(indexes: readonly number[], sizes: readonly number[], maxBytes: number): number[][] {
  const chunks: number[][] = [];
  let cur: number[] = [];
  let curBytes = 0;
  for (const i of indexes) {
    const s = sizes[i];
    if (cur.length > 0 && curBytes + s > maxBytes) {
      chunks.push(cur);
      cur = [];
      curBytes = 0;
    }
    cur.push(i);
    curBytes += s;
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}
