// Bytes → records, with their origin (source name and line). NDJSON is the normal case. The mode
// is decided by content: a stream that starts with "[", or with a "{" whose value does not end on
// its first line, is read whole, as JSON documents (a pretty-printed event, several of them one
// after another as `jq .` prints them, or a JSON array of events). Lines over the size limit are
// skipped without being buffered, invalid UTF-8 is reported, and nothing here throws on bad input.

import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import type { Origin } from '../model/records.ts';
import { parseLossless } from '../util/lossless-json.ts';

export type InputRecord = RecordPosition &
  (
    | { kind: 'text'; text: string; origin: Origin }
    | { kind: 'value'; value: unknown; marked: boolean; origin: Origin }
    | {
        kind: 'error';
        code: 'too_large' | 'invalid_utf8' | 'malformed_json' | 'too_deep' | InputErrorCodeOfPushSources;
        reason: string;
        origin: Origin;
        text?: string;
      }
  );

/**
 * Where a record ends in its file, and how to say it is settled (file sources with checkpoints):
 * `end` is the byte offset just after the record's newline (after the document for whole-document
 * input); `ack` is called once when the record is settled (delivered or dead-lettered everywhere).
 */
export interface RecordPosition {
  end?: number;
  ack?(): void;
}

/** Codes of the push sources' own rejections (forward: a record or message that is not an event; grpc: a stream message that is not a StreamEventsResponse). */
export type InputErrorCodeOfPushSources = 'wrong_type' | 'malformed_msgpack' | 'tag_mismatch' | 'malformed_protobuf';

export interface ReadOptions {
  /** Longest line accepted, in bytes (default 4 MiB). */
  maxLineBytes?: number;
  /** Largest whole-document input (pretty JSON / array), in bytes (default 256 MiB). */
  maxDocumentBytes?: number;
  /** Byte offset of the stream's first byte in its file (reading resumed there); default 0. */
  startOffset?: number;
  /** Number of the line before the stream's first one (lines counted from there); default 0. */
  startLine?: number;
  /** Called per record with its end offset and line; what it returns becomes the record's `ack`. */
  ackFor?(end: number, line: number): (() => void) | undefined;
  /**
   * Asked at the end of the stream when its last line has no newline: false = leave it out (the
   * file was truncated under us: the line's rest is elsewhere). Default: it is a record.
   */
  keepUnfinishedLine?(): boolean;
}

const NEWLINE = 0x0a;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
/** What `utf8.decode` does with a byte-order mark at the start of a line (each line is decoded alone). */
const withoutBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

/**
 * A batch holds the records of at most this many bytes of a chunk (a file source reads 256 KiB at a
 * time). Why: every record of a batch is alive until ingest reaches it, so a batch of ~160 DNS
 * events outlived the young generation's collections often enough that V8 began allocating the
 * records' objects in old space ("pretenuring", decided per allocation site from survival rates).
 * Dead old objects hold their line strings through every young collection until a full one: on
 * the 240k-event file → OTLP run 374 MB were promoted and 63 full collections ran; with batches
 * of 64 KiB, 70 MB and 22 (issue #16).
 */
export const BATCH_BYTES = 64 * 1024;

export async function* readRecords(
  stream: Readable | AsyncIterable<Buffer | string>,
  source: string,
  opts: ReadOptions = {},
): AsyncGenerator<InputRecord> {
  for await (const batch of readRecordBatches(stream, source, opts)) yield* batch;
}

/**
 * readRecords, a batch per chunk read (the records that end in it; a chunk over BATCH_BYTES gives
 * a batch per BATCH_BYTES of it): what ingest takes from a pull source, so that the per-record cost
 * of async iteration (a promise and a result object per step and layer) is paid per batch instead
 * (issue #16).
 */
export async function* readRecordBatches(
  stream: Readable | AsyncIterable<Buffer | string>,
  source: string,
  opts: ReadOptions = {},
): AsyncGenerator<InputRecord[]> {
  const cutter = new RecordCutter(source, opts);
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let at = 0; at < bytes.length; at += BATCH_BYTES) {
      const batch: InputRecord[] = [];
      cutter.chunk(bytes.length <= BATCH_BYTES ? bytes : bytes.subarray(at, at + BATCH_BYTES), batch);
      if (batch.length > 0) yield batch;
    }
  }
  const rest: InputRecord[] = [];
  cutter.end(rest);
  if (rest.length > 0) yield rest;
  // whole-document input: a batch per top-level value, parsed when ingest asks for it
  yield* cutter.documentBatches();
}

