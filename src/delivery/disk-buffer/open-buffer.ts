// An open disk buffer (what open() of disk-buffered-delivery.ts makes from a recovered directory).
// push() writes the record to the active segment (per the fsync policy) and resolves: the record is
// accepted and the pushed item is acked 'persisted'. The reader feeds the inner delivery from disk
// while it has room; the inner delivery's acks (any order) move a contiguous position that is saved
// to ack.json; segments below it are deleted. Room under max_bytes is admitted in order (admission.ts);
// at the cap a push waits (block) or the oldest segments go (drop_oldest).

import { AdmissionLine, holdReservation } from '../admission.ts';
import { PUSHED } from '../delivery.ts';
import type { BufferStats, Delivery, DeliveryItem, DeliveryStats, PushReservation, ShutdownReport } from '../types.ts';
import { createAckTracker, type AckTracker } from './ack-tracker.ts';
import { AckSaver } from './ack-saver.ts';
import type { BufferLock } from './lock.ts';
import { DISK_BUFFER_DEFAULTS, type DiskBufferHooks, type DiskBufferOptions } from './options.ts';
import { BufferReader } from './reader.ts';
import type { RecoveredDir, ReportDamage } from './recover-dir.ts';
import { SegmentList } from './segment-list.ts';
import type { Appended, SegmentWriter } from './segment-writer.ts';
import { createReplayResourceCache, decodeStored, encodeStoredFrame, type ReviveInput } from './stored-record.ts';

interface Waiter {
  target: number;
  resolve(): void;
}

/** Damaged records found so far (recovery and reader), and how they are reported. */
export interface DamageCount {
  readonly count: number;
  report: ReportDamage;
}

export class OpenDiskBuffer<R> {
  private readonly dir: string;
  private readonly o: DiskBufferOptions;
  private readonly hooks: DiskBufferHooks;
  private readonly inner: Delivery<R>;
  private readonly damage: DamageCount;
  private readonly lock: BufferLock;
  private readonly segments: SegmentList;
  private readonly writer: SegmentWriter;
  private readonly tracker: AckTracker;
  private readonly reader: BufferReader<R>;
  private readonly saver: AckSaver;
  /** Pushes waiting for room under max_bytes. */
  private readonly line: AdmissionLine<null>;
  private readonly windowItems: number;
  private readonly saveTimer: NodeJS.Timeout;
  /** In memory, their segment dropped (drop_oldest): no longer on disk. */
  private readonly orphans = new Set<number>();
  private persisted = 0;
  private droppedOldest = 0;
  private received = 0;
  private started = false;
  private inMemory = 0;
  private lifecycle: 'running' | 'draining' | 'closed' = 'running';
  /** Bytes of admitted pushes not yet written. */
  private reserved = 0;
  private waiters: Waiter[] = [];
  private saveSoon = false;
  private hurrySoon = false;
  private shutdownReport: Promise<ShutdownReport<R>> | undefined;

  constructor(
    inner: Delivery<R>,
    revive: ReviveInput<R>,
    o: DiskBufferOptions,
    hooks: DiskBufferHooks,
    opened: { dir: RecoveredDir; writer: SegmentWriter; damage: DamageCount },
  ) {
    this.dir = o.dir;
    this.o = o;
    this.hooks = hooks;
    this.inner = inner;
    this.damage = opened.damage;
    this.lock = opened.dir.lock;
    this.writer = opened.writer;
    this.windowItems = o.windowItems ?? DISK_BUFFER_DEFAULTS.windowItems;
    this.segments = new SegmentList(o.dir, opened.dir.segments, hooks.log);
    this.tracker = createAckTracker(opened.dir.position);
    this.saver = new AckSaver(o.dir, o.fsync !== 'never', hooks.log);
    this.line = new AdmissionLine<null>(
      {
        fits: (bytes) => this.fits(bytes),
        take: (_, bytes) => {
          this.reserved += bytes;
        },
      },
      `disk buffer ${o.dir}`,
    );
    this.reader = this.createReader(revive);
    this.segments.onRemoved = (s) => this.reader.segmentRemoved(s);
    this.saveTimer = setInterval(
      () => this.saveProgress(),
      o.checkpointIntervalMs ?? DISK_BUFFER_DEFAULTS.checkpointIntervalMs,
    );
    this.saveTimer.unref();
  }

