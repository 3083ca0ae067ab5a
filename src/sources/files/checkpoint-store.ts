// The checkpoint file of one file source: per file identity, the committed offset (every record
// below it settled). Written whole and atomically (temp file, fsync, rename), so a crash leaves
// either the previous or the new checkpoint, never a torn one.

import fs from 'node:fs/promises';
import path from 'node:path';
import { ensurePrivateDir, openPrivateFile } from '../../util/private-file.ts';

export interface FileCheckpointEntry {
  /** Where the file was last seen (informative; files are matched by identity). */
  path: string;
  dev: string;
  ino: string;
  fingerprint: string;
  fingerprint_bytes: number;
  /** Byte offset below which every record is settled. */
  offset: number;
  /** Line number of the last settled record (origins continue from it). */
  line: number;
}

export interface FileCheckpointDoc {
  version: 1;
  /** The source's configured paths / globs. */
  paths: string[];
  written_at: string;
  files: FileCheckpointEntry[];
}

export interface LoadedFileCheckpoint {
  /** A checkpoint file was there (even unreadable): `start_at: end` no longer applies. */
  existed: boolean;
  entries: FileCheckpointEntry[];
  /** Why the file could not be used (it is then ignored: files are read from the start). */
  problem?: string;
}

export async function loadFileCheckpoint(file: string): Promise<LoadedFileCheckpoint> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { existed: false, entries: [] };
    return { existed: true, entries: [], problem: `cannot read: ${(err as Error).message}` };
  }
  try {
    const doc = JSON.parse(text) as FileCheckpointDoc;
    if (doc?.version !== 1 || !Array.isArray(doc.files)) throw new Error('not a version 1 checkpoint');
    const entries = doc.files.filter(
      (e) =>
        typeof e?.dev === 'string' &&
        typeof e.ino === 'string' &&
        typeof e.fingerprint === 'string' &&
        Number.isSafeInteger(e.offset) &&
        e.offset >= 0 &&
        Number.isSafeInteger(e.fingerprint_bytes) &&
        typeof e.path === 'string',
    );
    return { existed: true, entries: entries.map((e) => ({ ...e, line: Number.isSafeInteger(e.line) ? e.line : 0 })) };
  } catch (err) {
    return { existed: true, entries: [], problem: `unreadable (${(err as Error).message})` };
  }
}

export async function saveFileCheckpoint(file: string, doc: FileCheckpointDoc): Promise<void> {
  await ensurePrivateDir(path.dirname(file));
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await openPrivateFile(tmp, 'truncate'); // 0600, never through a symlink
  try {
    await fh.writeFile(JSON.stringify(doc, null, 1) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
}
