// Appends frames to the active segment and rolls over to a new one past `segmentBytes`. Writes are
// synchronous (a page-cache copy: a record written survives kill -9); fsync follows the policy:
// `always` = group commit (every push waits for an fdatasync that covers it, concurrent pushes share
// one), `interval` = a timer, `never` = only when a segment is closed.

import fs from 'node:fs';
import { openPrivateFileSync } from '../../util/private-file.ts';
import { segmentPath } from './segment-files.ts';

export type FsyncPolicy = 'always' | 'interval' | 'never';

/** One segment file as the buffer tracks it. `endId` is exclusive; `bytes` = bytes of whole frames. */
export interface Segment {
  readonly firstId: number;
  endId: number;
  bytes: number;
  readonly path: string;
}

export interface SegmentWriterOptions {
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  segmentBytes: number;
  onSyncError(err: Error): void;
}

export interface Appended { id: number; segment: Segment; end: number }

export interface SegmentWriter {
  /** Write one frame (synchronously); returns its id and where it ends. */
  append(frame: Buffer): Appended;
  /** Close the active segment and open an empty one (so the old one can be deleted once acked). */
  roll(): void;
  /** Resolves once everything appended before the call is on stable storage. */
  sync(): Promise<void>;
  readonly active: Segment;
  /** fsync (unless `never`) and close. */
  close(): Promise<void>;
}

/** Opens a new active segment at `nextId` and appends it to `segments` (the buffer's list). */
export function createSegmentWriter(dir: string, segments: Segment[], nextId: number, o: SegmentWriterOptions): SegmentWriter {
  let active: Segment = { firstId: nextId, endId: nextId, bytes: 0, path: segmentPath(dir, nextId) };
  let fd = openPrivateFileSync(active.path, 'create');   // 0600, exclusive, no symlink
  segments.push(active);
  let dirty = false;
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let closed = false;

  function runSync(): Promise<void> {
    const target = fd;
    dirty = false;
    const p = new Promise<void>((resolve, reject) => {
      fs.fdatasync(target, (err) => (err ? reject(err) : resolve()));
    });
    running = p.finally(() => { running = undefined; });
    running.catch(() => { /* reported to the waiters */ });
    return running;
  }

  function sync(): Promise<void> {
    if (running === undefined) return dirty ? runSync() : Promise.resolve();
    queued ??= running.catch(() => {}).then(() => {
      queued = undefined;
      return dirty ? runSync() : undefined;
    });
    return queued;
  }

  const timer = o.fsync === 'interval'
    ? setInterval(() => {
      if (dirty && running === undefined) runSync().catch((err: Error) => o.onSyncError(err));
    }, o.fsyncIntervalMs)
    : undefined;
  timer?.unref();

  /** Close `old` once no fdatasync uses it. */
  function retire(oldFd: number): void {
    if (o.fsync !== 'never') {
      try { fs.fsyncSync(oldFd); } catch (err) { o.onSyncError(err as Error); }
    }
    const pending = queued ?? running;
    if (pending === undefined) fs.closeSync(oldFd);
    else void pending.catch(() => {}).then(() => fs.closeSync(oldFd));
  }

  function roll(): void {
    if (active.bytes === 0) return;
    const oldFd = fd;
    const next: Segment = { firstId: active.endId, endId: active.endId, bytes: 0, path: segmentPath(dir, active.endId) };
    fd = openPrivateFileSync(next.path, 'create');
    segments.push(next);
    active = next;
    dirty = false;   // the old segment is synced by retire; the new one is empty
    retire(oldFd);
  }

  return {
    append(frame) {
      if (closed) throw new Error('disk buffer is closed');
      if (active.bytes > 0 && active.bytes + frame.length > o.segmentBytes) roll();
      let off = 0;
      while (off < frame.length) off += fs.writeSync(fd, frame, off, frame.length - off, active.bytes + off);
      active.bytes += frame.length;
      const id = active.endId++;
      dirty = true;
      return { id, segment: active, end: active.bytes };
    },
    roll,
    sync,
    get active() { return active; },
    async close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      await (queued ?? running)?.catch(() => {});
      if (o.fsync !== 'never' && dirty) {
        try { fs.fsyncSync(fd); } catch (err) { o.onSyncError(err as Error); }
      }
      fs.closeSync(fd);
    },
  };
}
