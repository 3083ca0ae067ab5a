// Dead-letter outputs: one NDJSON line per item that will never be delivered,
//   {"time","exporter","reason","origin":{source,line,detail},"record":…,"input":…}
// `record` is made JSON-safe (bigint → decimal string); `input` (the original input text) is
// written when known. Plug one into a delivery with `deadLetterHook(deadLetter, exporter.name)`.
// The file is private (0600, no symlinks: src/util/private-file.ts), capped and rotated.

import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { looseDirWarning, openPrivateFileSync } from '../util/private-file.ts';
import { redact } from '../util/secrets.ts';
import type { Origin } from '../model/records.ts';
import { errorMessage } from './ledger.ts';
import type { DeliveryItem } from './types.ts';
import { silentLogger, toLogger } from '../util/log.ts';

export interface DeadLetterEntry {
  time?: Date; // default: now
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
    reason: redact(e.reason), // a destination's error may echo a credential
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

/** Size cap and rotation of a dead-letter file (config `dead_letter.max_bytes`, `max_files`). */
export interface DeadLetterOptions {
  /** Largest size of the file (and of each rotated one); default 100 MiB. */
  maxBytes?: number;
  /** Rotated files kept (`path.1` newest … `path.N` oldest); 0 = none: a full file is dropped. Default 5. */
  maxFiles?: number;
  /** Where rotations and drops are reported (one line each). */
  log?(line: string): void;
}

export const DEAD_LETTER_DEFAULTS = { maxBytes: 100 * 1024 * 1024, maxFiles: 5 } as const;

/** What rotation did: the dead letter never loses lines silently. */
export interface DeadLetterRotation {
  rotations: number;
  /** Files deleted because the rotation was full (the oldest), and what they held. */
  droppedFiles: number;
  droppedBytes: number;
  droppedLines: number;
  /** Entries larger than max_bytes: written without their record and input (a note says how big they were). */
  shortened: number;
}

export interface FileDeadLetter extends DeadLetter {
  readonly path: string;
  rotation(): DeadLetterRotation;
}

/** Buffered lines are written once this many bytes are waiting (or on the next turn of the event loop). */
const FLUSH_BYTES = 64 * 1024;

function countLines(file: string): number {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch {
    return 0;
  }
  const buf = Buffer.allocUnsafe(1 << 20);
  let lines = 0;
  try {
    for (let n: number; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) {
      for (let i = buf.indexOf(10); i >= 0 && i < n; i = buf.indexOf(10, i + 1)) lines++;
    }
  } finally {
    closeSync(fd);
  }
  return lines;
}

/**
 * Append to `path` (created 0600 if missing, never through a symlink; its folder must exist). The
 * file is opened at once so a bad path fails here, at startup, not at the first dead letter. Past
 * `maxBytes` the file is renamed to `path.1` (`path.1` → `path.2` …) and a new one started; the
 * oldest beyond `maxFiles` is deleted, counted and logged. Lines are written synchronously in
 * batches (one per event-loop turn), so rotation never splits a line.
 */
export function createDeadLetterWriter(path: string, opts: DeadLetterOptions = {}): FileDeadLetter {
  const maxBytes = opts.maxBytes ?? DEAD_LETTER_DEFAULTS.maxBytes;
  const maxFiles = opts.maxFiles ?? DEAD_LETTER_DEFAULTS.maxFiles;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1024)
    throw new Error(`dead letter ${path}: max_bytes must be an integer of at least 1024 (got ${maxBytes})`);
  if (!Number.isSafeInteger(maxFiles) || maxFiles < 0)
    throw new Error(`dead letter ${path}: max_files must be an integer ≥ 0 (got ${maxFiles})`);
  const log = opts.log === undefined ? silentLogger : toLogger(opts.log);
  let fd: number;
  try {
    fd = openPrivateFileSync(path, 'append');
  } catch (err) {
    throw new Error(`dead_letter.path: cannot open ${path}: ${(err as Error).message}`);
  }
  const loose = looseDirWarning(dirname(resolve(path)));
  if (loose !== undefined) log.warn(`warning: dead letter: ${loose}`);
  // a device (/dev/null) is written, never rotated
  const regular = fstatSync(fd).isFile();
  let size = fstatSync(fd).size;
  // lines per file as this process wrote them: [current, path.1, …]; undefined = had lines before us (counted on drop)
  const lineCounts: Array<number | undefined> = [size === 0 ? 0 : undefined];
  const stats: DeadLetterRotation = { rotations: 0, droppedFiles: 0, droppedBytes: 0, droppedLines: 0, shortened: 0 };
  let pending: string[] = [];
  let pendingBytes = 0;
  let scheduled = false;
  let failure: Error | undefined;
  let written = 0;
  let closed: Promise<void> | undefined;

