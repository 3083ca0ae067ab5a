// The `buffer:` settings of the run config and the disk buffer of one exporter: which exporters get
// one, where (<data_dir>/buffer/<exporter name>), and how a replayed record is rebuilt (decode +
// map with that exporter's mapper: deterministic, so the event id / Elasticsearch _id is the same).

import path from 'node:path';
import {
  createDiskBufferedDelivery,
  type DiskBufferedDelivery,
  type DiskBufferOptions,
  type ReviveInput,
} from '../delivery/disk-buffer/index.ts';
import type { Delivery } from '../delivery/index.ts';
import type { RunConfig } from '../config/run-config.ts';
import { ConfigError } from '../config/run-config.ts';
import type { Mapper } from '../mapping/compile.ts';
import type { ExportTarget } from '../model/exporter.ts';
import type { EcsRecord, OtelRecord, TraceeRecord } from '../model/records.ts';
import { mapTo } from '../mapping/map-to.ts';
import { decodeText } from '../normalize/decode.ts';

export const DATA_DIR_ENV = 'TRACEE_EXPORTER_DATA_DIR';
export const DEFAULT_DATA_DIR = '/var/lib/tracee-exporter';

// the buffer's config model (schema, defaults, type) is the delivery's: src/delivery/config-schema.ts
export { BUFFER_DEFAULTS, type BufferConfig } from '../delivery/config-schema.ts';
import { BUFFER_DEFAULTS, type BufferConfig } from '../delivery/config-schema.ts';

/** config `data_dir`, else $TRACEE_EXPORTER_DATA_DIR, else /var/lib/tracee-exporter. */
export function resolveDataDir(config: RunConfig, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(config.data_dir ?? (env[DATA_DIR_ENV] || DEFAULT_DATA_DIR));
}

/** The exporter's buffer settings: the top-level `delivery.buffer` < `exporters[].delivery.buffer`, key by key. */
// validated with the config (config check runs it too): src/config/buffer-names.ts
export { bufferConfigOf, checkDiskBufferNames } from '../config/buffer-names.ts';

/** Rebuild a record from its input text with this exporter's mapper. */
export function reviveWith(mapper: Mapper, target: ExportTarget): ReviveInput<EcsRecord | OtelRecord | TraceeRecord> {
  return (input) => {
    const dec = decodeText(input);
    if (!dec.ok) return { ok: false, reason: dec.reason };
    return { ok: true, record: mapTo(mapper, target, dec.event) };
  };
}

export interface DiskBufferWiring {
  name: string;
  dataDir: string;
  mapper: Mapper;
  target: ExportTarget;
  /** The inner delivery's queue bound: records held in memory at most. */
  windowItems: number;
  log(message: string): void;
  onDrop(reason: string, count: number): void;
}

/** The exporter's delivery behind a disk buffer (opened by openBuffer), or the delivery itself for `type: memory` (default). */
export function withBuffer(
  cfg: BufferConfig,
  inner: Delivery,
  w: DiskBufferWiring,
): Delivery | DiskBufferedDelivery<EcsRecord | OtelRecord> {
  if (cfg.type !== 'disk') return inner;
  const options: DiskBufferOptions = {
    dir: path.join(w.dataDir, 'buffer', w.name),
    maxBytes: cfg.max_bytes ?? BUFFER_DEFAULTS.max_bytes,
    whenFull: cfg.when_full ?? BUFFER_DEFAULTS.when_full,
    fsync: cfg.fsync ?? BUFFER_DEFAULTS.fsync,
    fsyncIntervalMs: cfg.fsync_interval_ms ?? BUFFER_DEFAULTS.fsync_interval_ms,
    segmentBytes: cfg.segment_bytes,
    windowItems: w.windowItems,
  };
  return createDiskBufferedDelivery(inner, reviveWith(w.mapper, w.target), options, { log: w.log, onDrop: w.onDrop });
}

function diskBuffered(d: Delivery): DiskBufferedDelivery<unknown> | undefined {
  const b = d as Partial<DiskBufferedDelivery<unknown>>;
  return typeof b.open === 'function' && typeof b.start === 'function' && typeof b.bufferStats === 'function'
    ? (b as DiskBufferedDelivery<unknown>)
    : undefined;
}

/**
 * Opens a disk buffer (its directory locked, recovered: what is to replay) before its exporter
 * starts; no-op for an in-memory delivery. An error names the exporter.
 */
export async function openBuffer(d: Delivery, name: string): Promise<void> {
  const b = diskBuffered(d);
  if (b === undefined) return;
  try {
    await b.open();
  } catch (err) {
    throw new ConfigError(`exporter ${name}: ${(err as Error).message}`);
  }
}

/** Starts replaying a disk buffer (after its exporter started); no-op for an in-memory delivery. */
export function startBuffer(d: Delivery): void {
  diskBuffered(d)?.start();
}
