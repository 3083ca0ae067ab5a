// The files of one file source: those being read (or read, with records still settling) and the
// committed positions of the files known by identity (from the checkpoint, or finished in this
// run). What the checkpoint saves, what /metrics reports, and whom a new reader asks whether a
// file is being read already. In memory only: the checkpoint (checkpointer.ts) writes it out.

import type fs from 'node:fs/promises';
import type { FileCheckpointEntry } from './checkpoint-store.ts';
import { FINGERPRINT_BYTES, fingerprintOf, identityKey, type FileIdentity } from './identity.ts';
import type { TailState } from './tail.ts';
import { Watermark, type Position } from './watermark.ts';

/** A file being read (or read, and waiting for its last records to settle). */
export interface TrackedFile {
  path: string;
  id: FileIdentity;
  wm: Watermark;
  /** Open while its records are being read (the fingerprint is completed from it while short). */
  handle: fs.FileHandle | undefined;
  reading: boolean;
  /** End of the last record read (a line left unfinished by a truncation starts there). */
  lastEnd: number;
  lastLine: number;
  /** The read position (and how the read ended). */
  tail: TailState;
}

export interface FileProgress {
  path: string;
  /** The checkpoint's offset of the file (without checkpoints: the end of the records read). */
  committedOffset: number;
  /** Its size now (fstat of the open file), or what was read of it once it is closed. */
  size: number;
}

export class TrackedFiles {
  private readonly tracked = new Set<TrackedFile>();
  /** Committed positions by identity: from the checkpoint, or of files finished in this run. */
  readonly known = new Map<string, FileCheckpointEntry>();
  /** Paths named by the checkpoint's entries and not yet opened (a rotated or replaced file is reported once). */
  readonly loadedPaths = new Set<string>();
  /** A checkpoint file was there at start (even unreadable): `start_at: end` no longer applies. */
  checkpointExisted = false;

  /** Records carry acks and positions advance as they settle (with checkpoints). */
  acks: boolean;

  constructor(acks: boolean) {
    this.acks = acks;
  }

  /** The entries of a loaded checkpoint become the known positions. */
  load(entries: FileCheckpointEntry[], existed: boolean): void {
    this.checkpointExisted = existed;
    for (const e of entries) {
      this.known.set(identityKey(e), e);
      this.loadedPaths.add(e.path);
    }
  }

  track(file: string, id: FileIdentity, start: Position, handle: fs.FileHandle): TrackedFile {
    const t: TrackedFile = {
      path: file,
      id: { dev: id.dev, ino: id.ino, fingerprint: id.fingerprint, fingerprintBytes: id.fingerprintBytes },
      wm: new Watermark(start),
      handle,
      reading: true,
      lastEnd: start.offset,
      lastLine: start.line,
      tail: { offset: start.offset },
    };
    this.tracked.add(t);
    return t;
  }

  /** A file read to its end: without acks nothing settles, its read position is what is known. */
  finished(t: TrackedFile): void {
    if (this.acks) return;
    this.tracked.delete(t);
    this.known.set(identityKey(t.id), { ...entryOf(t), offset: t.tail.offset, line: 0 });
  }

  /** Is this file being read, or read with records not yet settled (then its position is not final)? */
  busy(id: { dev: string; ino: string }): boolean {
    this.retireSettled();
    for (const t of this.tracked) if (t.id.dev === id.dev && t.id.ino === id.ino) return true;
    return false;
  }

  /** The entries the next checkpoint write would hold. */
  entries(): FileCheckpointEntry[] {
    this.retireSettled();
    const byKey = new Map<string, FileCheckpointEntry>();
    for (const [k, e] of this.known) byKey.set(k, e);
    for (const t of this.tracked) byKey.set(identityKey(t.id), entryOf(t)); // later (newer) reads of an identity win
    return [...byKey.values()];
  }

  /** Forget committed positions of files whose identity is neither among `present` nor being read. */
  forgetAllBut(present: Set<string>): void {
    for (const t of this.tracked) present.add(identityKey(t.id));
    for (const k of this.known.keys()) if (!present.has(k)) this.known.delete(k);
  }

  /** Fingerprints of open files shorter than FINGERPRINT_BYTES when opened, completed from what they hold now. */
  async refreshFingerprints(): Promise<void> {
    for (const t of this.tracked) {
      if (t.handle === undefined || t.id.fingerprintBytes >= FINGERPRINT_BYTES) continue;
      try {
        const fp = await fingerprintOf(t.handle);
        t.id = { ...t.id, fingerprint: fp.fingerprint, fingerprintBytes: fp.bytes };
      } catch {
        /* closed meanwhile: keep the previous one */
      }
    }
  }

  async progress(): Promise<FileProgress[]> {
    this.retireSettled();
    // one entry per path: after a rotation the new file (being read) wins over the old one settling
    const byPath = new Map<string, TrackedFile>();
    for (const t of this.tracked) {
      const prev = byPath.get(t.path);
      if (prev === undefined || (t.reading && !prev.reading)) byPath.set(t.path, t);
    }
    return Promise.all([...byPath.values()].map((t) => this.progressOf(t)));
  }

  private async progressOf(t: TrackedFile): Promise<FileProgress> {
    const committedOffset = this.acks ? t.wm.committed().offset : t.lastEnd;
    let size = t.tail.offset;
    const h = t.handle;
    if (h !== undefined) {
      try {
        size = Math.max(size, (await h.stat()).size);
      } catch {
        /* closed meanwhile: what was read */
      }
    }
    return { path: t.path, committedOffset, size };
  }

  /** Files read to their end whose records all settled: only their final position remains. */
  private retireSettled(): void {
    for (const t of this.tracked) {
      if (!t.reading && t.wm.unsettled() === 0) {
        this.tracked.delete(t);
        this.known.set(identityKey(t.id), entryOf(t));
      }
    }
  }
}

function entryOf(t: TrackedFile): FileCheckpointEntry {
  const c = t.wm.committed();
  return {
    path: t.path,
    dev: t.id.dev,
    ino: t.id.ino,
    fingerprint: t.id.fingerprint,
    fingerprint_bytes: t.id.fingerprintBytes,
    offset: c.offset,
    line: c.line,
  };
}
