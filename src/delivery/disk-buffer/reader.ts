// The reader: feeds the inner delivery from the segment files, in record id order, while it has
// room. A cursor walks the frames (segment, byte offset, record id); `position` is the next record
// id to hand on. Damaged records are reported and skipped (acknowledged as done: nothing to send).
// When the reader is caught up with the writer, the record in hand is handed on without a disk read
// (handOff); anything that moves the cursor from outside bumps an epoch, so a read in flight is redone.

import fs from 'node:fs';
import { formatOrigin } from '../../model/records.ts';
import type { DeliveryItem } from '../types.ts';
import { FRAME_HEADER_BYTES, readFrame, type Frame } from './framing.ts';
import { DISK_BUFFER_DEFAULTS } from './options.ts';
import type { ReportDamage } from './recover-dir.ts';
import type { BufferSegment } from './segment-files.ts';
import type { SegmentList } from './segment-list.ts';
import type { Decoded } from './stored-record.ts';

export interface ReaderDeps<R> {
  dir: string;
  segments: SegmentList;
  /** The writer's active segment (its endId is the next id written). */
  active(): BufferSegment;
  /** The inner delivery may take more records (started, not closed, window not full). */
  room(): boolean;
  closed(): boolean;
  feed(item: DeliveryItem<R>, id: number): void;
  /** A record that cannot be sent: done with it. */
  skip(id: number): void;
  damaged: ReportDamage;
  decode(payload: Buffer): Decoded<R>;
  log(message: string): void;
}

interface Cursor {
  seg: BufferSegment;
  offset: number;
  id: number;
}

const CHUNK = DISK_BUFFER_DEFAULTS.readChunkBytes;

export class BufferReader<R> {
  /** Next record id to hand to the inner delivery. */
  position: number;
  /** Records read back from disk and handed on. */
  replayed = 0;
  private cursor: Cursor;
  private epoch = 0;
  private reading = false;
  private handle: { path: string; fh: fs.promises.FileHandle } | undefined;
  private readonly d: ReaderDeps<R>;

  constructor(deps: ReaderDeps<R>, position: number) {
    this.d = deps;
    this.position = position;
    this.cursor = this.startOf(deps.segments.oldest);
  }

  /** Caught up with the writer: the record just appended is handed on here; true if the caller feeds it. */
  handOff(id: number, seg: BufferSegment, end: number): boolean {
    if (this.position !== id || this.reading || !this.d.room()) return false;
    this.position = id + 1;
    this.cursor = { seg, offset: end, id: id + 1 };
    this.epoch++;
    return true;
  }

  /** Records below `endId` are gone (their segment was dropped): skip them. */
  skipTo(endId: number): void {
    if (this.position < endId) {
      this.position = endId;
      this.epoch++;
    }
  }

  /** A segment left the list: never read it again. */
  segmentRemoved(s: BufferSegment): void {
    if (this.cursor.seg === s) {
      this.cursor = this.startOf(this.d.segments.oldest);
      this.epoch++;
    }
    if (this.handle?.path === s.path) {
      void this.handle.fh.close().catch(() => {});
      this.handle = undefined;
    }
  }

  /** Read on if there is room and something to read; a failed read is retried after 1 s. */
  pump(): void {
    if (this.reading || !this.wants()) return;
    this.reading = true;
    let failed = false;
    this.readLoop()
      .catch((err: Error) => {
        failed = true;
        if (!this.d.closed()) this.d.log(`disk buffer ${this.d.dir}: read failed (retrying in 1 s): ${err.message}`);
      })
      .finally(() => {
        this.reading = false;
        if (!this.wants()) return;
        if (failed) setTimeout(() => this.pump(), 1000).unref();
        else setImmediate(() => this.pump());
      });
  }

  async close(): Promise<void> {
    if (this.handle !== undefined) await this.handle.fh.close().catch(() => {});
    this.handle = undefined;
  }

  private wants(): boolean {
    return this.d.room() && this.position < this.d.active().endId;
  }

  private startOf(seg: BufferSegment): Cursor {
    return { seg, offset: 0, id: seg.firstId };
  }

