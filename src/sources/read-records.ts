// Bytes → records, with their origin (source name and line). NDJSON is the normal case; a
// stream whose first line is "[" or "{" alone (or starts with "[") is a pretty-printed JSON event
// or a JSON array of events, read whole. Lines over the size limit are skipped without being
// buffered, invalid UTF-8 is reported, and nothing here throws on bad input.

import type { Readable } from 'node:stream';
import type { Origin } from '../model/records.ts';
import { parseLossless } from '../util/lossless-json.ts';

export type InputRecord = RecordPosition & (
  | { kind: 'text'; text: string; origin: Origin }
  | { kind: 'value'; value: unknown; marked: boolean; origin: Origin }
  | { kind: 'error'; code: 'too_large' | 'invalid_utf8' | 'malformed_json' | 'too_deep' | InputErrorCodeOfPushSources; reason: string; origin: Origin; text?: string });

/**
 * Where a record ends in its file, and how to say it is settled (file sources with checkpoints):
 * `end` is the byte offset just after the record's newline (after the document for whole-document
 * input); `ack` is called once when the record is settled (delivered or dead-lettered everywhere).
 */
export interface RecordPosition { end?: number; ack?(): void }

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

export async function* readRecords(stream: Readable | AsyncIterable<Buffer | string>, source: string, opts: ReadOptions = {}): AsyncGenerator<InputRecord> {
  const maxLine = opts.maxLineBytes ?? 4 * 1024 * 1024;
  const maxDoc = opts.maxDocumentBytes ?? 256 * 1024 * 1024;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = false;      // inside an over-long line: drop bytes until its newline
  let lineNo = 0;
  // an object, so TypeScript does not narrow it across the generator's yields
  const st: { mode: 'unknown' | 'lines' | 'document' } = { mode: 'unknown' };
  const doc: Buffer[] = [];
  let docBytes = 0;
  let docTooLarge = false;
  let pos = opts.startOffset ?? 0;   // file offset of the first byte of the chunk being split
  if (opts.startLine !== undefined) lineNo = opts.startLine;
  const ackFor = opts.ackFor;
  /** The record's end offset (and its ack, with checkpoints). */
  const placed = <T extends InputRecord>(r: T, end: number): T => {
    r.end = end;
    if (ackFor !== undefined) {
      const ack = ackFor(end, r.origin.line ?? 0);
      if (ack !== undefined) r.ack = ack;
    }
    return r;
  };

  const emitLine = function* (buf: Buffer, end: number): Generator<InputRecord> {
    lineNo++;
    const origin = { source, line: lineNo };
    let text: string;
    try {
      text = utf8.decode(buf);
    } catch {
      yield placed({ kind: 'error', code: 'invalid_utf8', reason: 'line is not valid UTF-8', origin }, end);
      return;
    }
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return;
    if (st.mode === 'unknown') {
      const t = text.trim();
      st.mode = t === '{' || t.startsWith('[') ? 'document' : 'lines';
    }
    if (st.mode === 'document') {
      addDoc(Buffer.from(text + '\n'));
      return;
    }
    yield placed({ kind: 'text', text, origin }, end);
  };

  function inDocumentMode(): boolean { return st.mode === 'document'; }

  function addDoc(b: Buffer): void {
    if (docTooLarge) return;
    docBytes += b.length;
    if (docBytes > maxDoc) { docTooLarge = true; doc.length = 0; return; }
    doc.push(b);
  }

  for await (const chunk of stream) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (st.mode === 'document') { addDoc(buf); pos += buf.length; continue; }
    while (buf.length > 0) {
      const nl = buf.indexOf(NEWLINE);
      const part = nl < 0 ? buf : buf.subarray(0, nl);
      if (!skipping) {
        if (pendingBytes + part.length > maxLine) {
          skipping = true;
          pending = [];
          pendingBytes = 0;
        } else {
          pending.push(part);
          pendingBytes += part.length;
        }
      }
      if (nl < 0) { pos += buf.length; break; }
      if (skipping) {
        lineNo++;
        yield placed({ kind: 'error', code: 'too_large', reason: `line longer than ${maxLine} bytes`, origin: { source, line: lineNo } }, pos + nl + 1);
        skipping = false;
      } else {
        const line = pending.length === 1 ? pending[0] : Buffer.concat(pending);
        pending = [];
        pendingBytes = 0;
        yield* emitLine(line, pos + nl + 1);
        if (inDocumentMode()) { addDoc(buf.subarray(nl + 1)); pos += buf.length; buf = Buffer.alloc(0); break; }
      }
      buf = buf.subarray(nl + 1);
      pos += nl + 1;
    }
  }
  if (skipping) {
    lineNo++;
    yield placed({ kind: 'error', code: 'too_large', reason: `line longer than ${maxLine} bytes`, origin: { source, line: lineNo } }, pos);
  } else if (pendingBytes > 0 && st.mode !== 'document') {
    if (opts.keepUnfinishedLine?.() !== false) yield* emitLine(pending.length === 1 ? pending[0] : Buffer.concat(pending), pos);
  } else if (pendingBytes > 0) {
    addDoc(Buffer.concat(pending));
  }
  if (st.mode === 'document') yield* documentRecords();

  // every record of a whole document ends where the document ends: settled together
  function* documentRecords(): Generator<InputRecord> {
    const origin = { source, line: 1 };
    if (docTooLarge) { yield placed({ kind: 'error', code: 'too_large', reason: `JSON document larger than ${maxDoc} bytes`, origin }, pos); return; }
    let text: string;
    try { text = utf8.decode(Buffer.concat(doc)); } catch { yield placed({ kind: 'error', code: 'invalid_utf8', reason: 'input is not valid UTF-8', origin }, pos); return; }
    let parsed;
    try {
      parsed = parseLossless(text);
    } catch (err) {
      const deep = err instanceof RangeError;
      yield placed({ kind: 'error', code: deep ? 'too_deep' : 'malformed_json', reason: deep ? 'JSON nested too deeply' : `malformed JSON document: ${(err as Error).message}`, origin, text: text.slice(0, 1024) }, pos);
      return;
    }
    if (Array.isArray(parsed.value)) {
      for (let i = 0; i < parsed.value.length; i++) yield placed({ kind: 'value', value: parsed.value[i], marked: parsed.marked, origin: { source, line: i + 1, detail: `array element ${i + 1}` } }, pos);
    } else {
      yield placed({ kind: 'value', value: parsed.value, marked: parsed.marked, origin }, pos);
    }
  }
}
