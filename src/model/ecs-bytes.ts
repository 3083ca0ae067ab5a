// An ECS record that carries its document as UTF-8 JSON bytes (the mapper's JSON text, encoded once
// as it enters an exporter's queue: src/pipeline/queued-ecs.ts) instead of a string: the text a
// queued record would otherwise keep alive is what V8 promoted most on the ECS path (issue #16).
// Exporters that write bytes copy them (copyInto, ecsNdjsonBytes, ecsJsonBuffer); the others read
// `json` or `doc`, decoded on demand, the same text and document as the record it was made from.

import type { EcsKind, EcsRecord } from './records.ts';

export class EcsBytesRecord implements EcsRecord {
  readonly id: string;
  readonly kind: EcsKind;
  private readonly bytes: ArrayBufferLike;
  private readonly offset: number;
  private readonly length: number;
  #doc: Record<string, unknown> | undefined;

  /** `json`: the document's JSON text as UTF-8 (not copied: the caller owns these bytes and keeps them unchanged). */
  constructor(id: string, kind: EcsKind, json: Uint8Array) {
    this.id = id;
    this.kind = kind;
    this.bytes = json.buffer;
    this.offset = json.byteOffset;
    this.length = json.byteLength;
  }

  /** The buffer the bytes are in (a queue retains and releases it per item). */
  get bytesBuffer(): ArrayBufferLike {
    return this.bytes;
  }

  /** Length of the JSON text in bytes. */
  get bytesLength(): number {
    return this.length;
  }

  /** The bytes, as a Buffer view (not a copy). */
  bytesView(): Buffer {
    return Buffer.from(this.bytes, this.offset, this.length);
  }

  get json(): string {
    return this.bytesView().toString('utf8');
  }

  get doc(): Record<string, unknown> {
    return (this.#doc ??= JSON.parse(this.json) as Record<string, unknown>);
  }

  /** Copies the JSON bytes into `out` at `at`; returns how many. */
  copyInto(out: Uint8Array, at: number): number {
    out.set(new Uint8Array(this.bytes, this.offset, this.length), at);
    return this.length;
  }

  /** Serialized (dead letter, logs) as the plain record: {id, kind, doc}. */
  toJSON(): { id: string; kind: EcsKind; doc: Record<string, unknown> } {
    return { id: this.id, kind: this.kind, doc: this.doc };
  }
}

/** The record's JSON text (its own, else its document serialized). Throws what JSON.stringify throws. */
export function ecsJsonOf(rec: EcsRecord): string {
  return rec.json ?? JSON.stringify(rec.doc);
}

/**
 * The records' JSON texts as UTF-8, each followed by a newline (NDJSON), in one buffer: bytes
 * records are copied as they are, the others encoded. Throws what JSON.stringify throws.
 */
export function ecsNdjsonBytes(records: readonly EcsRecord[]): Buffer {
  let n = 0;
  const texts: Array<string | undefined> = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (r instanceof EcsBytesRecord) n += r.bytesLength + 1;
    else {
      const t = ecsJsonOf(r);
      texts[i] = t;
      n += Buffer.byteLength(t) + 1;
    }
  }
  const out = Buffer.allocUnsafe(n);
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    const t = texts[i];
    at += t === undefined ? (records[i] as EcsBytesRecord).copyInto(out, at) : out.write(t, at, 'utf8');
    out[at++] = 0x0a;
  }
  return out;
}

/** The record's JSON as a Buffer of its own (a copy: a queued record's bytes are reused once it settled). */
export function ecsJsonBuffer(rec: EcsRecord): Buffer {
  if (rec instanceof EcsBytesRecord) {
    const out = Buffer.allocUnsafe(rec.bytesLength);
    rec.copyInto(out, 0);
    return out;
  }
  return Buffer.from(ecsJsonOf(rec));
}
