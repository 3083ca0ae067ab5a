// Builds the NDJSON of a `_bulk` request: one `create` action + one document per record, routed to the
// data stream of the record's kind, with `data_stream.*` and `event.dataset` set to match that stream,
// and `event.ingested` set to the time of this send attempt when given. Kibana's External Alerts rule
// looks back 2 minutes on event.ingested: without it an alert that arrives later than that (a retry,
// a backlog after an outage) is never promoted. Elasticsearch would set it in an ingest pipeline, but
// a pipeline needs the ingest-common module, which not every cluster has (the integ-test one has not).

import type { EcsRecord } from '../../model/records.ts';
import { type JsonMember, jsonMembers } from '../../util/json-members.ts';
import type { DataStreamTarget, DataStreamTargets } from './data-stream.ts';

/** One encoded item: the two NDJSON lines (with their trailing newlines), or why it could not be encoded. */
export type EncodedItem = { ok: true; text: string; bytes: number } | { ok: false; reason: string };

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
    const fromJson = record.json === undefined ? undefined : retarget(record.json, t, ingested);
    const body = fromJson ?? this.#body(record.doc, t, ingested);
    if (typeof body !== 'string') return body;
    const text = `${t.prefix}${JSON.stringify(record.id)}}}\n${body}\n`;
    return { ok: true, text, bytes: Buffer.byteLength(text) };
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

/**
 * The mapper's JSON text (EcsRecord.json) with data_stream and event.dataset set, member order as
 * the object path gives it (`{ ...doc, data_stream, event: { ...doc.event, dataset } }`): a member
 * keeps its place, a new one goes last. undefined when the text is not a JSON object.
 */
const TOP_KEYS = ['data_stream', 'event'];
const EVENT_KEYS = ['dataset', 'ingested'];

function retarget(json: string, t: TargetCache, ingested: string | undefined): string | undefined {
  const top = jsonMembers(json, 0, json.length, TOP_KEYS);
  if (top === undefined) return undefined;
  const ev = top.find((m) => m.key === 'event');
  const eventSets: Array<[string, string]> = [['dataset', t.datasetJson]];
  if (ingested !== undefined) eventSets.push(['ingested', JSON.stringify(ingested)]);
  let event: string;
  if (ev !== undefined && json[ev.start] === '{') {
    const inner = jsonMembers(json, ev.start, ev.end, ingested === undefined ? EVENT_KEYS.slice(0, 1) : EVENT_KEYS);
    if (inner === undefined) return undefined;
    event = setMembers(json, ev.start, ev.end, inner, eventSets);
  } else {
    event = setMembers('{}', 0, 2, [], eventSets);
  }
  return setMembers(json, 0, json.length, top, [
    ['data_stream', t.dataStreamJson],
    ['event', event],
  ]);
}

/**
 * The object text [start, end) of `json` with these members set (key, value text): a member it has
 * keeps its place with the new value, the others are added last, in order. `members`: its members
 * as jsonMembers read them (at least up to the keys set).
 */
function setMembers(
  json: string,
  start: number,
  end: number,
  members: readonly JsonMember[],
  sets: ReadonlyArray<[string, string]>,
): string {
  const edits: Array<{ start: number; end: number; text: string }> = [];
  let appended = '';
  for (const [key, value] of sets) {
    const m = members.find((x) => x.key === key);
    if (m !== undefined) edits.push({ start: m.start, end: m.end, text: value });
    else appended += `,${JSON.stringify(key)}:${value}`;
  }
  // splice from the end so earlier offsets stay valid
  edits.sort((a, b) => b.start - a.start);
  let out = json.slice(start, end);
  for (const e of edits) out = out.slice(0, e.start - start) + e.text + out.slice(e.end - start);
  if (appended === '') return out;
  const close = out.lastIndexOf('}');
  return out.slice(0, close) + (members.length === 0 ? appended.slice(1) : appended) + out.slice(close);
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
