// What a buffer record holds: the origin and the original input text, from which the pipeline
// rebuilds the mapped record on replay (decode + map; the mapping is deterministic, so the event id
// and the Elasticsearch `_id` are the same). An item without input text (a webhook JSON array, a
// pretty document) stores its mapped record instead, losslessly: ECS as its JSON text, OTel with the
// 64-bit times as decimal strings.
//
// Payload layout: [u8 kind][u32 LE header length][header: JSON][body: UTF-8 text]. The input text and
// the ECS JSON go in the body as they are: JSON-escaping a 1.2 KB event line costs more than the write.
//   kind 1 input: header = origin, body = input text
//   kind 2 ecs:   header = {o, id, kind}, body = the document's JSON
//   kind 3 otel:  header = {o, otel}, body empty (a record that does not carry its bytes)
//   kind 4 tracee: header = {o, id, kind, name, c?, h?}, body = the event's JSON (TraceeRecord)
//   kind 5 otel bytes: header = {o, r: resource {key, attributes}}, body = the record's OTLP LogRecord
//                 bytes (OtelRecord.encoded, src/exporters/otlp-http/encode-log-record.ts), binary

import type {
  AttrValue,
  Attributes,
  EcsKind,
  EcsRecord,
  Origin,
  OtelRecord,
  OtelResource,
  TraceeRecord,
} from '../../model/records.ts';
import { encodedRecordOf } from '../../exporters/otlp-http/encode-log-record.ts';
import type { DeliveryItem } from '../types.ts';
import { allocFrame, FRAME_HEADER_BYTES, sealFrame } from './framing.ts';

type Rec = EcsRecord | OtelRecord | TraceeRecord;

const KIND_INPUT = 1;
const KIND_ECS = 2;
const KIND_OTEL = 3;
const KIND_TRACEE = 4;
const KIND_OTEL_BYTES = 5;
const PREFIX = 5;

interface StoredOtel {
  resource: { key: string; attributes: Attributes };
  time: string;
  observed: string;
  severityNumber: number;
  severityText: string;
  eventName: string;
  body?: AttrValue;
  attributes: Attributes;
}

/** Rebuilds the record of an item from its input text (the pipeline's decode + map for this exporter). */
export type ReviveInput<R = Rec> = (
  input: string,
  origin: Origin,
) => { ok: true; record: R } | { ok: false; reason: string };

function isTracee(r: Rec): r is TraceeRecord {
  return typeof (r as TraceeRecord).name === 'string' && typeof (r as TraceeRecord).json === 'string' && !('doc' in r);
}

function isEcs(r: Rec): r is EcsRecord {
  return typeof (r as EcsRecord).id === 'string' && 'kind' in r;
}

function frameOf(kind: number, head: string, body: string): Buffer {
  const headBytes = Buffer.byteLength(head);
  const frame = allocFrame(PREFIX + headBytes + Buffer.byteLength(body));
  let at = FRAME_HEADER_BYTES;
  frame[at] = kind;
  frame.writeUInt32LE(headBytes, at + 1);
  at += PREFIX;
  at += frame.write(head, at, 'utf8');
  frame.write(body, at, 'utf8');
  return sealFrame(frame);
}

function binaryFrameOf(kind: number, head: string, body: Uint8Array): Buffer {
  const headBytes = Buffer.byteLength(head);
  const frame = allocFrame(PREFIX + headBytes + body.byteLength);
  let at = FRAME_HEADER_BYTES;
  frame[at] = kind;
  frame.writeUInt32LE(headBytes, at + 1);
  at += PREFIX;
  at += frame.write(head, at, 'utf8');
  frame.set(body, at);
  return sealFrame(frame);
}

/** The whole frame (length, checksum, payload) of one item. */
export function encodeStoredFrame(item: DeliveryItem<Rec>): Buffer {
  if (item.input !== undefined) return frameOf(KIND_INPUT, JSON.stringify(item.origin), item.input);
  if (isTracee(item.record)) {
    const r = item.record;
    return frameOf(
      KIND_TRACEE,
      JSON.stringify({ o: item.origin, id: r.id, kind: r.kind, name: r.name, c: r.containerId, h: r.hostName }),
      r.json,
    );
  }
  if (isEcs(item.record)) {
    const r = item.record;
    return frameOf(
      KIND_ECS,
      JSON.stringify({ o: item.origin, id: r.id, kind: r.kind }),
      r.json ?? JSON.stringify(r.doc),
    );
  }
  const r = item.record;
  if (r.encoded !== undefined) {
    const head = JSON.stringify({ o: item.origin, r: { key: r.resource.key, attributes: r.resource.attributes } });
    return binaryFrameOf(KIND_OTEL_BYTES, head, r.encoded);
  }
  const otel: StoredOtel = {
    resource: { key: r.resource.key, attributes: r.resource.attributes },
    time: r.timeUnixNano.toString(),
    observed: r.observedTimeUnixNano.toString(),
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    eventName: r.eventName,
    attributes: r.attributes,
  };
  if (r.body !== undefined) otel.body = r.body;
  return frameOf(KIND_OTEL, JSON.stringify({ o: item.origin, otel }), '');
}

