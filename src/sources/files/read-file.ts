// One opened file read through ingest from a position: its bytes (tail.ts) cut into records
// (read-records.ts), each record, with checkpoints, carrying an ack that settles its place in the
// file's watermark. The file is tracked while it is read and closed at the end.

import type fs from 'node:fs/promises';
import { readRecordBatches } from '../read-records.ts';
import type { Ingest } from '../types.ts';
import { sameContentStart, type FileIdentity } from './identity.ts';
import { tailFile } from './tail.ts';
import type { TrackedFile, TrackedFiles } from './tracked-files.ts';
import type { Position } from './watermark.ts';

/** What the parts of one file source share while it runs. */
export interface FileReadContext {
  files: TrackedFiles;
  ingest: Ingest;
  signal: AbortSignal;
  log(message: string): void;
  /** A file that cannot be read (the run is not a success). */
  error(file: string, err: Error): void;
  /** The configured paths and globs. */
  paths: string[];
  follow: boolean;
  startAt?: 'beginning' | 'end';
  pollIntervalMs: number;
  quietMs?: number;
  maxLineBytes?: number;
}

export interface ReadRequest {
  file: string;
  handle: fs.FileHandle;
  id: FileIdentity;
  start: Position;
  follow: boolean;
  /** Asked at the end: drop a line left unfinished by a truncation? */
  dropUnfinished(): boolean;
}

/** Read one opened file from `start` through ingest; its `tail` says how the read ended. */
export async function readOpened(ctx: FileReadContext, r: ReadRequest): Promise<TrackedFile> {
  const { file, handle, id, start } = r;
  const t = ctx.files.track(file, id, start, handle);
  try {
    const chunks = tailFile({ path: file, handle, dev: id.dev, ino: id.ino }, t.tail, {
      follow: r.follow,
      pollIntervalMs: ctx.pollIntervalMs,
      quietMs: ctx.quietMs,
      signal: ctx.signal,
      sameStart: () => sameContentStart(handle, t.id),
    });
    await ctx.ingest(
      readRecordBatches(chunks, file, {
        maxLineBytes: ctx.maxLineBytes,
        startOffset: start.offset,
        startLine: start.line,
        ackFor: ackFor(t, ctx.files.acks),
        keepUnfinishedLine: () => !r.dropUnfinished() || t.tail.end !== 'truncated',
      }),
      { signal: ctx.signal, listRejections: false },
    );
  } finally {
    t.reading = false;
    t.handle = undefined;
    await handle.close().catch(() => {});
  }
  ctx.files.finished(t);
  return t;
}

/** Each record read moves the file's last end; with acks it also gets its ticket in the watermark. */
function ackFor(t: TrackedFile, acks: boolean): (end: number, line: number) => (() => void) | undefined {
  if (!acks)
    return (end, line) => {
      t.lastEnd = end;
      t.lastLine = line;
      return undefined;
    };
  return (end, line) => {
    t.lastEnd = end;
    t.lastLine = line;
    const ticket = t.wm.issue(end, line);
    return () => t.wm.settle(ticket);
  };
}