  private async readLoop(): Promise<void> {
    let want = CHUNK;
    while (this.wants()) {
      const seg = this.cursor.seg;
      if (this.cursor.id >= seg.endId || this.cursor.offset >= seg.bytes) {
        if (this.cursor.id < seg.endId) {
          this.abandonSegment('records missing (file shorter than expected)');
          continue;
        }
        if (seg === this.d.active()) return; // caught up with the writer
        this.nextSegment();
        continue;
      }
      const at = this.epoch;
      const limit = seg.bytes;
      const requested = Math.min(want, limit - this.cursor.offset);
      const buf = await this.readChunk(seg, this.cursor.offset, requested);
      if (at !== this.epoch || this.d.closed()) continue;
      want = this.consume(buf, seg, limit, requested);
    }
  }

  private async readChunk(seg: BufferSegment, offset: number, length: number): Promise<Buffer> {
    if (this.handle?.path !== seg.path) {
      if (this.handle !== undefined) void this.handle.fh.close().catch(() => {});
      this.handle = { path: seg.path, fh: await fs.promises.open(seg.path, 'r') };
    }
    const buf = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.handle.fh.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  }

  /** Hands on the frames of `buf` (read at the cursor, the segment's whole frames end at `limit`); returns the next read size. */
  private consume(buf: Buffer, seg: BufferSegment, limit: number, requested: number): number {
    let want = CHUNK;
    let pos = 0;
    while (pos < buf.length && this.cursor.id < seg.endId && this.d.room()) {
      const f = readFrame(buf, pos);
      if (f.kind === 'partial') {
        // this.cursor.offset is the file offset of buf[pos]
        const whole =
          buf.length - pos >= FRAME_HEADER_BYTES ? FRAME_HEADER_BYTES + buf.readUInt32LE(pos) : FRAME_HEADER_BYTES;
        if (this.cursor.offset + whole > limit) {
          this.abandonSegment('torn record');
          return want;
        }
        if (pos === 0) want = Math.max(whole, want); // a record larger than one chunk
        break;
      }
      if (f.kind === 'bad_length') {
        this.abandonSegment(`impossible record length ${f.length}`);
        return want;
      }
      const id = this.cursor.id;
      const fileOffset = this.cursor.offset;
      this.cursor.id++;
      this.cursor.offset += f.end - pos;
      pos = f.end;
      if (id < this.position) continue; // acknowledged before the restart
      this.position = id + 1;
      this.handOn(f, seg, id, fileOffset);
    }
    // a short read (the file is shorter than the frames it should hold) would loop for ever
    if (pos === 0 && buf.length < requested) this.abandonSegment('file shorter than expected');
    return want;
  }

  private handOn(
    f: Extract<Frame, { kind: 'record' | 'bad_checksum' }>,
    seg: BufferSegment,
    id: number,
    fileOffset: number,
  ): void {
    if (f.kind === 'bad_checksum') {
      this.d.damaged(1, `${seg.path}: checksum mismatch in record ${id} at byte ${fileOffset}`);
      this.d.skip(id);
      return;
    }
    const d = this.d.decode(f.payload);
    if (!d.ok) {
      this.d.damaged(1, `${seg.path}: record ${id}${d.origin ? ` (${formatOrigin(d.origin)})` : ''}: ${d.reason}`);
      this.d.skip(id);
      return;
    }
    this.replayed++;
    this.d.feed(d.item, id);
  }

  /** Move the cursor past a segment whose remaining records cannot be read. */
  private abandonSegment(reason: string): void {
    const seg = this.cursor.seg;
    const from = Math.max(this.cursor.id, this.position);
    this.d.damaged(Math.max(1, seg.endId - from), `${seg.path}: ${reason} at byte ${this.cursor.offset}`);
    for (let id = from; id < seg.endId; id++) this.d.skip(id);
    if (this.position < seg.endId) this.position = seg.endId;
    this.nextSegment();
  }

  private nextSegment(): void {
    const next = this.d.segments.after(this.cursor.seg);
    if (next !== undefined) this.cursor = this.startOf(next);
  }
}