/** The state of one stream being cut into records: lines until the content says whole documents. */
class RecordCutter {
  private readonly source: string;
  private readonly opts: ReadOptions;
  private readonly maxLine: number;
  private readonly maxDoc: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Inside an over-long line: drop bytes until its newline. */
  private skipping = false;
  private lineNo: number;
  private mode: 'unknown' | 'lines' | 'document' = 'unknown';
  private readonly doc: Buffer[] = [];
  private docBytes = 0;
  private docTooLarge = false;
  /** File offset of the first byte of the chunk being split. */
  private pos: number;

  constructor(source: string, opts: ReadOptions) {
    this.source = source;
    this.opts = opts;
    this.maxLine = opts.maxLineBytes ?? 4 * 1024 * 1024;
    this.maxDoc = opts.maxDocumentBytes ?? 256 * 1024 * 1024;
    this.lineNo = opts.startLine ?? 0;
    this.pos = opts.startOffset ?? 0;
  }

  /** The records that end in this chunk, onto `out` (none in document mode: the document is read at the end). */
  chunk(chunk: Buffer, out: InputRecord[]): void {
    if (this.mode === 'document') {
      this.addDoc(chunk);
      this.pos += chunk.length;
      return;
    }
    const n = chunk.length;
    // Lines that start and end in this chunk are decoded from it by offset, without a view per line,
    // once the bytes of all of them were found valid UTF-8 at once (else each line is decoded alone,
    // so that the invalid one is reported and the others are not).
    let plainTo = -1;
    let at = 0;
    while (at < n) {
      const nl = chunk.indexOf(NEWLINE, at);
      if (nl < 0) {
        this.hold(at === 0 ? chunk : chunk.subarray(at));
        break;
      }
      const end = this.pos + nl + 1;
      if (this.pendingBytes === 0 && !this.skipping) {
        if (nl - at > this.maxLine) out.push(this.tooLarge(end));
        else {
          if (plainTo < 0) {
            const last = chunk.lastIndexOf(NEWLINE);
            plainTo = isUtf8(chunk.subarray(at, last)) ? last : 0;
          }
          if (nl <= plainTo) this.emitText(withoutBom(chunk.toString('utf8', at, nl)), end, out);
          else this.emitLine(chunk.subarray(at, nl), end, out);
        }
      } else {
        this.hold(chunk.subarray(at, nl));
        if (this.skipping) {
          out.push(this.tooLarge(end));
          this.skipping = false;
        } else this.emitLine(this.takePending(), end, out);
      }
      if (this.inDocumentMode()) {
        this.addDoc(chunk.subarray(nl + 1));
        break;
      }
      at = nl + 1;
    }
    this.pos += n;
  }

  /** The stream ended: its unfinished last line onto `out` (whole-document input: documentBatches). */
  end(out: InputRecord[]): void {
    if (this.skipping) {
      out.push(this.tooLarge(this.pos));
    } else if (this.pendingBytes > 0 && this.mode !== 'document') {
      if (this.opts.keepUnfinishedLine?.() !== false) this.emitLine(this.takePending(), this.pos, out);
    } else if (this.pendingBytes > 0) {
      this.addDoc(Buffer.concat(this.pending));
    }
  }

  /**
   * After end(): the records of whole-document input, a batch per top-level value, each parsed only
   * when it is asked for (a `jq .` stream of many events is not held parsed all at once). None in
   * line mode.
   */
  *documentBatches(): Generator<InputRecord[]> {
    if (this.mode !== 'document') return;
    const head: InputRecord[] = [];
    const pieces = this.documentPieces(head);
    if (head.length > 0) yield head;
    if (pieces === undefined) return;
    for (const piece of pieces) {
      const batch: InputRecord[] = [];
      this.pieceRecords(piece, pieces.length, batch);
      if (batch.length > 0) yield batch;
    }
  }

  /** A method, so TypeScript does not narrow the mode across the calls that change it. */
  private inDocumentMode(): boolean {
    return this.mode === 'document';
  }