  function drop(file: string, known: number | undefined): void {
    let bytes: number;
    try {
      bytes = lstatSync(file).size;
    } catch {
      return;
    } // not there
    const lines = known ?? countLines(file);
    unlinkSync(file);
    stats.droppedFiles++;
    stats.droppedBytes += bytes;
    stats.droppedLines += lines;
    log.warn(
      `dead letter ${path}: rotation full (max_files ${maxFiles}, max_bytes ${maxBytes}): dropped ${file}, ${bytes} bytes, ${lines} line(s) (${stats.droppedLines} line(s), ${stats.droppedBytes} bytes dropped so far)`,
    );
  }

  function rotate(): void {
    closeSync(fd);
    if (maxFiles === 0) {
      drop(path, lineCounts[0]);
    } else {
      drop(`${path}.${maxFiles}`, lineCounts[maxFiles]);
      for (let i = maxFiles - 1; i >= 1; i--) {
        try {
          renameSync(`${path}.${i}`, `${path}.${i + 1}`);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
      renameSync(path, `${path}.1`);
      lineCounts.splice(maxFiles, 1);
    }
    lineCounts.unshift(0);
    if (maxFiles === 0) lineCounts.length = 1;
    stats.rotations++;
    fd = openPrivateFileSync(path, 'append');
    size = fstatSync(fd).size;
  }

  function writeOut(text: string): void {
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    size += buf.length;
  }

  function flush(): void {
    scheduled = false;
    if (pending.length === 0 || failure !== undefined) return;
    const lines = pending;
    pending = [];
    pendingBytes = 0;
    try {
      let chunk = '';
      let chunkBytes = 0;
      for (const line of lines) {
        const n = Buffer.byteLength(line);
        if (regular && size + chunkBytes + n > maxBytes && size + chunkBytes > 0) {
          if (chunk !== '') writeOut(chunk);
          chunk = '';
          chunkBytes = 0;
          rotate();
        }
        chunk += line;
        chunkBytes += n;
        if (lineCounts[0] !== undefined) lineCounts[0]++;
      }
      if (chunk !== '') writeOut(chunk);
    } catch (err) {
      failure ??= err as Error;
    }
  }

  return {
    path,
    get written() {
      return written;
    },
    rotation: () => ({ ...stats }),
    write(entry) {
      if (failure !== undefined) throw new Error(`dead letter ${path}: ${failure.message}`);
      if (closed !== undefined) throw new Error(`dead letter ${path} is closed`);
      let line = formatDeadLetterLine(entry);
      if (Buffer.byteLength(line) > maxBytes) {
        // one line alone above the cap: keep where it came from and why, not the payload
        stats.shortened++;
        line = formatDeadLetterLine({
          ...entry,
          record: undefined,
          input: undefined,
          reason: `${entry.reason} (record and input left out: the line was ${Buffer.byteLength(line)} bytes, over the dead letter's max_bytes ${maxBytes})`,
        });
      }
      pending.push(line);
      pendingBytes += line.length;
      written++;
      if (pendingBytes >= FLUSH_BYTES) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        flush();
        if (stats.rotations > 0 || stats.shortened > 0) {
          log.log(
            stats.droppedLines > 0 ? 'warn' : 'info',
            `dead letter ${path}: rotated ${stats.rotations} time(s) at max_bytes ${maxBytes}; dropped ${stats.droppedLines} line(s), ${stats.droppedBytes} bytes with ${stats.droppedFiles} oldest file(s) (max_files ${maxFiles})${stats.shortened > 0 ? `; ${stats.shortened} oversized line(s) written without record and input` : ''}`,
          );
        }
        try {
          fsyncSync(fd);
        } catch (err) {
          failure ??= err as Error;
        }
        try {
          closeSync(fd);
        } catch (err) {
          failure ??= err as Error;
        }
        if (failure !== undefined) reject(new Error(`dead letter ${path}: ${failure.message}`));
        else resolve();
      });
      return closed;
    },
  };
}

export function createMemoryDeadLetter(): MemoryDeadLetter {
  const lines: string[] = [];
  return {
    lines,
    get written() {
      return lines.length;
    },
    write(entry) {
      lines.push(formatDeadLetterLine(entry));
    },
    entries() {
      return lines.map((l) => JSON.parse(l) as DeadLetterLine);
    },
    close() {
      return Promise.resolve();
    },
  };
}