  private createReader(revive: ReviveInput<R>): BufferReader<R> {
    const resource = createReplayResourceCache();
    return new BufferReader<R>(
      {
        dir: this.dir,
        segments: this.segments,
        active: () => this.writer.active,
        room: () => this.room(),
        closed: () => this.lifecycle === 'closed',
        feed: (item, id) => this.feed(item, id),
        skip: (id) => this.done(id),
        damaged: this.damage.report,
        decode: (payload) => decodeStored(payload, revive, resource),
        log: this.hooks.log,
      },
      this.tracker.position,
    );
  }

  start(): void {
    if (this.started || this.lifecycle !== 'running') return;
    this.started = true;
    this.reader.pump();
  }

  // ---- accepting: room, then the write

  private fits(bytes: number): boolean {
    const used = this.segments.totalBytes + this.reserved;
    return used === 0 || used + bytes <= this.o.maxBytes;
  }

  /**
   * Written at once when there is room (or room was made: drop_oldest) and no fsync is awaited:
   * then the answer is the shared settled PUSHED, as the in-memory delivery gives, so that ingest
   * takes the next record without a promise chain per event (issue #16: ~2% of the CPU of a
   * disk-buffered run; most of what it costs over an in-memory one is the write per record).
   */
  push(item: DeliveryItem<R>): Promise<void> {
    try {
      if (this.lifecycle !== 'running') throw new Error(`disk buffer ${this.dir} is shut down: item not accepted`);
      const frame = encodeStoredFrame(item as DeliveryItem);
      this.received++;
      if (!this.line.admitsNow(frame.length)) {
        if (this.o.whenFull !== 'drop_oldest') return this.pushWhenAdmitted(item, frame);
        this.dropOldestFor(frame.length);
      }
      if (this.o.fsync === 'always') return this.write(item, frame, false);
      this.handOn(item, this.append(frame, false));
      return PUSHED;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A push that waits in line for room (block). */
  private async pushWhenAdmitted(item: DeliveryItem<R>, frame: Buffer): Promise<void> {
    const waiting = this.line.wait(null, frame.length);
    this.makeRoomSoon();
    await waiting;
    return this.write(item, frame, true); // admitted from the line: its bytes are reserved until written
  }

  /** Room for the frame held (reserved bytes) until commit() writes it or cancel() frees it. */
  async reserve(item: DeliveryItem<R>, signal?: AbortSignal): Promise<PushReservation> {
    if (this.lifecycle !== 'running') throw new Error(`disk buffer ${this.dir} is shut down: item not accepted`);
    const frame = encodeStoredFrame(item as DeliveryItem);
    if (this.line.admitsNow(frame.length)) {
      this.reserved += frame.length;
    } else if (this.o.whenFull === 'drop_oldest') {
      this.dropOldestFor(frame.length);
      this.reserved += frame.length;
    } else {
      const waiting = this.line.wait(null, frame.length, signal);
      if (!signal?.aborted) this.makeRoomSoon();
      await waiting; // admission reserved its bytes
    }
    return holdReservation(
      () => this.commitReserved(item, frame),
      () => {
        this.reserved -= frame.length;
        this.line.admit();
      },
    );
  }

  private commitReserved(item: DeliveryItem<R>, frame: Buffer): Promise<void> {
    if (this.lifecycle === 'closed') {
      this.reserved -= frame.length;
      return Promise.reject(new Error(`disk buffer ${this.dir} shut down before the item was written`));
    }
    this.received++;
    return this.write(item, frame, true);
  }

  /** Appends an admitted frame (its room reserved when `admitted`), waits for the fsync `always` asks for, hands it on. */
  private async write(item: DeliveryItem<R>, frame: Buffer, admitted: boolean): Promise<void> {
    const a = this.append(frame, admitted);
    if (this.o.fsync === 'always') await this.writer.sync();
    this.handOn(item, a);
  }

  /** Appends an admitted frame (its room reserved when `admitted`): synchronous, in the page cache when it returns. */
  private append(frame: Buffer, admitted: boolean): Appended {
    let a: Appended;
    try {
      a = this.writer.append(frame);
    } finally {
      if (admitted) this.reserved -= frame.length;
    }
    this.segments.totalBytes += frame.length;
    return a;
  }

  /** The item was persisted: fed to the inner delivery when the reader is caught up, acked 'persisted'. */
  private handOn(item: DeliveryItem<R>, a: Appended): void {
    this.persisted++;
    // caught up: the record in hand goes to the inner delivery, no disk read
    if (this.reader.handOff(a.id, a.segment, a.end)) this.feed(item, a.id);
    else this.reader.pump();
    if (item.ack !== undefined) item.ack('persisted');
  }

  /** drop_oldest: whole oldest segments go until `bytes` fit; records not yet read from them are counted lost. */
  private dropOldestFor(bytes: number): void {
    let lost = 0;
    while (!this.fits(bytes)) {
      if (this.segments.length === 1) {
        if (this.writer.active.bytes === 0) break;
        this.writer.roll();
      }
      lost += this.dropOldest();
    }
    if (lost > 0) {
      this.droppedOldest += lost;
      this.hooks.log(
        `disk buffer ${this.dir}: full (${this.o.maxBytes} bytes): dropped the oldest ${lost} buffered event(s) (buffer_full_drop_oldest)`,
      );
      this.reportDrop(lost);
    }
  }

  /** Drops the oldest segment; returns how many of its records were never read. */
  private dropOldest(): number {
    const s = this.segments.removeOldest();
    const readPos = this.reader.position;
    // records of the segment still in memory may yet be delivered; counted dropped at shutdown if not
    for (let id = Math.max(s.firstId, this.tracker.position); id < Math.min(readPos, s.endId); id++) {
      if (!this.tracker.acked(id)) this.orphans.add(id);
    }
    this.reader.skipTo(s.endId);
    if (this.tracker.skipTo(s.endId)) this.advanced();
    return Math.max(0, s.endId - Math.max(s.firstId, readPos));
  }

  private reportDrop(count: number): void {
    try {
      this.hooks.onDrop?.('buffer_full_drop_oldest', count);
    } catch {
      /* never breaks the buffer */
    }
  }

  // ---- feeding the inner delivery, acks

  private room(): boolean {
    return this.started && this.lifecycle !== 'closed' && this.inMemory < this.windowItems;
  }

  private feed(item: DeliveryItem<R>, id: number): void {
    if (this.waiters.length > 0) this.hurryInner(); // a flush waits for this record too
    this.inMemory++;
    this.inner.push({ record: item.record, origin: item.origin, input: item.input, ack: this.ackFor(id) }).catch(() => {
      /* the inner delivery shut down: the record stays on disk for the next start */
    });
  }

  private ackFor(id: number): (result: unknown) => void {
    let acked = false;
    return () => {
      if (acked) return;
      acked = true;
      this.inMemory--;
      if (this.orphans.size > 0) this.orphans.delete(id);
      this.done(id);
      this.reader.pump();
    };
  }

  /** Record `id` reached a terminal state (or cannot be sent). */
  private done(id: number): void {
    if (this.tracker.ack(id)) this.advanced();
  }

  private advanced(): void {
    if (this.waiters.length > 0) {
      const pos = this.tracker.position;
      const still: Waiter[] = [];
      for (const w of this.waiters)
        if (w.target <= pos) w.resolve();
        else still.push(w);
      this.waiters = still;
    }
    if (this.line.length > 0) this.makeRoomSoon();
  }

  // ---- the checkpoint: save the position, delete what is below it

  /** Pushes are waiting for room: free acknowledged segments now, not at the next tick. */
  private makeRoomSoon(): void {
    if (this.saveSoon) return;
    this.saveSoon = true;
    setImmediate(() => {
      this.saveSoon = false;
      this.saveProgress();
    });
  }

  /**
   * Save the position, then delete the segments wholly below it (in this order: a crash in between
   * only leaves files to skip). When the save fails they are deleted all the same: a restart never
   * starts before the first segment left (recovery), so nothing unacknowledged is skipped, and the
   * room they free may be what the save was missing (disk full).
   */
  private saveProgress(): void {
    if (this.lifecycle === 'closed') return;
    const pos = this.tracker.position;
    this.saver.save(pos);
    // a wholly acknowledged active segment is closed so it can go too: with one segment as large as
    // the cap (segment_bytes >= max_bytes) it is all the room there is, and no further ack would come
    const active = this.writer.active;
    if (this.line.length > 0 && active.bytes > 0 && active.endId <= pos) this.writer.roll();
    this.segments.deleteAcked(pos);
    this.line.admit();
  }

  // ---- flush, shutdown, stats

  flush(): Promise<void> {
    const target = this.writer.active.endId;
    if (this.tracker.position >= target || this.lifecycle === 'closed') return Promise.resolve();
    const done = new Promise<void>((resolve) => {
      this.waiters.push({ target, resolve });
    });
    this.hurryInner();
    return done;
  }

  /**
   * A flush waits: the inner delivery sends what it holds now instead of at its batch interval
   * (flush_interval_ms, 1 s by default: every flush and shutdown waited for it). Once per turn of
   * the event loop, after the records fed in it.
   */
  private hurryInner(): void {
    if (this.hurrySoon) return;
    this.hurrySoon = true;
    setImmediate(() => {
      this.hurrySoon = false;
      this.inner.flush().catch(() => {});
    });
  }

  shutdown(timeoutMs: number): Promise<ShutdownReport<R>> {
    if (this.shutdownReport !== undefined) return this.shutdownReport;
    this.lifecycle = 'draining';
    this.line.refuseAll(() => new Error(`disk buffer ${this.dir} shut down before the item was written`));
    this.shutdownReport = this.drainAndClose(timeoutMs);
    return this.shutdownReport;
  }

  private async drainAndClose(timeoutMs: number): Promise<ShutdownReport<R>> {
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.started ? this.flush() : Promise.resolve(), expired]);
    clearTimeout(timer);
    const innerReport = await this.inner.shutdown(Math.max(0, timeoutMs - (performance.now() - t0)));
    this.lifecycle = 'closed';
    this.countOrphans();
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
    clearInterval(this.saveTimer);
    const pos = this.tracker.position;
    this.saver.saveAtClose(pos);
    await this.closeFiles();
    const buffered = this.writer.active.endId - pos;
    return {
      drained: buffered === 0,
      pending: [],
      buffered,
      stats: { ...this.stats(), returned: innerReport.pending.length },
    };
  }

