// The file source: one or more paths or globs, read once or followed (tail -F), each file with its
// own offset. With a checkpoint file, every record carries an ack; the committed offset of a file
// is the end of its longest settled prefix (watermark.ts), saved every second and at close()
// (after the pipeline's final flush). On start each file resumes at its committed offset when it
// is still the same file (device + inode + fingerprint of its first bytes); a file rotated away
// while we were down is read to its end from its rotated name (app.json → app.json.1).

import fs from 'node:fs/promises';
import path from 'node:path';
import { readRecords } from '../read-records.ts';
import type { Ingest } from '../types.ts';
import { loadCheckpoint, saveCheckpoint, type CheckpointEntry } from './checkpoint-store.ts';
import { ensurePrivateDir } from '../../util/private-file.ts';
import { FINGERPRINT_BYTES, fingerprintOf, identify, identityKey, sameContentStart, type FileIdentity } from './identity.ts';
import { readSegment, sleep, type SegmentState } from './tail.ts';
import { Watermark, type Position } from './watermark.ts';

export interface FileSourceOptions {
  /** Literal paths or globs (`*`, `?`, `[...]`, `{a,b}`, `**`). */
  paths: string[];
  follow: boolean;
  /** Files found at start when there is no checkpoint: read whole (default) or only what is appended. */
  startAt?: 'beginning' | 'end';
  maxLineBytes?: number;
  /** The checkpoint file; absent = offsets are not persisted (and records carry no ack). */
  checkpointPath?: string;
  /** The checkpoint folder cannot be created: error (true) or run without checkpoints, with a warning. */
  checkpointRequired?: boolean;
  checkpointIntervalMs?: number;   // default 1000
  pollIntervalMs?: number;         // default 250
  /** With follow: how often the globs are expanded again for new files (default 1000). */
  scanIntervalMs?: number;
  /** With follow: how long a file that lost its name (rotated, deleted) must stay unchanged before it is let go (default 5000). */
  quietMs?: number;
}

export interface FileSourceDeps {
  ingest: Ingest;
  log(message: string): void;
  /** A file that cannot be read (the run is not a success). */
  error(file: string, err: Error): void;
  signal: AbortSignal;
}

export interface FileSource {
  /** Reads until the files end (no follow) or the signal aborts. */
  run(): Promise<void>;
  /** Writes the checkpoint now (after the deliveries flushed: the final commit) and stops the timer. */
  close(): Promise<void>;
  /** The entries the next checkpoint write would hold (tests, diagnostics). */
  snapshot(): CheckpointEntry[];
  /** The files followed now (read, or waiting for their records to settle): committed offset and size (/metrics). */
  progress(): Promise<FileProgress[]>;
}

export interface FileProgress {
  path: string;
  /** The checkpoint's offset of the file (without checkpoints: the end of the records read). */
  committedOffset: number;
  /** Its size now (fstat of the open file), or what was read of it once it is closed. */
  size: number;
}

const GLOB_CHARS = /[*?[\]{}]/;
export const isGlob = (p: string): boolean => GLOB_CHARS.test(p);

/** A file being read (or read, and waiting for its last records to settle). */
interface Tracked {
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
  segment: SegmentState;
}

