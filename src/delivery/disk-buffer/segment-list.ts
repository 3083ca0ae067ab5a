// The buffer's segments, oldest first (the last one is the writer's active segment), and the bytes
// they take. Removing the oldest deletes its file.

import fs from 'node:fs';
import type { BufferSegment } from './segment-files.ts';

export class SegmentList {
  /** Oldest first; the writer appends new ones. */
  readonly all: BufferSegment[];
  /** Bytes of the segment files. */
  totalBytes = 0;
  /** Called with a segment just taken off the list (the reader lets go of it). */
  onRemoved: (s: BufferSegment) => void = () => {};
  private readonly log: (message: string) => void;
  private readonly dir: string;

  constructor(dir: string, segments: BufferSegment[], log: (message: string) => void) {
    this.dir = dir;
    this.all = segments;
    this.log = log;
    for (const s of segments) this.totalBytes += s.bytes;
  }

  get length(): number {
    return this.all.length;
  }
  get oldest(): BufferSegment {
    return this.all[0];
  }

  /** The segment after `s`, if any. */
  after(s: BufferSegment): BufferSegment | undefined {
    return this.all[this.all.indexOf(s) + 1];
  }

  removeOldest(): BufferSegment {
    const s = this.all[0];
    this.all.shift();
    this.totalBytes -= s.bytes;
    this.onRemoved(s);
    try {
      fs.rmSync(s.path, { force: true });
    } catch (err) {
      this.log(`disk buffer ${this.dir}: cannot delete ${s.path}: ${(err as Error).message}`);
    }
    return s;
  }

  /** Delete the segments wholly below `position`; the active one stays. */
  deleteAcked(position: number): void {
    while (this.all.length > 1 && this.all[0].endId <= position) this.removeOldest();
  }

  /** At close, the active segment may go too (it is not written to any more). */
  deleteAckedAtClose(position: number): void {
    while (this.all.length > 0 && this.all[0].endId <= position) {
      const s = this.all[0];
      this.all.shift();
      this.totalBytes -= s.bytes;
      fs.rmSync(s.path, { force: true });
    }
  }
}
