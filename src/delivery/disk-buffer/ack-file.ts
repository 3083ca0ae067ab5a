// ack.json: the acknowledged position of a buffer directory: every record id below `acked` reached
// a terminal state. Written to a temporary file and renamed over the old one, so a crash leaves the
// old or the new file, never half. (The "checkpoint" of the disk buffer; the file source keeps
// checkpoints of its own, read offsets per file, elsewhere.)

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { openPrivateFileSync } from '../../util/private-file.ts';

export const ACK_FILE = 'ack.json';

/** The ack file of `dir` as found: its path and text; undefined when there is none. */
export interface FoundAckFile {
  path: string;
  text: string;
}

export async function readAckFile(dir: string): Promise<FoundAckFile | undefined> {
  const file = path.join(dir, ACK_FILE);
  try {
    return { path: file, text: await fsp.readFile(file, 'utf8') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The acknowledged position in an ack file. A damaged file is an error: replaying from 0 could resend everything. */
export function parseAckFile(found: FoundAckFile): number {
  let acked: unknown;
  try {
    acked = (JSON.parse(found.text) as { acked?: unknown }).acked;
  } catch {
    acked = undefined;
  }
  if (typeof acked !== 'number' || !Number.isSafeInteger(acked) || acked < 0) {
    throw new Error(
      `${found.path}: not a valid checkpoint (${JSON.stringify(found.text.slice(0, 100))}); move it away to replay the whole buffer`,
    );
  }
  return acked;
}

/** Replace the ack file atomically; `durable` also fsyncs the file before the rename. */
export function writeAckFile(dir: string, acked: number, durable: boolean): void {
  const tmp = path.join(dir, `${ACK_FILE}.tmp`);
  const fd = openPrivateFileSync(tmp, 'truncate');
  try {
    fs.writeSync(fd, JSON.stringify({ acked }) + '\n');
    if (durable) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path.join(dir, ACK_FILE));
}
