// The acknowledged position: every record id below `acked` reached a terminal state. Written to a
// temporary file and renamed over the old one, so a crash leaves the old or the new file, never half.

import fs from 'node:fs';
import path from 'node:path';
import { openPrivateFileSync } from '../../util/private-file.ts';

const FILE = 'ack.json';

export interface Checkpoint { acked: number }

/** The saved position, or 0 when there is none. A damaged file is an error: replaying from 0 could resend everything. */
export function readCheckpoint(dir: string): Checkpoint {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { acked: 0 };
    throw err;
  }
  let acked: unknown;
  try { acked = (JSON.parse(text) as { acked?: unknown }).acked; } catch { acked = undefined; }
  if (typeof acked !== 'number' || !Number.isSafeInteger(acked) || acked < 0) {
    throw new Error(`${path.join(dir, FILE)}: not a valid checkpoint (${JSON.stringify(text.slice(0, 100))}); move it away to replay the whole buffer`);
  }
  return { acked };
}

/** Replace the checkpoint atomically; `durable` also fsyncs the file before the rename. */
export function writeCheckpoint(dir: string, cp: Checkpoint, durable: boolean): void {
  const tmp = path.join(dir, `${FILE}.tmp`);
  const fd = openPrivateFileSync(tmp, 'truncate');
  try {
    fs.writeSync(fd, JSON.stringify({ acked: cp.acked }) + '\n');
    if (durable) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path.join(dir, FILE));
}
