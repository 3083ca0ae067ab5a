// Appends frames to the active segment and rolls over to a new one past `segmentBytes`. Writes are
// synchronous (a page-cache copy: a record written survives kill -9); fsync follows the policy:
// `always` = group commit (every push waits for an fdatasync that covers it, concurrent pushes share
// one), `interval` = a timer, `never` = only when a segment is closed.

import fs from 'node:fs';
import { openPrivateFileSync } from '../../util/private-file.ts';
import { bufferSegmentPath, type BufferSegment } from './segment-files.ts';

export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface SegmentWriterOptions {
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  segmentBytes: number;
  onSyncError(err: Error): void;
}

export interface Appended {
  id: number;
  segment: BufferSegment;
  end: number;
}

/** One fdatasync at a time; a sync asked for while one runs is queued once, shared by every caller. */
class GroupSync {
  dirty = false;
  running: Promise<void> | undefined;
  queued: Promise<void> | undefined;
  fd: number;

  constructor(fd: number) {
    this.fd = fd;
  }

  run(): Promise<void> {
    const target = this.fd;
    this.dirty = false;
    const p = new Promise<void>((resolve, reject) => {
      fs.fdatasync(target, (err) => (err ? reject(err) : resolve()));
    });
    const running = p.finally(() => {
      this.running = undefined;
    });
    this.running = running;
    running.catch(() => {
      /* reported to the waiters */
    });
    return running;
  }

  /** Resolves once everything written before the call is on stable storage. */
  sync(): Promise<void> {
    if (this.running === undefined) return this.dirty ? this.run() : Promise.resolve();
    this.queued ??= this.running
      .catch(() => {})
      .then(() => {
        this.queued = undefined;
        return this.dirty ? this.run() : undefined;
      });
    return this.queued;
  }

  /** The sync in progress or queued, if any. */
  pending(): Promise<void> | undefined {
    return this.queued ?? this.running;
  }
}

export class SegmentWriter {
  private activeSegment: BufferSegment;
  private readonly syncs: GroupSync;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly dir: string;
  private readonly segments: BufferSegment[];
  private readonly o: SegmentWriterOptions;

  /** Opens a new active segment at `nextId` and appends it to `segments` (the buffer's list). */
  constructor(dir: string, segments: BufferSegment[], nextId: number, o: SegmentWriterOptions) {
    this.dir = dir;
    this.segments = segments;
    this.o = o;
    this.activeSegment = { firstId: nextId, endId: nextId, bytes: 0, path: bufferSegmentPath(dir, nextId) };
    this.syncs = new GroupSync(openPrivateFileSync(this.activeSegment.path, 'create')); // 0600, exclusive, no symlink
    segments.push(this.activeSegment);
    this.timer =
      o.fsync === 'interval'
        ? setInterval(() => {
            if (this.syncs.dirty && this.syncs.running === undefined)
              this.syncs.run().catch((err: Error) => o.onSyncError(err));
          }, o.fsyncIntervalMs)
        : undefined;
    this.timer?.unref();
  }

  get active(): BufferSegment {
    return this.activeSegment;
  }

  /** Write one frame (synchronously); returns its id and where it ends. */
  append(frame: Buffer): Appended {
    if (this.closed) throw new Error('disk buffer is closed');
    if (this.activeSegment.bytes > 0 && this.activeSegment.bytes + frame.length > this.o.segmentBytes) this.roll();
    const active = this.activeSegment;
    let off = 0;
    while (off < frame.length) off += fs.writeSync(this.syncs.fd, frame, off, frame.length - off, active.bytes + off);
    active.bytes += frame.length;
    const id = active.endId++;
    this.syncs.dirty = true;
    return { id, segment: active, end: active.bytes };
  }

  /** Close the active segment and open an empty one (so the old one can be deleted once acked). */
  roll(): void {
    const active = this.activeSegment;
    if (active.bytes === 0) return;
    const oldFd = this.syncs.fd;
    const next: BufferSegment = {
      firstId: active.endId,
      endId: active.endId,
      bytes: 0,
      path: bufferSegmentPath(this.dir, active.endId),
    };
    this.syncs.fd = openPrivateFileSync(next.path, 'create');
    this.segments.push(next);
    this.activeSegment = next;
    this.syncs.dirty = false; // the old segment is synced by retire; the new one is empty
    this.retire(oldFd);
  }

  /** Close `oldFd` once no fdatasync uses it. */
  private retire(oldFd: number): void {
    if (this.o.fsync !== 'never') {
      try {
        fs.fsyncSync(oldFd);
      } catch (err) {
        this.o.onSyncError(err as Error);
      }
    }
    const pending = this.syncs.pending();
    if (pending === undefined) fs.closeSync(oldFd);
    else void pending.catch(() => {}).then(() => fs.closeSync(oldFd));
  }

  /** Resolves once everything appended before the call is on stable storage. */
  sync(): Promise<void> {
    return this.syncs.sync();
  }

  /** fsync (unless `never`) and close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.syncs.pending()?.catch(() => {});
    if (this.o.fsync !== 'never' && this.syncs.dirty) {
      try {
        fs.fsyncSync(this.syncs.fd);
      } catch (err) {
        this.o.onSyncError(err as Error);
      }
    }
    fs.closeSync(this.syncs.fd);
  }
}
