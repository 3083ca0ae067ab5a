// The bytes of one open file from an offset: to its end, or (follow) as they are appended until
// the path names another file (rotation by rename), the file shrinks below what was read
// (truncation), or the path is gone. A file that lost its name (renamed or deleted) is read on
// until it stayed unchanged for a quiet period: what was written just before the rename is not
// lost, a writer that keeps the renamed file open (Tracee does not reopen its output file) is
// still followed, and a deleted file is let go.

import type { BigIntStats } from 'node:fs';
import fs from 'node:fs/promises';

export type TailEnd = 'eof' | 'rotated' | 'truncated' | 'deleted' | 'stopped';

export interface OpenFile {
  path: string;
  handle: fs.FileHandle;
  dev: string;
  ino: string;
}

export interface TailOptions {
  follow: boolean;
  pollIntervalMs: number;
  /** With follow: how long a file that lost its name must stay unchanged before it is let go (default 5 s). */
  quietMs?: number;
  /**
   * Asked at the end of the file (follow): do its first bytes still match? No = it was truncated
   * and written again past our offset between two polls (Tracee truncates its output file when it
   * starts): read like a truncation.
   */
  sameStart?(): Promise<boolean>;
  signal: AbortSignal;
}

/** Why the tail ended, and the offset read up to (filled in as it goes). */
export interface TailState {
  end?: TailEnd;
  offset: number;
}

const CHUNK = 256 * 1024;

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export async function* tailFile(f: OpenFile, state: TailState, o: TailOptions): AsyncGenerator<Buffer> {
  const buf = Buffer.allocUnsafe(CHUNK);
  const quietMs = o.quietMs ?? 5000;
  /** Read on until the file stayed unchanged for quietMs (or stop). */
  const drain = async function* (): AsyncGenerator<Buffer> {
    let quietSince = Date.now();
    while (!o.signal.aborted) {
      const { bytesRead } = await f.handle.read(buf, 0, CHUNK, state.offset);
      if (bytesRead > 0) {
        state.offset += bytesRead;
        quietSince = Date.now();
        yield Buffer.from(buf.subarray(0, bytesRead));
        continue;
      }
      if (Date.now() - quietSince >= quietMs) return;
      await sleep(o.pollIntervalMs, o.signal);
    }
  };
  while (!o.signal.aborted) {
    const { bytesRead } = await f.handle.read(buf, 0, CHUNK, state.offset);
    if (bytesRead > 0) {
      state.offset += bytesRead;
      yield Buffer.from(buf.subarray(0, bytesRead));
      continue;
    }
    if (!o.follow) {
      state.end = 'eof';
      return;
    }
    // at the end: wait, then, before reading on, is it still the file the path names?
    await sleep(o.pollIntervalMs, o.signal);
    if (o.signal.aborted) break;
    if ((await f.handle.stat()).size < state.offset || (o.sameStart !== undefined && !(await o.sameStart()))) {
      state.end = 'truncated';
      return;
    }
    let st: BigIntStats | undefined;
    try {
      st = await fs.stat(f.path, { bigint: true });
    } catch {
      st = undefined;
    }
    if (st === undefined || String(st.ino) !== f.ino || String(st.dev) !== f.dev) {
      yield* drain();
      if (o.signal.aborted) break;
      state.end = st === undefined ? 'deleted' : 'rotated';
      return;
    }
  }
  state.end = 'stopped';
}
