// The `buffer:` settings of the run config and the disk buffer of one exporter: which exporters get
// one, where (<data_dir>/buffer/<exporter name>), and how a replayed record is rebuilt (decode +
// map with that exporter's mapper: deterministic, so the event id / Elasticsearch _id is the same).

import path from 'node:path';
import { createDiskBufferedDelivery, type DiskBufferedDelivery, type DiskBufferOptions, type ReviveInput } from '../delivery/disk-buffer/index.ts';
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

/** As written in the config (snake_case). */
export interface BufferConfig {
  type?: 'memory' | 'disk';
  max_bytes?: number;
  when_full?: 'block' | 'drop_oldest';
  fsync?: 'always' | 'interval' | 'never';
  fsync_interval_ms?: number;
  segment_bytes?: number;
}

export const BUFFER_DEFAULTS = {
  max_bytes: 256 * 1024 * 1024,
  when_full: 'block',
  fsync: 'interval',
  fsync_interval_ms: 500,    // Vector's disk buffer syncs every 500 ms
} as const;

type ExporterConfig = RunConfig['exporters'][number];

/** config `data_dir`, else $TRACEE_EXPORTER_DATA_DIR, else /var/lib/tracee-exporter. */
export function resolveDataDir(config: RunConfig, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(config.data_dir ?? (env[DATA_DIR_ENV] || DEFAULT_DATA_DIR));
}

/** The exporter's buffer settings: top-level `delivery.buffer` < `exporters[].delivery.buffer` < `exporters[].buffer`. */
export function bufferConfigOf(config: RunConfig, e: ExporterConfig): BufferConfig {
  const top = (config.delivery as { buffer?: BufferConfig } | undefined)?.buffer;
  const own = (e.delivery as { buffer?: BufferConfig } | undefined)?.buffer;
  return { ...(top ?? {}), ...(own ?? {}), ...((e.buffer as BufferConfig | undefined) ?? {}) };
}

const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Disk buffers live in a directory per exporter name: those names must be unique and usable as a directory name. */
export function checkDiskBufferNames(config: RunConfig): void {
  const nameOf = (e: ExporterConfig) => e.name ?? (e.type === 'module' ? String(e.module) : e.type);
  const firstIndex = new Map<string, number>();
  config.exporters.forEach((e, i) => { if (!firstIndex.has(nameOf(e))) firstIndex.set(nameOf(e), i); });
  config.exporters.forEach((e, i) => {
    if (bufferConfigOf(config, e).type !== 'disk') return;
    const name = nameOf(e);
    if (!SAFE_NAME.test(name)) {
      throw new ConfigError(`exporters[${i}].name: "${name}" cannot name a buffer directory (<data_dir>/buffer/<name>): use letters, digits, _ . -`);
    }
    const other = config.exporters.findIndex((x, k) => k !== i && nameOf(x) === name);
    if (other >= 0) {
      throw new ConfigError(`exporters[${i}].name: "${name}" is also the name of exporters[${other}]: an exporter with a disk buffer needs a unique name (its buffer is <data_dir>/buffer/${name})`);
    }
  });
}

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

/** The exporter's delivery behind a disk buffer, or the delivery itself for `type: memory` (default). */
export function withBuffer(cfg: BufferConfig, inner: Delivery, w: DiskBufferWiring): Delivery | DiskBufferedDelivery<EcsRecord | OtelRecord> {
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
  try {
    return createDiskBufferedDelivery(inner, reviveWith(w.mapper, w.target), options, { log: w.log, onDrop: w.onDrop });
  } catch (err) {
    throw new ConfigError(`exporter ${w.name}: ${(err as Error).message}`);
  }
}

/** Starts replaying a disk buffer (after its exporter started); no-op for an in-memory delivery. */
export function startBuffer(d: Delivery): void {
  const b = d as Partial<DiskBufferedDelivery<unknown>>;
  if (typeof b.start === 'function' && typeof b.bufferStats === 'function') b.start();
}