  /** Records of dropped segments that were in memory and not delivered: dropped after all. */
  private countOrphans(): void {
    if (this.orphans.size === 0) return;
    this.droppedOldest += this.orphans.size;
    this.hooks.log(
      `disk buffer ${this.dir}: ${this.orphans.size} event(s) of dropped segments were not delivered before shutdown (buffer_full_drop_oldest)`,
    );
    this.reportDrop(this.orphans.size);
    this.orphans.clear();
  }

  private async closeFiles(): Promise<void> {
    await this.writer.close();
    this.segments.deleteAckedAtClose(this.saver.saved);
    await this.reader.close();
    this.lock.release();
  }

  bufferStats(): BufferStats {
    return {
      bytes: this.segments.totalBytes,
      maxBytes: this.o.maxBytes,
      events: this.writer.active.endId - this.tracker.position,
      inMemory: this.inMemory,
      persisted: this.persisted,
      replayedFromDisk: this.reader.replayed,
      corrupt: this.damage.count,
      droppedOldest: this.droppedOldest,
      segments: this.segments.length,
    };
  }

  stats(): DeliveryStats {
    const s = this.inner.stats();
    const dropped = { ...s.dropped };
    if (this.droppedOldest > 0)
      dropped.buffer_full_drop_oldest = (dropped.buffer_full_drop_oldest ?? 0) + this.droppedOldest;
    return {
      ...s,
      received: this.received,
      dropped,
      droppedTotal: s.droppedTotal + this.droppedOldest,
      waitingPushes: this.line.length + s.waitingPushes,
      lifecycle: this.lifecycle === 'closed' ? 'closed' : this.lifecycle === 'draining' ? 'draining' : s.lifecycle,
      buffer: this.bufferStats(),
    };
  }
}
