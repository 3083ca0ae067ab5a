// Builds the NDJSON of a `_bulk` request: one `create` action + one document per record, routed to the
// data stream of the record's kind, with `data_stream.*` and `event.dataset` set to match that stream.

import type { EcsRecord } from '../../model/records.ts';
import type { DataStreamTarget, DataStreamTargets } from './data-stream.ts';

/** One encoded item: the two NDJSON lines (with their trailing newlines), or why it could not be encoded. */
export type EncodedItem = { ok: true; text: string; bytes: number } | { ok: false; reason: string };

interface TargetCache { readonly prefix: string; readonly dataStream: Readonly<Record<string, string>> }

export class BulkEncoder {
  readonly #cache: Record<string, TargetCache>;
  constructor(targets: DataStreamTargets) {
    const mk = (t: DataStreamTarget): TargetCache => ({
      prefix: `{"create":{"_index":${JSON.stringify(t.name)},"_id":`,
      dataStream: { type: t.type, dataset: t.dataset, namespace: t.namespace },
    });
    this.#cache = { event: mk(targets.event), alert: mk(targets.alert) };
  }

  encode(record: EcsRecord): EncodedItem {
    const t = this.#cache[record.kind];
    if (!t) return { ok: false, reason: `unknown record kind ${JSON.stringify(record.kind)}` };
    if (typeof record.id !== 'string' || record.id === '') return { ok: false, reason: 'record has no id' };
    const doc = record.doc;
    const ev = doc.event;
    const event = ev !== null && typeof ev === 'object' && !Array.isArray(ev)
      ? { ...(ev as Record<string, unknown>), dataset: t.dataStream.dataset }
      : { dataset: t.dataStream.dataset };
    let body: string;
    try {
      body = JSON.stringify({ ...doc, data_stream: t.dataStream, event });
    } catch (err) {
      return { ok: false, reason: `cannot encode document as JSON: ${(err as Error).message}` };
    }
    const text = `${t.prefix}${JSON.stringify(record.id)}}}\n${body}\n`;
    return { ok: true, text, bytes: Buffer.byteLength(text) };
  }
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
    if (cur.length > 0 && curBytes + s > maxBytes) { chunks.push(cur); cur = []; curBytes = 0; }
    cur.push(i);
    curBytes += s;
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}