  /** Part of a line: kept, unless the line grew over the limit (then skipped to its newline). */
  private hold(part: Buffer): void {
    if (this.skipping) return;
    if (this.pendingBytes + part.length > this.maxLine) {
      this.skipping = true;
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    this.pending.push(part);
    this.pendingBytes += part.length;
  }

  private takePending(): Buffer {
    const line = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return line;
  }

  private tooLarge(end: number): InputRecord {
    this.lineNo++;
    return this.placed(
      {
        kind: 'error',
        code: 'too_large',
        reason: `line longer than ${this.maxLine} bytes`,
        origin: { source: this.source, line: this.lineNo },
      },
      end,
    );
  }

  /** The record's end offset (and its ack, with checkpoints). */
  private placed<T extends InputRecord>(r: T, end: number): T {
    r.end = end;
    const ackFor = this.opts.ackFor;
    if (ackFor !== undefined) {
      const ack = ackFor(end, r.origin.line ?? 0);
      if (ack !== undefined) r.ack = ack;
    }
    return r;
  }

  private emitLine(buf: Buffer, end: number, out: InputRecord[]): void {
    let text: string;
    try {
      text = utf8.decode(buf);
    } catch {
      this.lineNo++;
      const origin = { source: this.source, line: this.lineNo };
      out.push(this.placed({ kind: 'error', code: 'invalid_utf8', reason: 'line is not valid UTF-8', origin }, end));
      return;
    }
    this.emitText(text, end, out);
  }

  /** A line's text, decoded (without the byte-order mark at its start that the decoder leaves out). */
  private emitText(decoded: string, end: number, out: InputRecord[]): void {
    this.lineNo++;
    let text = decoded;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return;
    if (this.mode === 'unknown') this.mode = startsDocument(text) ? 'document' : 'lines';
    if (this.mode === 'document') {
      this.addDoc(Buffer.from(text + '\n'));
      return;
    }
    out.push(this.placed({ kind: 'text', text, origin: { source: this.source, line: this.lineNo } }, end));
  }

  private addDoc(b: Buffer): void {
    if (this.docTooLarge) return;
    this.docBytes += b.length;
    if (this.docBytes > this.maxDoc) {
      this.docTooLarge = true;
      this.doc.length = 0;
      return;
    }
    this.doc.push(b);
  }

  /**
   * The top-level values of the whole document (every record of it ends where the document ends:
   * settled together), or undefined with its rejection onto `out`.
   */
  private documentPieces(out: InputRecord[]): Array<{ text: string; line: number }> | undefined {
    const origin = { source: this.source, line: 1 };
    if (this.docTooLarge) {
      out.push(
        this.placed(
          {
            kind: 'error',
            code: 'too_large',
            reason: `JSON document larger than ${this.maxDoc} bytes (${DOCUMENT_MODE})`,
            origin,
          },
          this.pos,
        ),
      );
      return undefined;
    }
    let text: string;
    try {
      text = utf8.decode(Buffer.concat(this.doc));
    } catch {
      out.push(
        this.placed(
          { kind: 'error', code: 'invalid_utf8', reason: `input is not valid UTF-8 (${DOCUMENT_MODE})`, origin },
          this.pos,
        ),
      );
      return undefined;
    }
    return topLevelValues(text);
  }

  /** One top-level value of a document: its event(s), or why it is not one. */
  private pieceRecords(piece: { text: string; line: number }, pieceCount: number, out: InputRecord[]): void {
    const { source, pos } = this;
    let parsed: ReturnType<typeof parseLossless>;
    try {
      parsed = parseLossless(piece.text);
    } catch (err) {
      // NDJSON whose first line is cut or broken looks like the start of a document: when a later
      // line of the failed piece is a whole JSON object by itself, its lines are read one by one
      const lines = err instanceof RangeError ? undefined : ndjsonLines(piece.text);
      if (lines !== undefined) {
        for (let k = 0; k < lines.length; k++)
          if (lines[k].trim() !== '')
            out.push(this.placed({ kind: 'text', text: lines[k], origin: { source, line: piece.line + k } }, pos));
        return;
      }
      const deep = err instanceof RangeError;
      out.push(
        this.placed(
          {
            kind: 'error',
            code: deep ? 'too_deep' : 'malformed_json',
            reason: deep
              ? `JSON nested too deeply (${DOCUMENT_MODE})`
              : `malformed JSON document: ${(err as Error).message} (${DOCUMENT_MODE})`,
            origin: { source, line: piece.line },
            text: piece.text.slice(0, 1024),
          },
          pos,
        ),
      );
      return;
    }
    if (Array.isArray(parsed.value)) {
      for (let i = 0; i < parsed.value.length; i++)
        out.push(
          this.placed(
            {
              kind: 'value',
              value: parsed.value[i],
              marked: parsed.marked,
              origin: { source, line: pieceCount === 1 ? i + 1 : piece.line, detail: `array element ${i + 1}` },
            },
            pos,
          ),
        );
    } else {
      out.push(
        this.placed(
          { kind: 'value', value: parsed.value, marked: parsed.marked, origin: { source, line: piece.line } },
          pos,
        ),
      );
    }
  }
}

/** Said in every rejection of whole-document input: why the input was not read line by line. */
export const DOCUMENT_MODE =
  'input read whole as JSON documents: it starts with "[", or with a "{" whose value does not end on its first line';
/** Said in rejections of a line's JSON in line mode (by the reader's users, who parse the lines). */
export const LINES_MODE = 'input read as NDJSON, one JSON event per line: its first line holds a whole JSON value';

/** The piece's lines when one after its first is a whole JSON object on its own (then it is NDJSON). */
function ndjsonLines(piece: string): string[] | undefined {
  const lines = piece.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  for (let k = 1; k < lines.length; k++) {
    const t = lines[k].trim();
    if (!t.startsWith('{') || !t.endsWith('}')) continue;
    try {
      JSON.parse(t);
      return lines;
    } catch {
      /* not a whole object */
    }
  }
  return undefined;
}

/**
 * Is this first line the start of whole-document input? "[" starts an array of events; "{" a
 * pretty-printed event when its object does not close on this line (one that closes is an NDJSON
 * line, whatever follows it).
 */
export function startsDocument(line: string): boolean {
  const t = line.trimStart();
  if (t.startsWith('[')) return true;
  if (!t.startsWith('{')) return false;
  return valueEnd(t, 0).end < 0 && isJsonPrefix(t);
}

/**
 * Could more lines complete this text into JSON? A first line like `{"timestamp": 1, "args": [` can;
 * `{not json` cannot (a broken NDJSON line: read line by line, each bad line its own rejection).
 * JSON.parse says where it stopped: at the end of the text means it only ran out of input.
 */
function isJsonPrefix(t: string): boolean {
  try {
    JSON.parse(t);
    return false;
  } catch (err) {
    const msg = (err as Error).message;
    if (msg.includes('end of JSON input')) return true;
    const at = /at position (\d+)/.exec(msg);
    return at === null || Number(at[1]) >= t.trimEnd().length;
  }
}

/**
 * Where the object or array opening at `from` closes (the index after it), or -1 when the text
 * ends first; `broken` when a raw newline stands inside a string (JSON strings cannot hold one:
 * the value is malformed and ends there). Strings and escapes are followed, nothing else checked.
 */
function valueEnd(text: string, from: number): { end: number; broken: boolean } {
  let depth = 0;
  let inString = false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      else if (c === 10) return { end: i, broken: true };
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if ((c === 125 || c === 93) && --depth === 0) return { end: i + 1, broken: false };
  }
  return { end: -1, broken: false };
}

/**
 * The top-level JSON values of whole-document input, each with the line it starts on: one event,
 * an array, or several values one after another (`jq .` output). Text that is not an object or
 * array runs to the end of its line (a piece that will not parse); a value with a raw newline in a
 * string ends there, and reading goes on at the next line.
 */
export function topLevelValues(text: string): Array<{ text: string; line: number }> {
  const out: Array<{ text: string; line: number }> = [];
  let line = 1;
  const countLines = (a: number, b: number) => {
    for (let k = a; k < b; k++) if (text.charCodeAt(k) === 10) line++;
  };
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    const start = i;
    const startLine = line;
    let end: number;
    if (c === 123 || c === 91) {
      const v = valueEnd(text, i);
      end = v.end < 0 ? text.length : v.end;
    } else {
      const nl = text.indexOf('\n', i);
      end = nl < 0 ? text.length : nl;
    }
    out.push({ text: text.slice(start, end), line: startLine });
    countLines(start, end);
    i = end;
  }
  return out;
}
