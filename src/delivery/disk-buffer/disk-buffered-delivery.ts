// A disk buffer in front of an in-memory delivery (createDelivery). push() writes the record to a
// segment file (per the fsync policy) and resolves: the record is accepted and the pushed item is
// acked 'persisted'. A reader feeds the inner delivery from disk while it has room (a bounded window
// of records in memory); when the reader is caught up, the record in hand goes straight to the inner
// delivery without a disk read. The inner delivery's acks (any order) move a contiguous position
// that is checkpointed; segments below it are deleted. After a restart (also kill -9) every record
// past the checkpoint is replayed: at-least-once.

import fs from 'node:fs';
import type { Origin } from '../../model/records.ts';
import { PushWithdrawn, type BufferStats, type Delivery, type DeliveryItem, type DeliveryStats, type PushReservation, type ShutdownReport } from '../types.ts';
import { createAckTracker } from './ack-tracker.ts';
import { readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { readFrame, FRAME_HEADER_BYTES } from './framing.ts';
import { acquireLock } from './lock.ts';
import { listSegments, scanSegment, segmentPath } from './segment-files.ts';
import { createSegmentWriter, type FsyncPolicy, type Segment } from './segment-writer.ts';
import { createResourceCache, decodeStored, encodeStoredFrame, type ReviveInput } from './stored-record.ts';
import { ensurePrivateDirSync } from '../../util/private-file.ts';

export type BufferWhenFull = 'block' | 'drop_oldest';

export interface DiskBufferOptions {
  /** The buffer's own directory (one per exporter); created if missing, locked while open. */
  dir: string;
  /** Cap on the segment files' total size. */
  maxBytes: number;
  whenFull: BufferWhenFull;
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  /** Size at which a segment is closed and a new one started (default maxBytes / 8, 64 KiB..64 MiB). */
  segmentBytes?: number;
  /** Records held in memory: fed to the inner delivery and not yet acked (default 10 000). */
  windowItems?: number;
  /** How often the acknowledged position is saved (default 1000 ms). */
  checkpointIntervalMs?: number;
}

export interface DiskBufferHooks {
  log(message: string): void;
  /** Records dropped from the buffer (reason buffer_full_drop_oldest). */
  onDrop?(reason: string, count: number): void;
  /** Records found damaged (torn tail, bad checksum, undecodable): skipped. */
  onCorrupt?(count: number, reason: string): void;
}


export interface DiskBufferedDelivery<R> extends Delivery<R> {
  /** Begin feeding the inner delivery (after the exporter started): replay first, then live records. */
  start(): void;
  bufferStats(): BufferStats;
}

export const DISK_BUFFER_DEFAULTS = {
  windowItems: 10_000,
  checkpointIntervalMs: 1_000,
  readChunkBytes: 1024 * 1024,
} as const;

interface Blocked { bytes: number; resolve(): void; reject(err: Error): void }
interface Waiter { target: number; resolve(): void }
interface Cursor { seg: Segment; offset: number; id: number }

export function createDiskBufferedDelivery<R>(
  inner: Delivery<R>, revive: ReviveInput<R>, o: DiskBufferOptions, hooks: DiskBufferHooks,
): DiskBufferedDelivery<R> {
  const dir = o.dir;
  const maxBytes = o.maxBytes;
  const windowItems = o.windowItems ?? DISK_BUFFER_DEFAULTS.windowItems;
  const segmentBytes = o.segmentBytes ?? Math.min(64 * 1024 * 1024, Math.max(64 * 1024, Math.floor(maxBytes / 8)));
  const durableCheckpoint = o.fsync !== 'never';
  const resource = createResourceCache();
  const counts = { persisted: 0, replayed: 0, corrupt: 0, droppedOldest: 0 };

  function corrupt(count: number, reason: string): void {
    counts.corrupt += count;
    hooks.log(`disk buffer ${dir}: skipped ${count} damaged record(s): ${reason}`);
    try { hooks.onCorrupt?.(count, reason); } catch { /* a hook never breaks the buffer */ }
  }

  // ---- recovery (synchronous: runs at start-up, before anything is accepted)
  const loose = ensurePrivateDirSync(dir);   // 0700 when created; an existing folder is only checked
  if (loose !== undefined) hooks.log(`warning: disk buffer: ${loose}`);
  const lock = acquireLock(dir);
  let segments: Segment[] = [];
  let nextId: number;
  let position: number;
  try {
    const saved = readCheckpoint(dir).acked;
    const firsts = listSegments(dir);
    for (let i = 0; i < firsts.length; i++) {
      const p = segmentPath(dir, firsts[i]);
      if (i < firsts.length - 1) {
        segments.push({ firstId: firsts[i], endId: firsts[i + 1], bytes: fs.statSync(p).size, path: p });
        continue;
      }
      // the last segment was being written when the process ended: count its frames, cut a torn tail
      const scan = scanSegment(p);
      if (scan.tail !== undefined) {
        corrupt(1, `${p}: ${scan.tail.kind === 'partial' ? 'torn record at the end (partial write)' : 'unreadable record length'} at byte ${scan.tail.offset}, ${scan.tail.bytes} byte(s) cut`);
        fs.truncateSync(p, scan.validBytes);
      }
      segments.push({ firstId: firsts[i], endId: firsts[i] + scan.frames, bytes: scan.validBytes, path: p });
    }
    position = Math.max(saved, segments.length > 0 ? segments[0].firstId : saved);
    nextId = Math.max(position, segments.length > 0 ? segments[segments.length - 1].endId : 0);
    const keep: Segment[] = [];
    for (const s of segments) {
      // an empty last segment is the one opened by a run that wrote nothing; an empty one before it
      // stays: the reader counts its records as missing
      const emptyLast = s.bytes === 0 && s === segments[segments.length - 1];
      if (s.endId <= position || emptyLast) fs.rmSync(s.path, { force: true }); else keep.push(s);
    }
    segments = keep;
  } catch (err) {
    lock.release();
    throw err;
  }
  const tracker = createAckTracker(position);
  let totalBytes = 0;
  for (const s of segments) totalBytes += s.bytes;
  const writer = createSegmentWriter(dir, segments, nextId, {
    fsync: o.fsync, fsyncIntervalMs: o.fsyncIntervalMs, segmentBytes,
    onSyncError: (err) => hooks.log(`disk buffer ${dir}: fsync failed: ${err.message}`),
  });
  if (nextId > position) hooks.log(`disk buffer ${dir}: ${nextId - position} buffered event(s) to replay`);

  // ---- state
  let readPos = position;                    // next id to hand to the inner delivery
  let cursor: Cursor = { seg: segments[0], offset: 0, id: segments[0].firstId };
  let epoch = 0;                             // bumped when the cursor is moved outside the reader
  let reading = false;
  let started = false;
  let inMemory = 0;
  let lifecycle: 'running' | 'draining' | 'closed' = 'running';
  let blocked: Blocked[] = [];
  let reserved = 0;                          // bytes of admitted pushes not yet written
  let waiters: Waiter[] = [];
  let savedPosition = -1;
  let readHandle: { path: string; fh: fs.promises.FileHandle } | undefined;
  let shutdownReport: Promise<ShutdownReport<R>> | undefined;
  let checkpointSoon = false;
  let checkpointError: string | undefined;  // the last save failure, logged once
  let received = 0;
  const orphans = new Set<number>();        // in memory, their segment dropped (drop_oldest): no longer on disk

  const checkpointTimer = setInterval(() => checkpoint(), o.checkpointIntervalMs ?? DISK_BUFFER_DEFAULTS.checkpointIntervalMs);
  checkpointTimer.unref();

  // ---- acks, checkpoint, deletion
  function ackFor(id: number): (result: unknown) => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      inMemory--;
      if (orphans.size > 0) orphans.delete(id);
      if (tracker.ack(id)) advanced();
      pumpReader();
    };
  }

  function advanced(): void {
    if (waiters.length > 0) {
      const pos = tracker.position;
      const still: Waiter[] = [];
      for (const w of waiters) if (w.target <= pos) w.resolve(); else still.push(w);
      waiters = still;
    }
    if (blocked.length > 0) makeRoomSoon();
  }

  /** Pushes are waiting for room: free acknowledged segments now, not at the next tick. */
  function makeRoomSoon(): void {
    if (checkpointSoon) return;
    checkpointSoon = true;
    setImmediate(() => { checkpointSoon = false; checkpoint(); });
  }

  /**
   * Save the position, then delete the segments wholly below it (in this order: a crash in between
   * only leaves files to skip). When the save fails they are deleted all the same: a restart never
   * starts before the first segment left (recovery), so nothing unacknowledged is skipped, and the
   * room they free may be what the save was missing (disk full).
   */
  function checkpoint(): void {
    if (lifecycle === 'closed') return;
    const pos = tracker.position;
    if (pos !== savedPosition) {
      try {
        writeCheckpoint(dir, { acked: pos }, durableCheckpoint);
        savedPosition = pos;
        if (checkpointError !== undefined) hooks.log(`disk buffer ${dir}: checkpoint saved again`);
        checkpointError = undefined;
      } catch (err) {
        const msg = (err as Error).message;
        if (msg !== checkpointError) hooks.log(`disk buffer ${dir}: cannot save the checkpoint: ${msg} (acknowledged segments are still deleted; a restart may send the rest of the first segment again)`);
        checkpointError = msg;
      }
    }
    // a wholly acknowledged active segment is closed so it can go too: with one segment as large as
    // the cap (segment_bytes >= max_bytes) it is all the room there is, and no further ack would come
    if (blocked.length > 0 && writer.active.bytes > 0 && writer.active.endId <= pos) writer.roll();
    deleteAcked(pos);
    admitBlocked();
  }

  function deleteAcked(pos: number): void {
    while (segments.length > 1 && segments[0].endId <= pos) removeOldest();
  }

  function removeOldest(): Segment {
    const s = segments.shift()!;
    totalBytes -= s.bytes;
    if (cursor.seg === s) { cursor = { seg: segments[0], offset: 0, id: segments[0].firstId }; epoch++; }
    if (readHandle?.path === s.path) { void readHandle.fh.close().catch(() => {}); readHandle = undefined; }
    try { fs.rmSync(s.path, { force: true }); } catch (err) { hooks.log(`disk buffer ${dir}: cannot delete ${s.path}: ${(err as Error).message}`); }
    return s;
  }

  // ---- room
  function fits(bytes: number): boolean {
    const used = totalBytes + reserved;
    return used === 0 || used + bytes <= maxBytes;
  }

  function admitBlocked(): void {
    while (blocked.length > 0 && fits(blocked[0].bytes)) {
      const b = blocked.shift()!;
      reserved += b.bytes;
      b.resolve();
    }
  }

  /** drop_oldest: whole oldest segments go until `bytes` fit; records not yet read from them are counted lost. */
  function dropOldestFor(bytes: number): void {
    let lost = 0;
    while (!fits(bytes)) {
      if (segments.length === 1) {
        if (writer.active.bytes === 0) break;
        writer.roll();
      }
      const s = removeOldest();
      const unread = s.endId - Math.max(s.firstId, readPos);
      if (unread > 0) lost += unread;
      // records of the segment still in memory may yet be delivered; counted dropped at shutdown if not
      for (let id = Math.max(s.firstId, tracker.position); id < Math.min(readPos, s.endId); id++) if (!tracker.acked(id)) orphans.add(id);
      if (readPos < s.endId) { readPos = s.endId; epoch++; }
      if (tracker.skipTo(s.endId)) advanced();
    }
    if (lost > 0) {
      counts.droppedOldest += lost;
      hooks.log(`disk buffer ${dir}: full (${maxBytes} bytes): dropped the oldest ${lost} buffered event(s) (buffer_full_drop_oldest)`);
      try { hooks.onDrop?.('buffer_full_drop_oldest', lost); } catch { /* never breaks the buffer */ }
    }
  }

  // ---- feeding the inner delivery
  function feed(item: DeliveryItem<R>, id: number): void {
    inMemory++;
    inner.push({ record: item.record, origin: item.origin, input: item.input, ack: ackFor(id) })
      .catch(() => { /* the inner delivery shut down: the record stays on disk for the next start */ });
  }

  function room(): boolean {
    return started && lifecycle !== 'closed' && inMemory < windowItems;
  }

  async function readChunk(seg: Segment, offset: number, length: number): Promise<Buffer> {
    if (readHandle?.path !== seg.path) {
      if (readHandle !== undefined) void readHandle.fh.close().catch(() => {});
      readHandle = { path: seg.path, fh: await fs.promises.open(seg.path, 'r') };
    }
    const buf = Buffer.allocUnsafe(length);
    const { bytesRead } = await readHandle.fh.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  }

  /** Move the cursor past a segment whose remaining records cannot be read. */
  function abandonSegment(reason: string): void {
    const seg = cursor.seg;
    const lost = Math.max(1, seg.endId - Math.max(cursor.id, readPos));
    corrupt(lost, `${seg.path}: ${reason} at byte ${cursor.offset}`);
    for (let id = Math.max(cursor.id, readPos); id < seg.endId; id++) if (tracker.ack(id)) advanced();
    if (readPos < seg.endId) readPos = seg.endId;
    nextSegment();
  }

  function nextSegment(): void {
    const i = segments.indexOf(cursor.seg);
    const next = segments[i + 1];
    if (next !== undefined) cursor = { seg: next, offset: 0, id: next.firstId };
  }

  function pumpReader(): void {
    if (reading || !room() || readPos >= writer.active.endId) return;
    reading = true;
    let failed = false;
    readLoop().catch((err: Error) => {
      failed = true;
      if (lifecycle !== 'closed') hooks.log(`disk buffer ${dir}: read failed (retrying in 1 s): ${err.message}`);
    }).finally(() => {
      reading = false;
      if (!room() || readPos >= writer.active.endId) return;
      if (failed) setTimeout(pumpReader, 1000).unref(); else setImmediate(pumpReader);
    });
  }

  async function readLoop(): Promise<void> {
    let want = DISK_BUFFER_DEFAULTS.readChunkBytes;
    while (room() && readPos < writer.active.endId) {
      const seg = cursor.seg;
      if (cursor.id >= seg.endId || cursor.offset >= seg.bytes) {
        if (cursor.id < seg.endId) { abandonSegment('records missing (file shorter than expected)'); continue; }
        if (seg === writer.active) return;   // caught up with the writer
        nextSegment();
        continue;
      }
      const at = epoch;
      const limit = seg.bytes;
      const requested = Math.min(want, limit - cursor.offset);
      const buf = await readChunk(seg, cursor.offset, requested);
      if (at !== epoch || lifecycle === 'closed') continue;
      want = DISK_BUFFER_DEFAULTS.readChunkBytes;
      let pos = 0;
      while (pos < buf.length && cursor.id < seg.endId && room()) {
        const f = readFrame(buf, pos);
        if (f.kind === 'partial') {
          // cursor.offset is the file offset of buf[pos]
          const whole = buf.length - pos >= FRAME_HEADER_BYTES ? FRAME_HEADER_BYTES + buf.readUInt32LE(pos) : FRAME_HEADER_BYTES;
          if (cursor.offset + whole > limit) { abandonSegment('torn record'); pos = -1; }
          else if (pos === 0) want = Math.max(whole, want);   // a record larger than one chunk
          break;
        }
        if (f.kind === 'bad_length') { abandonSegment(`impossible record length ${f.length}`); pos = -1; break; }
        const id = cursor.id;
        const fileOffset = cursor.offset;
        cursor.id++;
        cursor.offset += f.end - pos;
        pos = f.end;
        if (id < readPos) continue;   // acknowledged before the restart
        readPos = id + 1;
        if (f.kind === 'bad_checksum') {
          corrupt(1, `${seg.path}: checksum mismatch in record ${id} at byte ${fileOffset}`);
          if (tracker.ack(id)) advanced();
          continue;
        }
        const d = decodeStored(f.payload, revive, resource);
        if (!d.ok) {
          corrupt(1, `${seg.path}: record ${id}${d.origin ? ` (${formatOrigin(d.origin)})` : ''}: ${d.reason}`);
          if (tracker.ack(id)) advanced();
          continue;
        }
        counts.replayed++;
        feed(d.item, id);
      }
      if (pos === -1) continue;
      // a short read (the file is shorter than the frames it should hold) would loop for ever
      if (pos === 0 && buf.length < requested) abandonSegment('file shorter than expected');
    }
  }

  // ---- Delivery
  async function push(item: DeliveryItem<R>): Promise<void> {
    if (lifecycle !== 'running') throw new Error(`disk buffer ${dir} is shut down: item not accepted`);
    const frame = encodeStoredFrame(item as DeliveryItem);
    received++;
    let admitted = false;   // admitted from the blocked line: its bytes are reserved until written
    if (blocked.length > 0 || !fits(frame.length)) {
      if (o.whenFull === 'drop_oldest') {
        dropOldestFor(frame.length);
      } else {
        await new Promise<void>((resolve, reject) => { blocked.push({ bytes: frame.length, resolve, reject }); makeRoomSoon(); });
        admitted = true;
      }
    }
    return write(item, frame, admitted);
  }

  /** Appends an admitted frame (its room reserved when `admitted`) and hands it on. */
  async function write(item: DeliveryItem<R>, frame: Buffer, admitted: boolean): Promise<void> {
    let a;
    try {
      a = writer.append(frame);
    } finally {
      if (admitted) reserved -= frame.length;
    }
    totalBytes += frame.length;
    if (o.fsync === 'always') await writer.sync();
    counts.persisted++;
    // caught up: the record in hand goes to the inner delivery, no disk read
    if (readPos === a.id && room() && !reading) {
      readPos = a.id + 1;
      cursor = { seg: a.segment, offset: a.end, id: a.id + 1 };
      epoch++;
      feed(item, a.id);
    } else {
      pumpReader();
    }
    if (item.ack !== undefined) item.ack('persisted');
  }

  /** Room for the frame held (reserved bytes) until commit() writes it or cancel() frees it. */
  async function reserve(item: DeliveryItem<R>, signal?: AbortSignal): Promise<PushReservation> {
    if (lifecycle !== 'running') throw new Error(`disk buffer ${dir} is shut down: item not accepted`);
    const frame = encodeStoredFrame(item as DeliveryItem);
    if (blocked.length > 0 || !fits(frame.length)) {
      if (o.whenFull === 'drop_oldest') {
        dropOldestFor(frame.length);
        reserved += frame.length;
      } else {
        if (signal?.aborted) throw new PushWithdrawn(`disk buffer ${dir}`);
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => {
            const i = blocked.indexOf(b);
            if (i < 0) return;   // admitted already: the caller cancels the reservation
            blocked.splice(i, 1);
            reject(new PushWithdrawn(`disk buffer ${dir}`));
          };
          const b: Blocked = {
            bytes: frame.length,
            resolve: () => { signal?.removeEventListener('abort', onAbort); resolve(); },
            reject: (err) => { signal?.removeEventListener('abort', onAbort); reject(err); },
          };
          blocked.push(b);
          signal?.addEventListener('abort', onAbort, { once: true });
          makeRoomSoon();
        });   // admitBlocked reserved its bytes
      }
    } else {
      reserved += frame.length;
    }
    let done = false;
    return {
      commit() {
        if (done) return Promise.resolve();
        done = true;
        if (lifecycle === 'closed') {
          reserved -= frame.length;
          return Promise.reject(new Error(`disk buffer ${dir} shut down before the item was written`));
        }
        received++;
        return write(item, frame, true);
      },
      cancel() {
        if (done) return;
        done = true;
        reserved -= frame.length;
        admitBlocked();
      },
    };
  }

  function flush(): Promise<void> {
    const target = writer.active.endId;
    if (tracker.position >= target || lifecycle === 'closed') return Promise.resolve();
    return new Promise<void>((resolve) => { waiters.push({ target, resolve }); });
  }

  function shutdown(timeoutMs: number): Promise<ShutdownReport<R>> {
    if (shutdownReport !== undefined) return shutdownReport;
    lifecycle = 'draining';
    for (const b of blocked) b.reject(new Error(`disk buffer ${dir} shut down before the item was written`));
    blocked = [];
    shutdownReport = (async (): Promise<ShutdownReport<R>> => {
      const t0 = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
      await Promise.race([started ? flush() : Promise.resolve(), expired]);
      clearTimeout(timer);
      const innerReport = await inner.shutdown(Math.max(0, timeoutMs - (performance.now() - t0)));
      lifecycle = 'closed';
      if (orphans.size > 0) {
        counts.droppedOldest += orphans.size;
        hooks.log(`disk buffer ${dir}: ${orphans.size} event(s) of dropped segments were not delivered before shutdown (buffer_full_drop_oldest)`);
        try { hooks.onDrop?.('buffer_full_drop_oldest', orphans.size); } catch { /* never breaks the buffer */ }
        orphans.clear();
      }
      for (const w of waiters) w.resolve();
      waiters = [];
      clearInterval(checkpointTimer);
      const pos = tracker.position;
      try { writeCheckpoint(dir, { acked: pos }, durableCheckpoint); savedPosition = pos; } catch (err) {
        hooks.log(`disk buffer ${dir}: cannot save the checkpoint: ${(err as Error).message}`);
      }
      await writer.close();
      while (segments.length > 0 && segments[0].endId <= savedPosition) removeOldestFile();
      if (readHandle !== undefined) await readHandle.fh.close().catch(() => {});
      readHandle = undefined;
      lock.release();
      const buffered = writer.active.endId - pos;
      return { drained: buffered === 0, pending: [], buffered, stats: { ...stats(), returned: innerReport.pending.length } };
    })();
    return shutdownReport;
  }

  /** At close, the active segment may go too (it is not written to any more). */
  function removeOldestFile(): void {
    const s = segments.shift()!;
    totalBytes -= s.bytes;
    fs.rmSync(s.path, { force: true });
  }

  function bufferStats(): BufferStats {
    return {
      bytes: totalBytes, maxBytes, events: writer.active.endId - tracker.position, inMemory,
      persisted: counts.persisted, replayedFromDisk: counts.replayed, corrupt: counts.corrupt,
      droppedOldest: counts.droppedOldest, segments: segments.length,
    };
  }

  function stats(): DeliveryStats {
    const s = inner.stats();
    const dropped = { ...s.dropped };
    if (counts.droppedOldest > 0) dropped.buffer_full_drop_oldest = (dropped.buffer_full_drop_oldest ?? 0) + counts.droppedOldest;
    return {
      ...s,
      received,
      dropped,
      droppedTotal: s.droppedTotal + counts.droppedOldest,
      waitingPushes: blocked.length + s.waitingPushes,
      lifecycle: lifecycle === 'closed' ? 'closed' : lifecycle === 'draining' ? 'draining' : s.lifecycle,
      buffer: bufferStats(),
    };
  }

  return {
    push,
    reserve,
    flush,
    shutdown,
    stats,
    bufferStats,
    start() {
      if (started || lifecycle !== 'running') return;
      started = true;
      pumpReader();
    },
  };
}

function formatOrigin(o: Origin): string {
  return `${o.source}${o.line !== undefined ? `:${o.line}` : ''}`;
}
