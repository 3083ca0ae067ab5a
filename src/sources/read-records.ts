// Bytes → records, with their origin (source name and line). NDJSON is the normal case; a
// stream whose first line is "[" or "{" alone (or starts with "[") is a pretty-printed JSON event
// or a JSON array of events, read whole. Lines over the size limit are skipped without being
// buffered, invalid UTF-8 is reported, and nothing here throws on bad input.

import type { Readable } from 'node:stream';
import type { Origin } from '../model/records.ts';
import { parseLossless } from '../util/lossless-json.ts';

export type InputRecord =
  | { kind: 'text'; text: string; origin: Origin }
  | { kind: 'value'; value: unknown; marked: boolean; origin: Origin }
  | { kind: 'error'; code: 'too_large' | 'invalid_utf8' | 'malformed_json' | 'too_deep'; reason: string; origin: Origin; text?: string };

export interface ReadOptions {
  /** Longest line accepted, in bytes (default 4 MiB). */
  maxLineBytes?: number;
  /** Largest whole-document input (pretty JSON / array), in bytes (default 256 MiB). */
  maxDocumentBytes?: number;
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

  const emitLine = function* (buf: Buffer): Generator<InputRecord> {
    lineNo++;
    const origin = { source, line: lineNo };
    let text: string;
    try {
      text = utf8.decode(buf);
    } catch {
      yield { kind: 'error', code: 'invalid_utf8', reason: 'line is not valid UTF-8', origin };
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
    yield { kind: 'text', text, origin };
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
    if (st.mode === 'document') { addDoc(buf); continue; }
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
      if (nl < 0) break;
      if (skipping) {
        lineNo++;
        yield { kind: 'error', code: 'too_large', reason: `line longer than ${maxLine} bytes`, origin: { source, line: lineNo } };
        skipping = false;
      } else {
        const line = pending.length === 1 ? pending[0] : Buffer.concat(pending);
        pending = [];
        pendingBytes = 0;
        yield* emitLine(line);
        if (inDocumentMode()) { addDoc(buf.subarray(nl + 1)); buf = Buffer.alloc(0); break; }
      }
      buf = buf.subarray(nl + 1);
    }
  }
  if (skipping) {
    lineNo++;
    yield { kind: 'error', code: 'too_large', reason: `line longer than ${maxLine} bytes`, origin: { source, line: lineNo } };
  } else if (pendingBytes > 0 && st.mode !== 'document') {
    yield* emitLine(pending.length === 1 ? pending[0] : Buffer.concat(pending));
  } else if (pendingBytes > 0) {
    addDoc(Buffer.concat(pending));
  }
  if (st.mode === 'document') yield* documentRecords();

  function* documentRecords(): Generator<InputRecord> {
    const origin = { source, line: 1 };
    if (docTooLarge) { yield { kind: 'error', code: 'too_large', reason: `JSON document larger than ${maxDoc} bytes`, origin }; return; }
    let text: string;
    try { text = utf8.decode(Buffer.concat(doc)); } catch { yield { kind: 'error', code: 'invalid_utf8', reason: 'input is not valid UTF-8', origin }; return; }
    let parsed;
    try {
      parsed = parseLossless(text);
    } catch (err) {
      const deep = err instanceof RangeError;
      yield { kind: 'error', code: deep ? 'too_deep' : 'malformed_json', reason: deep ? 'JSON nested too deeply' : `malformed JSON document: ${(err as Error).message}`, origin, text: text.slice(0, 1024) };
      return;
    }
    if (Array.isArray(parsed.value)) {
      for (let i = 0; i < parsed.value.length; i++) yield { kind: 'value', value: parsed.value[i], marked: parsed.marked, origin: { source, line: i + 1, detail: `array element ${i + 1}` } };
    } else {
      yield { kind: 'value', value: parsed.value, marked: parsed.marked, origin };
    }
  }
}
