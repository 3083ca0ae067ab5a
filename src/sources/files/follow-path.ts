// One path of a file source: read once, or followed (tail -F) across rotation (the path names a
// new file: read from the start), truncation (read again from the start, the lost tail looked for
// in a rotated copy) and deletion (a configured path is waited for again; a glob's match is let go).

import fs from 'node:fs/promises';
import { identify, type FileIdentity } from './identity.ts';
import { readOpened, type FileReadContext } from './read-file.ts';
import { resumePosition } from './resume.ts';
import { readRotatedCopy } from './rotation.ts';
import { sleep } from './tail.ts';
import type { TrackedFile } from './tracked-files.ts';

type Opened = { handle: fs.FileHandle; id: FileIdentity & { size: number } };

/** Read one path: once, or followed. `literal`: a configured path (waited for); `firstScan`: found at start. */
export async function followPath(
  ctx: FileReadContext,
  file: string,
  literal: boolean,
  firstScan: boolean,
): Promise<void> {
  let first = true;
  const waiting = { logged: false };
  let truncated = false; // the file was truncated under us: its new content is read from the start
  while (!ctx.signal.aborted) {
    const opened = await openPath(ctx, file, literal, waiting);
    if (opened === 'gone') return;
    if (opened === 'retry') {
      await sleep(ctx.pollIntervalMs, ctx.signal);
      continue;
    }
    const { handle, id } = opened;
    const start = truncated
      ? { offset: 0, line: 0 }
      : await resumePosition(ctx.files, file, handle, id, {
          firstScan: firstScan && first,
          startAt: ctx.startAt,
          log: ctx.log,
        });
    first = false;
    const t = await readOpened(ctx, { file, handle, id, start, follow: ctx.follow, dropUnfinished: () => true });
    if (!(await afterEnd(ctx, file, t, literal))) return;
    truncated = t.tail.end === 'truncated';
  }
}

/**
 * Open the path as a regular file that no other reader of this source holds. 'retry': not there
 * yet (a configured path, followed) or being read under another name; 'gone': nothing to read here.
 */
async function openPath(
  ctx: FileReadContext,
  file: string,
  literal: boolean,
  waiting: { logged: boolean },
): Promise<Opened | 'retry' | 'gone'> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if (!ctx.follow) throw err;
    if (!literal) return 'gone'; // a glob match that went away
    if (!waiting.logged)
      ctx.log(`${file}: waiting for the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    waiting.logged = true;
    return 'retry';
  }
  let id: FileIdentity & { size: number };
  try {
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      if (literal) throw new Error('not a regular file');
      return 'gone';
    }
    id = await identify(handle);
  } catch (err) {
    await handle.close().catch(() => {});
    throw err;
  }
  if (ctx.files.busy(id)) {
    // being read under another name (renamed to a name the paths match too): once that reader
    // finished and its records settled, this one continues from its final position
    await handle.close();
    return literal ? 'retry' : 'gone';
  }
  return { handle, id };
}

/** A read of the path ended: say what happened to the file; false = stop reading this path. */
async function afterEnd(ctx: FileReadContext, file: string, t: TrackedFile, literal: boolean): Promise<boolean> {
  const state = t.tail;
  if (!ctx.follow || ctx.signal.aborted || state.end === undefined || state.end === 'stopped' || state.end === 'eof')
    return false;
  if (state.end === 'truncated') {
    // copytruncate: what was written between our last read and the copy is in the copy
    const last = { offset: t.lastEnd, line: t.lastLine };
    ctx.log(`${file}: truncated (at ${state.offset} bytes); reading it again from the start`);
    const copied = await readRotatedCopy(ctx, { ...t.id, path: file, offset: last.offset, line: last.line });
    if (!copied && state.offset > last.offset)
      ctx.log(
        `${file}: ${state.offset - last.offset} byte(s) of an unfinished line before the truncation were not found in a rotated copy`,
      );
  } else if (state.end === 'rotated') {
    ctx.log(
      `${file}: rotated (the previous file was read to its end, ${state.offset} bytes); reading the new file from the start`,
    );
  } else if (state.end === 'deleted') {
    ctx.log(`${file}: deleted (read to its end, ${state.offset} bytes)`);
    if (!literal) return false;
  }
  return true;
}
