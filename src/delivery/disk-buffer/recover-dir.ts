// Opening a buffer directory: create it (private), take its lock, read what it holds, and apply the
// recovery plan (recovery.ts): cut a torn tail, delete wholly acknowledged segments.

import fsp from 'node:fs/promises';
import { toLogger } from '../../util/log.ts';
import { ensurePrivateDir } from '../../util/private-file.ts';
import { readAckFile } from './ack-file.ts';
import { acquireLock, type BufferLock } from './lock.ts';
import { planRecovery, type BufferDirContents, type RecoveryPlan } from './recovery.ts';
import { bufferSegmentPath, listBufferSegments, type BufferSegment } from './segment-files.ts';

/** Damaged records: counted, logged and reported (DiskBufferHooks.onCorrupt). */
export type ReportDamage = (count: number, reason: string) => void;

export interface RecoveredDir {
  lock: BufferLock;
  /** Segments still holding records not acknowledged, oldest first. */
  segments: BufferSegment[];
  position: number;
  nextId: number;
}

async function readBufferDir(dir: string): Promise<BufferDirContents> {
  const ackFile = await readAckFile(dir);
  const firsts = await listBufferSegments(dir);
  const segments: BufferDirContents['segments'] = [];
  let lastSegment: Buffer | undefined;
  for (let i = 0; i < firsts.length; i++) {
    const file = bufferSegmentPath(dir, firsts[i]);
    if (i < firsts.length - 1) {
      segments.push({ firstId: firsts[i], bytes: (await fsp.stat(file)).size });
    } else {
      lastSegment = await fsp.readFile(file);
      segments.push({ firstId: firsts[i], bytes: lastSegment.length });
    }
  }
  return { ackFile, segments, lastSegment };
}

async function applyPlan(dir: string, plan: RecoveryPlan, damaged: ReportDamage): Promise<void> {
  const cut = plan.cut;
  if (cut !== undefined) {
    const file = bufferSegmentPath(dir, cut.firstId);
    const what = cut.kind === 'partial' ? 'torn record at the end (partial write)' : 'unreadable record length';
    damaged(1, `${file}: ${what} at byte ${cut.offset}, ${cut.bytes} byte(s) cut`);
    await fsp.truncate(file, cut.offset);
  }
  for (const firstId of plan.remove) await fsp.rm(bufferSegmentPath(dir, firstId), { force: true });
}

/** Runs before anything is accepted; the lock is held on success only. */
export async function recoverBufferDir(
  dir: string,
  log: (message: string) => void,
  damaged: ReportDamage,
): Promise<RecoveredDir> {
  const loose = await ensurePrivateDir(dir); // 0700 when created; an existing folder is only checked
  if (loose !== undefined) toLogger(log).warn(`warning: disk buffer: ${loose}`);
  const lock = acquireLock(dir);
  try {
    const plan = planRecovery(await readBufferDir(dir));
    await applyPlan(dir, plan, damaged);
    const segments = plan.keep.map((s) => ({ ...s, path: bufferSegmentPath(dir, s.firstId) }));
    return { lock, segments, position: plan.position, nextId: plan.nextId };
  } catch (err) {
    lock.release();
    throw err;
  }
}
