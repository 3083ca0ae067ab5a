// Follow one path like `tail -F`, as a plain byte stream: read what is there, then what is
// appended; when the path is rotated (renamed away: the old file is read to its end first, then
// let go at once),
// truncated or deleted and re-created, continue with the new content. No offsets: the pipeline's
// file source (src/sources/files/) reads each file on its own with persisted offsets; this is the
// stream form for callers that only want the bytes.

import fs from 'node:fs/promises';
import { readSegment, sleep, type SegmentState } from './files/tail.ts';

export interface FollowOptions {
  /** Where to begin on the first open: the whole file (default) or only what is appended later. */
  startAt?: 'beginning' | 'end';
  pollIntervalMs?: number;
  signal?: AbortSignal;
  /** Reports rotations and missing files (one line each). */
  log?: (message: string) => void;
}

export async function* followFile(path: string, opts: FollowOptions = {}): AsyncGenerator<Buffer> {
  const poll = opts.pollIntervalMs ?? 250;
  const signal = opts.signal ?? new AbortController().signal;
  let first = true;
  while (!signal.aborted) {
    let handle: fs.FileHandle;
    try { handle = await fs.open(path, 'r'); } catch { await sleep(poll, signal); continue; }
    const state: SegmentState = { offset: 0 };
    try {
      const st = await handle.stat({ bigint: true });
      if (first && opts.startAt === 'end') state.offset = Number(st.size);
      first = false;
      yield* readSegment({ path, handle, dev: String(st.dev), ino: String(st.ino) }, state, { follow: true, pollIntervalMs: poll, quietMs: 0, signal });
    } finally {
      await handle.close();
    }
    if (state.end === 'rotated' || state.end === 'truncated' || state.end === 'deleted') opts.log?.(`${path}: ${state.end}, reading the new content from the start`);
  }
}
