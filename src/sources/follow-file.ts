// Follow a file like `tail -F`: read what is there, then poll for appended bytes; when the path
// is replaced (rotation by rename: another inode) or truncated (size below our offset), start over
// on the new content. Yields raw chunks; stops when the signal aborts. Offsets are not persisted
// across restarts yet (issue #6): a restart reads the file again from the start or the end.

import fs from 'node:fs/promises';

export interface FollowOptions {
  /** Where to begin on the first open: the whole file (default) or only what is appended later. */
  startAt?: 'beginning' | 'end';
  pollIntervalMs?: number;
  signal?: AbortSignal;
  /** Reports rotations and missing files (one line each). */
  log?: (message: string) => void;
}

const CHUNK = 256 * 1024;

export async function* followFile(path: string, opts: FollowOptions = {}): AsyncGenerator<Buffer> {
  const poll = opts.pollIntervalMs ?? 250;
  let handle: fs.FileHandle | undefined;
  let ino = -1;
  let offset = 0;
  let first = true;
  const buf = Buffer.allocUnsafe(CHUNK);
  const sleep = () => new Promise<void>((resolve) => {
    const t = setTimeout(resolve, poll);
    opts.signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
  try {
    while (!opts.signal?.aborted) {
      if (handle === undefined) {
        try {
          handle = await fs.open(path, 'r');
          const st = await handle.stat();
          ino = st.ino;
          offset = first && opts.startAt === 'end' ? st.size : 0;
          first = false;
        } catch {
          handle = undefined;
          await sleep();
          continue;
        }
      }
      const { bytesRead } = await handle.read(buf, 0, CHUNK, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        yield Buffer.from(buf.subarray(0, bytesRead));
        continue;
      }
      // at the end: has the path been rotated or truncated?
      let st;
      try { st = await fs.stat(path); } catch { st = undefined; }
      if (st !== undefined && (st.ino !== ino || st.size < offset)) {
        opts.log?.(`${path}: ${st.ino !== ino ? 'rotated' : 'truncated'}, reading the new content from the start`);
        await handle.close();
        handle = undefined;
        first = false;
        continue;
      }
      await sleep();
    }
  } finally {
    await handle?.close();
  }
}
