// A file that was at a path and is now under a rotated name next to it (renamed: same inode;
// copied by copytruncate: same first bytes) is read from the position known for it to its end:
// after a truncation (what was written between our last read and the copy is in the copy), and at
// start for checkpoint entries whose path names another file now (rotated while we were down).
// Names matched by the source's own paths are left to the normal reading.

import type { BigIntStats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { matchedByPaths } from './discovery.ts';
import { identify, sameContentStart, type FileIdentity } from './identity.ts';
import { readOpened, type FileReadContext } from './read-file.ts';
import type { Position } from './watermark.ts';

/** The file that was at `path`, and the position known for it. */
export type RotatedFrom = FileIdentity & Position & { path: string };

/** Read the rotated copy of `from` from its position to its end; false = no copy found. */
export async function readRotatedCopy(ctx: FileReadContext, from: RotatedFrom): Promise<boolean> {
  const copy = await openRotatedCopy(ctx, from);
  if (copy === undefined) return false;
  ctx.log(`${copy.path}: the rotated copy of ${from.path}: reading it from byte ${from.offset} to its end`);
  try {
    await readOpened(ctx, {
      file: copy.path,
      handle: copy.handle,
      id: copy.id,
      start: { offset: from.offset, line: from.line },
      follow: false,
      dropUnfinished: () => false,
    });
  } catch (err) {
    ctx.error(copy.path, err as Error);
  }
  return true;
}

/** Checkpoint entries whose path names another file now: their rotated copy may hold an unread tail. */
export async function recoverRotatedWhileDown(ctx: FileReadContext): Promise<void> {
  for (const e of [...ctx.files.known.values()]) {
    let st: BigIntStats | undefined;
    try {
      st = await fs.stat(e.path, { bigint: true });
    } catch {
      st = undefined;
    }
    if (st !== undefined && String(st.dev) === e.dev && String(st.ino) === e.ino && Number(st.size) >= e.offset)
      continue;
    await readRotatedCopy(ctx, {
      path: e.path,
      dev: e.dev,
      ino: e.ino,
      fingerprint: e.fingerprint,
      fingerprintBytes: e.fingerprint_bytes,
      offset: e.offset,
      line: e.line,
    });
    if (ctx.signal.aborted) return;
  }
}

/** Names beside `from.path` that start with its name (not .gz, not the source's own), in name order. */
async function rotatedNames(ctx: FileReadContext, from: RotatedFrom): Promise<string[]> {
  const dir = path.dirname(from.path);
  const base = path.basename(from.path);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n !== base && n.startsWith(base) && !n.endsWith('.gz'))
    .map((n) => path.join(dir, n))
    .filter((p) => !matchedByPaths(p, ctx.paths))
    .sort();
}

/** The first of those names that is the file of `from`, opened (and not being read already). */
async function openRotatedCopy(
  ctx: FileReadContext,
  from: RotatedFrom,
): Promise<{ path: string; handle: fs.FileHandle; id: FileIdentity } | undefined> {
  for (const p of await rotatedNames(ctx, from)) {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(p, 'r');
    } catch {
      continue;
    }
    let use = false;
    let id: (FileIdentity & { size: number }) | undefined;
    try {
      id = await identify(handle);
      use =
        (await handle.stat()).isFile() &&
        id.size >= from.offset &&
        !ctx.files.busy(id) &&
        ((id.dev === from.dev && id.ino === from.ino) || (await sameContentStart(handle, from)));
    } catch {
      use = false;
    }
    if (use && id !== undefined) return { path: p, handle, id };
    await handle.close().catch(() => {});
  }
  return undefined;
}
