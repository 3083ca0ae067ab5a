// Dead-letter outputs: one NDJSON line per item that will never be delivered,
//   {"time","exporter","reason","origin":{source,line,detail},"record":…,"input":…}
// `record` is made JSON-safe (bigint → decimal string); `input` (the original input text) is
// written when known. Plug one into a delivery with `deadLetterHook(deadLetter, exporter.name)`.

import { createWriteStream, openSync } from 'node:fs';
import type { Origin } from '../model/records.ts';
import { errorMessage } from './ledger.ts';
import type { DeliveryItem } from './types.ts';

export interface DeadLetterEntry {
  time?: Date;              // default: now
  exporter: string;
  reason: string;
  origin: Origin;
  record?: unknown;
  input?: string;
}

export interface DeadLetter {
  /** Queue one line. Throws if the output already failed (the delivery counts it as a hook error). */
  write(entry: DeadLetterEntry): void;
  /** Flush and close; rejects with the first write error, if any. Idempotent. */
  close(): Promise<void>;
  readonly written: number;
}

export interface MemoryDeadLetter extends DeadLetter {
  readonly lines: string[];
  /** The lines parsed back, for assertions. */
  entries(): DeadLetterLine[];
}

export interface DeadLetterLine {
  time: string;
  exporter: string;
  reason: string;
  origin: Origin;
  record?: unknown;
  input?: string;
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** One NDJSON line, newline included. A record that cannot be serialized is replaced by a note. */
export function formatDeadLetterLine(e: DeadLetterEntry): string {
  const line: DeadLetterLine = {
    time: (e.time ?? new Date()).toISOString(),
    exporter: e.exporter,
    reason: e.reason,
    origin: { source: e.origin.source, line: e.origin.line, detail: e.origin.detail },
    record: e.record,
    input: e.input,
  };
  try {
    return JSON.stringify(line, jsonSafe) + '\n';
  } catch (err) {
    line.record = `<record not serializable: ${errorMessage(err)}>`;
    return JSON.stringify(line, jsonSafe) + '\n';
  }
}

/** The `onDeadLetter` hook of a delivery, writing to `dl`. */
export function deadLetterHook<R>(dl: DeadLetter, exporter: string): (item: DeliveryItem<R>, reason: string) => void {
  return (item, reason) => {
    dl.write({ exporter, reason, origin: item.origin, record: item.record, input: item.input });
  };
}

/**
 * Append to `path` (created if missing; its directory must exist). The file is opened at once so a
 * bad path fails here, at startup, not at the first dead letter.
 */
export function createDeadLetterWriter(path: string): DeadLetter {
  const fd = openSync(path, 'a');
  const out = createWriteStream(path, { fd, flush: true });
  let failure: Error | undefined;
  let written = 0;
  let closed: Promise<void> | undefined;
  out.on('error', (err) => { failure ??= err; });

  return {
    get written() { return written; },
    write(entry) {
      if (failure !== undefined) throw new Error(`dead letter ${path}: ${failure.message}`);
      if (closed !== undefined) throw new Error(`dead letter ${path} is closed`);
      out.write(formatDeadLetterLine(entry));
      written++;
    },
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        out.end((err?: Error | null) => {   // called on finish, or first with the error
          if (err) failure ??= err;
          if (failure !== undefined) reject(new Error(`dead letter ${path}: ${failure.message}`));
          else resolve();
        });
      });
      return closed;
    },
  };
}

export function createMemoryDeadLetter(): MemoryDeadLetter {
  const lines: string[] = [];
  return {
    lines,
    get written() { return lines.length; },
    write(entry) { lines.push(formatDeadLetterLine(entry)); },
    entries() { return lines.map((l) => JSON.parse(l) as DeadLetterLine); },
    close() { return Promise.resolve(); },
  };
}
