// A source's records cut into chunks for the worker threads (`workers: N`): at most `maxRecords`
// records or `maxBytes` of text each. A chunk keeps every record (the main thread counts, pushes
// and settles them in order); only its text records (NDJSON lines) are decoded and mapped in a
// worker. Other records (whole-document values, the reader's own errors) ride along in place and
// are handled on the main thread when their turn comes.

import type { InputRecord } from '../../sources/read-records.ts';

export interface ChunkLimits {
  /** Records per chunk (default 256). */
  maxRecords: number;
  /** Bytes of text per chunk (UTF-16 length; default 256 KiB). */
  maxBytes: number;
}

/** What a record that is not a text line counts for in a chunk's bytes (its size is not known: a parsed value). */
export const OTHER_RECORD_BYTES = 1024;

export const CHUNK_DEFAULTS: ChunkLimits = { maxRecords: 256, maxBytes: 256 * 1024 };

export interface Chunk {
  /** The records, in input order. */
  records: InputRecord[];
  /** The text of its text records, in order (what a worker decodes and maps). */
  texts: string[];
  /** Length of the texts, and 1 KiB per other record (what it holds in flight, for the read-ahead bound). */
  bytes: number;
}

/** Where a chunk's records came from: `file:/x.ndjson:1001-1256` (for worker error reports). */
export function chunkWhere(chunk: Chunk): string {
  const first = chunk.records[0]?.origin;
  const last = chunk.records[chunk.records.length - 1]?.origin;
  if (first === undefined || last === undefined) return '(empty chunk)';
  const lines =
    first.line === undefined
      ? ''
      : last.line === undefined || last.line === first.line
        ? `:${first.line}`
        : `:${first.line}-${last.line}`;
  return `${first.source}${lines}`;
}

export class ChunkCutter {
  private readonly limits: ChunkLimits;
  private cur: Chunk | undefined;

  constructor(limits: Partial<ChunkLimits> = {}) {
    this.limits = { ...CHUNK_DEFAULTS, ...limits };
  }

  /** Records held in the chunk being filled. */
  get pending(): number {
    return this.cur?.records.length ?? 0;
  }

  /** Adds the record; returns the chunk it filled, if it did. */
  add(rec: InputRecord): Chunk | undefined {
    const c = (this.cur ??= { records: [], texts: [], bytes: 0 });
    c.records.push(rec);
    if (rec.kind === 'text') {
      c.texts.push(rec.text);
      c.bytes += rec.text.length;
    } else c.bytes += OTHER_RECORD_BYTES;
    if (c.records.length >= this.limits.maxRecords || c.bytes >= this.limits.maxBytes) return this.flush();
    return undefined;
  }

  /** The chunk being filled, as it is (undefined when empty). */
  flush(): Chunk | undefined {
    const c = this.cur;
    this.cur = undefined;
    return c;
  }
}