export function createFileSource(options: FileSourceOptions, deps: FileSourceDeps): FileSource {
  let o = options;
  const { log, signal } = deps;
  const poll = o.pollIntervalMs ?? 250;
  const tracked = new Set<Tracked>();
  /** Committed positions by identity: from the checkpoint, or of files finished in this run. */
  const known = new Map<string, CheckpointEntry>();
  const loadedPaths = new Set<string>();
  let checkpointExisted = false;
  /** The checkpoint was read: until then nothing is written (it would replace offsets not yet loaded). */
  let loaded = false;
  let initialScan = true;
  const followers = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let saving: Promise<void> = Promise.resolve();
  let lastSaved = '';
  let lastSaveError = '';

  const entryOf = (t: Tracked): CheckpointEntry => {
    const c = t.wm.committed();
    return { path: t.path, dev: t.id.dev, ino: t.id.ino, fingerprint: t.id.fingerprint, fingerprint_bytes: t.id.fingerprintBytes, offset: c.offset, line: c.line };
  };

  /** Files read to their end whose records all settled: only their final position remains. */
  function retireSettled(): void {
    for (const t of tracked) if (!t.reading && t.wm.unsettled() === 0) { tracked.delete(t); known.set(identityKey(t.id), entryOf(t)); }
  }

  /** A file read to its end: without checkpoints nothing settles, its read position is what is known. */
  function finished(t: Tracked, state: SegmentState): void {
    if (o.checkpointPath !== undefined) return;
    tracked.delete(t);
    known.set(identityKey(t.id), { ...entryOf(t), offset: state.offset, line: 0 });
  }

  function snapshot(): CheckpointEntry[] {
    retireSettled();
    const byKey = new Map<string, CheckpointEntry>();
    for (const [k, e] of known) byKey.set(k, e);
    for (const t of tracked) byKey.set(identityKey(t.id), entryOf(t));   // later (newer) reads of an identity win
    return [...byKey.values()];
  }

  async function save(): Promise<void> {
    if (o.checkpointPath === undefined || !loaded) return;
    for (const t of tracked) {
      if (t.handle !== undefined && t.id.fingerprintBytes < FINGERPRINT_BYTES) {
        try {
          const fp = await fingerprintOf(t.handle);
          t.id = { ...t.id, fingerprint: fp.fingerprint, fingerprintBytes: fp.bytes };
        } catch { /* closed meanwhile: keep the previous one */ }
      }
    }
    const files = snapshot();
    const text = JSON.stringify(files);
    if (text === lastSaved) return;
    try {
      await saveCheckpoint(o.checkpointPath, { version: 1, paths: o.paths, written_at: new Date().toISOString(), files });
      lastSaved = text;
      if (lastSaveError !== '') log(`${o.checkpointPath}: checkpoint written again`);
      lastSaveError = '';
    } catch (err) {
      const msg = (err as Error).message;
      if (msg !== lastSaveError) log(`${o.checkpointPath}: cannot write the checkpoint: ${msg} (offsets are kept in memory; a restart may read records again)`);
      lastSaveError = msg;
    }
  }
  const saveSoon = (): Promise<void> => (saving = saving.then(save));

  /** Where to start reading this file: its committed offset when it is the file of the checkpoint. */
  async function startFor(file: string, handle: fs.FileHandle, id: FileIdentity & { size: number }, firstScan: boolean): Promise<Position> {
    const e = known.get(identityKey(id));
    if (e !== undefined) {
      if (!(await sameContentStart(handle, { fingerprint: e.fingerprint, fingerprintBytes: e.fingerprint_bytes }))) {
        log(`${file}: replaced since the checkpoint (same inode, other content): reading it from the start`);
        return { offset: 0, line: 0 };
      }
      if (id.size < e.offset) {
        log(`${file}: truncated below its checkpoint (${id.size} < ${e.offset} bytes): reading it from the start`);
        return { offset: 0, line: 0 };
      }
      if (e.offset > 0) log(`${file}: resuming at byte ${e.offset} (line ${e.line}) from the checkpoint`);
      return { offset: e.offset, line: e.line };
    }
    if (loadedPaths.has(file)) {
      loadedPaths.delete(file);
      log(`${file}: not the file of the checkpoint (rotated or replaced): reading it from the start`);
    }
    if (firstScan && !checkpointExisted && o.startAt === 'end') return { offset: id.size, line: 0 };
    return { offset: 0, line: 0 };
  }

  function track(file: string, id: FileIdentity, start: Position, handle: fs.FileHandle): Tracked {
    const t: Tracked = { path: file, id: { dev: id.dev, ino: id.ino, fingerprint: id.fingerprint, fingerprintBytes: id.fingerprintBytes }, wm: new Watermark(start), handle, reading: true, lastEnd: start.offset, lastLine: start.line, segment: { offset: start.offset } };
    tracked.add(t);
    return t;
  }

  /** Is this file being read, or read with records not yet settled (then its position is not final)? */
  const busy = (id: { dev: string; ino: string }): boolean => {
    retireSettled();
    for (const t of tracked) if (t.id.dev === id.dev && t.id.ino === id.ino) return true;
    return false;
  };

  /** Read one opened file from `start` through ingest; returns how its segment ended. */
  async function readOpened(file: string, handle: fs.FileHandle, id: FileIdentity, start: Position, follow: boolean, dropUnfinished: () => boolean): Promise<{ state: SegmentState; t: Tracked }> {
    const t = track(file, id, start, handle);
    const state = t.segment;
    const wm = t.wm;
    try {
      const chunks = readSegment({ path: file, handle, dev: id.dev, ino: id.ino }, state, {
        follow, pollIntervalMs: poll, quietMs: o.quietMs, signal,
        sameStart: () => sameContentStart(handle, t.id),
      });
      await deps.ingest(readRecords(chunks, file, {
        maxLineBytes: o.maxLineBytes,
        startOffset: start.offset,
        startLine: start.line,
        ackFor: o.checkpointPath === undefined
          ? (end, line) => { t.lastEnd = end; t.lastLine = line; return undefined; }
          : (end, line) => {
            t.lastEnd = end;
            t.lastLine = line;
            const ticket = wm.issue(end, line);
            return () => wm.settle(ticket);
          },
        keepUnfinishedLine: () => !dropUnfinished() || state.end !== 'truncated',
      }), { signal, listRejections: false });
    } finally {
      t.reading = false;
      t.handle = undefined;
      await handle.close().catch(() => {});
    }
    return { state, t };
  }

  /**
   * The file that was at `from.path` (identity, fingerprint) now under a rotated name next to it
   * (renamed: same inode; copied by copytruncate: same first bytes): read it from `from.offset` to
   * its end. Names matched by the source's own paths are left to the normal reading.
   */
  async function readRotatedCopy(from: { path: string; dev: string; ino: string; fingerprint: string; fingerprintBytes: number; offset: number; line: number }): Promise<boolean> {
    const dir = path.dirname(from.path);
    const base = path.basename(from.path);
    let names: string[];
    try { names = await fs.readdir(dir); } catch { return false; }
    const candidates = names.filter((n) => n !== base && n.startsWith(base) && !n.endsWith('.gz')).map((n) => path.join(dir, n)).filter((p) => !matchedByPaths(p));
    for (const p of candidates.sort()) {
      let handle: fs.FileHandle;
      try { handle = await fs.open(p, 'r'); } catch { continue; }
      let use = false;
      let id: (FileIdentity & { size: number }) | undefined;
      try {
        id = await identify(handle);
        use = (await handle.stat()).isFile() && id.size >= from.offset && !busy(id)
          && ((id.dev === from.dev && id.ino === from.ino) || await sameContentStart(handle, from));
      } catch { use = false; }
      if (!use || id === undefined) { await handle.close().catch(() => {}); continue; }
      log(`${p}: the rotated copy of ${from.path}: reading it from byte ${from.offset} to its end`);
      try {
        const { state, t } = await readOpened(p, handle, id, { offset: from.offset, line: from.line }, false, () => false);
        finished(t, state);
      } catch (err) {
        deps.error(p, err as Error);
      }
      return true;
    }
    return false;
  }

  function matchedByPaths(p: string): boolean {
    return o.paths.some((pat) => (isGlob(pat) ? path.matchesGlob(p, pat) : path.resolve(pat) === path.resolve(p)));
  }

  async function progress(): Promise<FileProgress[]> {
    retireSettled();
    // one entry per path: after a rotation the new file (being read) wins over the old one settling
    const byPath = new Map<string, Tracked>();
    for (const t of tracked) {
      const prev = byPath.get(t.path);
      if (prev === undefined || (t.reading && !prev.reading)) byPath.set(t.path, t);
    }
    return Promise.all([...byPath.values()].map(async (t): Promise<FileProgress> => {
      const committedOffset = o.checkpointPath === undefined ? t.lastEnd : t.wm.committed().offset;
      let size = t.segment.offset;
      const h = t.handle;
      if (h !== undefined) {
        try { size = Math.max(size, (await h.stat()).size); } catch { /* closed meanwhile: what was read */ }
      }
      return { path: t.path, committedOffset, size };
    }));
  }

  /** Read one path: once, or followed across rotation and truncation. `literal`: a configured path (waited for). */
  async function followPath(file: string, literal: boolean, firstScan: boolean): Promise<void> {
    let first = true;
    let waitingLogged = false;
    let truncated = false;   // the file was truncated under us: its new content is read from the start
    while (!signal.aborted) {
      let handle: fs.FileHandle;
      try {
        handle = await fs.open(file, 'r');
      } catch (err) {
        if (!o.follow) throw err;
        if (!literal) return;   // a glob match that went away
        if (!waitingLogged) log(`${file}: waiting for the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        waitingLogged = true;
        await sleep(poll, signal);
        continue;
      }
      let id: FileIdentity & { size: number };
      try {
        if (!(await handle.stat()).isFile()) { await handle.close(); if (literal) throw new Error('not a regular file'); return; }
        id = await identify(handle);
      } catch (err) {
        await handle.close().catch(() => {});
        throw err;
      }
      if (busy(id)) {
        // being read under another name (renamed to a name the paths match too): once that reader
        // finished and its records settled, this one continues from its final position
        await handle.close();
        if (!literal) return;
        await sleep(poll, signal);
        continue;
      }
      const start = truncated ? { offset: 0, line: 0 } : await startFor(file, handle, id, firstScan && first);
      truncated = false;
      first = false;
      const { state, t } = await readOpened(file, handle, id, start, o.follow, () => true);
      finished(t, state);
      if (!o.follow || signal.aborted || state.end === undefined || state.end === 'stopped' || state.end === 'eof') return;
      if (state.end === 'truncated') {
        truncated = true;
        // copytruncate: what was written between our last read and the copy is in the copy
        const last = { offset: t.lastEnd, line: t.lastLine };
        log(`${file}: truncated (at ${state.offset} bytes); reading it again from the start`);
        const copied = await readRotatedCopy({ ...t.id, path: file, offset: last.offset, line: last.line });
        if (!copied && state.offset > last.offset) log(`${file}: ${state.offset - last.offset} byte(s) of an unfinished line before the truncation were not found in a rotated copy`);
      } else if (state.end === 'rotated') {
        log(`${file}: rotated (the previous file was read to its end, ${state.offset} bytes); reading the new file from the start`);
      } else if (state.end === 'deleted') {
        log(`${file}: deleted (read to its end, ${state.offset} bytes)`);
        if (!literal) return;
      }
    }
  }

  async function expand(): Promise<string[]> {
    const out = new Set<string>();
    for (const p of o.paths) {
      if (!isGlob(p)) { out.add(p); continue; }
      for await (const m of fs.glob(p)) out.add(m);
    }
    // never our own checkpoint (or its temp file), should a glob match it
    const cp = o.checkpointPath === undefined ? undefined : path.resolve(o.checkpointPath);
    return [...out].filter((m) => cp === undefined || !path.resolve(m).startsWith(cp)).sort();
  }

  /** Forget committed positions of files no longer found under the source's paths. */
  async function collect(matches: string[]): Promise<void> {
    const seen = new Set<string>();
    for (const m of matches) {
      try {
        const st = await fs.stat(m, { bigint: true });
        if (st.isFile()) seen.add(`${st.dev}:${st.ino}`);
      } catch { /* gone */ }
    }
    for (const t of tracked) seen.add(identityKey(t.id));
    for (const k of known.keys()) if (!seen.has(k)) known.delete(k);
  }

  /** Entries of the checkpoint whose path names another file now: their rotated copy may hold an unread tail. */
  async function recoverRotatedWhileDown(): Promise<void> {
    for (const e of [...known.values()]) {
      let st;
      try { st = await fs.stat(e.path, { bigint: true }); } catch { st = undefined; }
      if (st !== undefined && String(st.dev) === e.dev && String(st.ino) === e.ino && Number(st.size) >= e.offset) continue;
      await readRotatedCopy({ path: e.path, dev: e.dev, ino: e.ino, fingerprint: e.fingerprint, fingerprintBytes: e.fingerprint_bytes, offset: e.offset, line: e.line });
      if (signal.aborted) return;
    }
  }

  const failed = (file: string) => (err: unknown) => { if (!signal.aborted) deps.error(file, err as Error); };

  return {
    snapshot,
    progress,
    async run() {
      if (o.checkpointPath !== undefined) {
        try {
          const loose = await ensurePrivateDir(path.dirname(o.checkpointPath));   // 0700 when created
          if (loose !== undefined) log(`warning: checkpoint: ${loose}`);
        } catch (err) {
          const why = `cannot create the checkpoint folder ${path.dirname(o.checkpointPath)}: ${(err as Error).message}`;
          if (o.checkpointRequired) throw new Error(why);
          log(`${o.paths.join(', ')}: ${why}; reading without checkpoints (set data_dir or TRACEE_EXPORTER_DATA_DIR, or checkpoint: false)`);
          o = { ...o, checkpointPath: undefined };
        }
      }
      if (o.checkpointPath !== undefined) {
        const cp = await loadCheckpoint(o.checkpointPath);
        checkpointExisted = cp.existed;
        if (cp.problem !== undefined) log(`${o.checkpointPath}: checkpoint ${cp.problem}: ignored, files are read from the start`);
        for (const e of cp.entries) { known.set(identityKey(e), e); loadedPaths.add(e.path); }
        loaded = true;
        timer = setInterval(() => { void saveSoon(); }, o.checkpointIntervalMs ?? 1000);
        timer.unref();
        await recoverRotatedWhileDown();
      }
      if (!o.follow) {
        const files = await expand();
        if (files.length === 0) log(`${o.paths.join(', ')}: no file matches`);
        await collect(files);
        for (const f of files) {
          if (signal.aborted) break;
          await followPath(f, !isGlob(f) && o.paths.includes(f), true).catch(failed(f));
        }
        return;
      }
      while (!signal.aborted) {
        let files: string[];
        try { files = await expand(); } catch (err) { log(`${o.paths.join(', ')}: cannot list: ${(err as Error).message}`); files = []; }
        for (const f of files) {
          if (followers.has(f)) continue;
          const literal = o.paths.includes(f) && !isGlob(f);
          const run = followPath(f, literal, initialScan).catch(failed(f)).finally(() => followers.delete(f));
          followers.set(f, run);
        }
        await collect(files);
        initialScan = false;
        await sleep(o.scanIntervalMs ?? 1000, signal);
      }
      await Promise.all(followers.values());
    },
    async close() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await saveSoon();
    },
  };
}
