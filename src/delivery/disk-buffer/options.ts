// The disk buffer's settings, hooks and public face.

import type { BufferStats, Delivery } from '../types.ts';
import type { FsyncPolicy } from './segment-writer.ts';

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
  /**
   * Recover the directory (lock it, cut a torn tail, drop acknowledged segments) and open a new
   * active segment. Pushes wait for it; call it once, before start(). Idempotent.
   */
  open(): Promise<void>;
  /** Begin feeding the inner delivery (after the exporter started): replay first, then live records. */
  start(): void;
  bufferStats(): BufferStats;
}

export const DISK_BUFFER_DEFAULTS = {
  windowItems: 10_000,
  checkpointIntervalMs: 1_000,
  readChunkBytes: 1024 * 1024,
} as const;

export function segmentBytesOf(o: Pick<DiskBufferOptions, 'maxBytes' | 'segmentBytes'>): number {
  return o.segmentBytes ?? Math.min(64 * 1024 * 1024, Math.max(64 * 1024, Math.floor(o.maxBytes / 8)));
}