/** An ECS record read back: the document is parsed only if someone asks for it. */
function ecsRecord(id: string, kind: EcsKind, json: string): EcsRecord {
  let doc: Record<string, unknown> | undefined;
  return {
    id,
    kind,
    json,
    get doc() {
      return (doc ??= JSON.parse(json) as Record<string, unknown>);
    },
  };
}

/** Resources of replayed records are shared per key (the OTLP exporter groups records by resource object). */
export function createReplayResourceCache(limit = 1024): (key: string, attributes: Attributes) => OtelResource {
  const cache = new Map<string, OtelResource>();
  return (key, attributes) => {
    let r = cache.get(key);
    if (r === undefined) {
      if (cache.size >= limit) cache.clear();
      r = { key, attributes };
      cache.set(key, r);
    }
    return r;
  };
}

export type Decoded<R> = { ok: true; item: DeliveryItem<R> } | { ok: false; reason: string; origin?: Origin };

/** Payload → item (without ack). Never throws: a payload that does not decode is a corrupt record. */
export function decodeStored<R>(
  payload: Buffer,
  revive: ReviveInput<R>,
  resource: ReturnType<typeof createReplayResourceCache>,
): Decoded<R> {
  if (payload.length < PREFIX) return { ok: false, reason: 'payload too short' };
  const kind = payload[0];
  const headEnd = PREFIX + payload.readUInt32LE(1);
  if (headEnd > payload.length) return { ok: false, reason: 'payload header longer than the payload' };
  let head: unknown;
  try {
    head = JSON.parse(payload.toString('utf8', PREFIX, headEnd));
  } catch (err) {
    return { ok: false, reason: `payload header is not JSON: ${(err as Error).message}` };
  }
  if (head === null || typeof head !== 'object') return { ok: false, reason: 'payload header is not an object' };
  const origin = (kind === KIND_INPUT ? head : (head as { o?: unknown }).o) as Origin;
  if (origin === null || typeof origin !== 'object' || typeof origin.source !== 'string')
    return { ok: false, reason: 'payload has no origin' };
  try {
    if (kind === KIND_OTEL_BYTES) {
      const h = head as { r?: { key?: unknown; attributes?: unknown } };
      if (typeof h.r?.key !== 'string' || h.r.attributes === null || typeof h.r.attributes !== 'object')
        return { ok: false, reason: 'payload has no resource', origin };
      // a copy: the payload's buffer is the reader's
      const bytes = new Uint8Array(payload.subarray(headEnd));
      const rec = encodedRecordOf(resource(h.r.key, h.r.attributes as Attributes), bytes);
      return { ok: true, item: { record: rec as R, origin } };
    }
  } catch (err) {
    return { ok: false, reason: `cannot rebuild the record: ${(err as Error).message}`, origin };
  }
  const body = payload.toString('utf8', headEnd);
  try {
    if (kind === KIND_INPUT) {
      const r = revive(body, origin);
      if (!r.ok) return { ok: false, reason: `cannot rebuild the record: ${r.reason}`, origin };
      return { ok: true, item: { record: r.record, origin, input: body } };
    }
    if (kind === KIND_ECS) {
      const h = head as { id: string; kind: EcsKind };
      return { ok: true, item: { record: ecsRecord(h.id, h.kind, body) as R, origin } };
    }
    if (kind === KIND_TRACEE) {
      const h = head as { id: string; kind: EcsKind; name: string; c?: string; h?: string };
      const rec: TraceeRecord = { id: h.id, kind: h.kind, name: h.name, json: body };
      if (h.c !== undefined) rec.containerId = h.c;
      if (h.h !== undefined) rec.hostName = h.h;
      return { ok: true, item: { record: rec as R, origin } };
    }
    if (kind === KIND_OTEL) {
      const t = (head as { otel: StoredOtel }).otel;
      const rec: OtelRecord = {
        resource: resource(t.resource.key, t.resource.attributes),
        timeUnixNano: BigInt(t.time),
        observedTimeUnixNano: BigInt(t.observed),
        severityNumber: t.severityNumber,
        severityText: t.severityText,
        eventName: t.eventName,
        attributes: t.attributes,
      };
      if (t.body !== undefined) rec.body = t.body;
      return { ok: true, item: { record: rec as R, origin } };
    }
  } catch (err) {
    return { ok: false, reason: `cannot rebuild the record: ${(err as Error).message}`, origin };
  }
  return { ok: false, reason: `unknown record kind ${kind}`, origin };
}
