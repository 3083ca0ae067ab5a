// Where a newly opened file starts: at its committed offset when it is the file of the checkpoint
// (same identity, same first bytes, not shorter than that offset), else from the start; a file
// found at the first scan with no checkpoint at all starts at its end with `start_at: end`.

import type fs from 'node:fs/promises';
import { identityKey, sameContentStart, type FileIdentity } from './identity.ts';
import type { TrackedFiles } from './tracked-files.ts';
import type { Position } from './watermark.ts';

const START: Position = { offset: 0, line: 0 };

export async function resumePosition(
  files: TrackedFiles,
  file: string,
  handle: fs.FileHandle,
  id: FileIdentity & { size: number },
  o: { firstScan: boolean; startAt?: 'beginning' | 'end'; log(message: string): void },
): Promise<Position> {
  const e = files.known.get(identityKey(id));
  if (e !== undefined) {
    if (!(await sameContentStart(handle, { fingerprint: e.fingerprint, fingerprintBytes: e.fingerprint_bytes }))) {
      o.log(`${file}: replaced since the checkpoint (same inode, other content): reading it from the start`);
      return START;
    }
    if (id.size < e.offset) {
      o.log(`${file}: truncated below its checkpoint (${id.size} < ${e.offset} bytes): reading it from the start`);
      return START;
    }
    if (e.offset > 0) o.log(`${file}: resuming at byte ${e.offset} (line ${e.line}) from the checkpoint`);
    return { offset: e.offset, line: e.line };
  }
  if (files.loadedPaths.has(file)) {
    files.loadedPaths.delete(file);
    o.log(`${file}: not the file of the checkpoint (rotated or replaced): reading it from the start`);
  }
  if (o.firstScan && !files.checkpointExisted && o.startAt === 'end') return { offset: id.size, line: 0 };
  return START;
}
