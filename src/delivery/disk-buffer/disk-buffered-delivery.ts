// A disk buffer in front of an in-memory delivery (createDelivery). Creating one touches no file;
// open() recovers the directory (recover-dir.ts: lock, torn tail, acknowledged segments) and opens a
// new active segment; from then on it is an OpenDiskBuffer (open-buffer.ts). After a restart (also
// kill -9) every record past the acknowledged position is replayed: at-least-once.

import type { BufferStats, Delivery, DeliveryItem, DeliveryStats, PushReservation, ShutdownReport } from '../types.ts';
import { OpenDiskBuffer, type DamageCount } from './open-buffer.ts';
import { segmentBytesOf, type DiskBufferedDelivery, type DiskBufferHooks, type DiskBufferOptions } from './options.ts';
import { recoverBufferDir } from './recover-dir.ts';
import { SegmentWriter } from './segment-writer.ts';
import type { ReviveInput } from './stored-record.ts';

export { DISK_BUFFER_DEFAULTS } from './options.ts';
export type { BufferWhenFull, DiskBufferedDelivery, DiskBufferHooks, DiskBufferOptions } from './options.ts';

function damageCount(dir: string, hooks: DiskBufferHooks): DamageCount {
  const d = {
    count: 0,
    report(count: number, reason: string): void {
      d.count += count;
      hooks.log(`disk buffer ${dir}: skipped ${count} damaged record(s): ${reason}`);
      try {
        hooks.onCorrupt?.(count, reason);
      } catch {
        /* a hook never breaks the buffer */
      }
    },
  };
  return d;
}

/** Before open(): nothing on disk is known yet. */
function emptyBufferStats(maxBytes: number): BufferStats {
  return {
    bytes: 0,
    maxBytes,
    events: 0,
    inMemory: 0,
    persisted: 0,
    replayedFromDisk: 0,
    corrupt: 0,
    droppedOldest: 0,
    segments: 0,
  };
}

class DiskBuffered<R> implements DiskBufferedDelivery<R> {
  private opened: OpenDiskBuffer<R> | undefined;
  private opening: Promise<OpenDiskBuffer<R>> | undefined;
  private startWhenOpen = false;
  private closedUnopened: Promise<ShutdownReport<R>> | undefined;
  private readonly damage: DamageCount;
  private readonly inner: Delivery<R>;
  private readonly revive: ReviveInput<R>;
  private readonly o: DiskBufferOptions;
  private readonly hooks: DiskBufferHooks;

  constructor(inner: Delivery<R>, revive: ReviveInput<R>, o: DiskBufferOptions, hooks: DiskBufferHooks) {
    this.inner = inner;
    this.revive = revive;
    this.o = o;
    this.hooks = hooks;
    this.damage = damageCount(o.dir, hooks);
  }

  open(): Promise<void> {
    this.opening ??= this.openOnce();
    return this.opening.then(() => undefined);
  }

  private async openOnce(): Promise<OpenDiskBuffer<R>> {
    const dir = this.o.dir;
    const log = this.hooks.log;
    if (this.closedUnopened !== undefined) throw new Error(`disk buffer ${dir} is shut down`);
    const recovered = await recoverBufferDir(dir, log, this.damage.report);
    let writer: SegmentWriter;
    try {
      writer = new SegmentWriter(dir, recovered.segments, recovered.nextId, {
        fsync: this.o.fsync,
        fsyncIntervalMs: this.o.fsyncIntervalMs,
        segmentBytes: segmentBytesOf(this.o),
        onSyncError: (err) => log(`disk buffer ${dir}: fsync failed: ${err.message}`),
      });
    } catch (err) {
      recovered.lock.release();
      throw err;
    }
    if (recovered.nextId > recovered.position)
      log(`disk buffer ${dir}: ${recovered.nextId - recovered.position} buffered event(s) to replay`);
    const opened = new OpenDiskBuffer(this.inner, this.revive, this.o, this.hooks, {
      dir: recovered,
      writer,
      damage: this.damage,
    });
    this.opened = opened;
    if (this.startWhenOpen) opened.start();
    return opened;
  }

  /** The open buffer, once open() finished (pushes before it wait for it). */
  private whenOpen(): Promise<OpenDiskBuffer<R>> {
    return this.opening ?? Promise.reject(new Error(`disk buffer ${this.o.dir} is not open: item not accepted`));
  }

  start(): void {
    if (this.opened !== undefined) this.opened.start();
    else this.startWhenOpen = true;
  }

  push(item: DeliveryItem<R>): Promise<void> {
    const b = this.opened;
    return b !== undefined ? b.push(item) : this.whenOpen().then((o) => o.push(item));
  }

  reserve(item: DeliveryItem<R>, signal?: AbortSignal): Promise<PushReservation> {
    const b = this.opened;
    return b !== undefined ? b.reserve(item, signal) : this.whenOpen().then((o) => o.reserve(item, signal));
  }

  flush(): Promise<void> {
    return this.opened?.flush() ?? this.inner.flush();
  }

  async shutdown(timeoutMs: number): Promise<ShutdownReport<R>> {
    if (this.opened === undefined && this.opening !== undefined) await this.opening.catch(() => {});
    if (this.opened !== undefined) return this.opened.shutdown(timeoutMs);
    this.closedUnopened ??= this.inner.shutdown(timeoutMs).then((r) => ({ ...r, buffered: 0, stats: this.stats() }));
    return this.closedUnopened;
  }

  stats(): DeliveryStats {
    return this.opened?.stats() ?? { ...this.inner.stats(), buffer: emptyBufferStats(this.o.maxBytes) };
  }

  bufferStats(): BufferStats {
    return this.opened?.bufferStats() ?? emptyBufferStats(this.o.maxBytes);
  }
}

/** The disk buffer of `o.dir` around `inner`; no file is touched until open(). */
export function createDiskBufferedDelivery<R>(
  inner: Delivery<R>,
  revive: ReviveInput<R>,
  o: DiskBufferOptions,
  hooks: DiskBufferHooks,
): DiskBufferedDelivery<R> {
  return new DiskBuffered(inner, revive, o, hooks);
}

/** createDiskBufferedDelivery, opened. */
export async function openDiskBufferedDelivery<R>(
  inner: Delivery<R>,
  revive: ReviveInput<R>,
  o: DiskBufferOptions,
  hooks: DiskBufferHooks,
): Promise<DiskBufferedDelivery<R>> {
  const d = createDiskBufferedDelivery(inner, revive, o, hooks);
  await d.open();
  return d;
}
