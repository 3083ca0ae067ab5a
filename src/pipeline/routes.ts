// Build step of the pipeline: one route per configured exporter: the exporter (built-in or a
// `type: module` plugin), its filter, its mapper (trimmed fields left out, sensitive fields
// redacted), its delivery (queue, batching, retries) and, with `buffer.type: disk`, its disk buffer.

import { createDelivery, resolveDeliveryOptions, stateChangeLine, type Delivery, type FileDeadLetter, type HealthState } from '../delivery/index.ts';
import { compileMapper, type Mapper } from '../mapping/compile.ts';
import { checkOverride, loadMappingTables, readTableFile } from '../mapping/load.ts';
import { loadTrimGroups, trimDrops, trimKey, withDrops } from '../mapping/trim.ts';
import { redactingMappers } from '../mapping/redact.ts';
import type { Exporter } from '../model/exporter.ts';
import { formatOrigin } from '../model/records.ts';
import { builtinExporter, type ExporterFactory } from '../exporters/registry.ts';
import { detectNodeInfo } from '../config/node-info.ts';
import { ConfigError, exporterOptions, type RunConfig } from '../config/run-config.ts';
import { timedExporter, type ExporterTelemetry, type Telemetry } from '../telemetry/index.ts';
import { bufferConfigOf, checkDiskBufferNames, resolveDataDir, withBuffer } from './disk-buffers.ts';
import { compileFilter } from '../mapping/event-filter.ts';
import type { IngestRoute } from './ingest.ts';
import type { UnwrittenCount } from './dead-letter-sink.ts';

type ExporterConfig = RunConfig['exporters'][number];

export interface Route extends IngestRoute, UnwrittenCount {
  /** Pushes we stopped waiting for (queue full at stop / 503) that the delivery refused at shutdown. */
  refusedAtShutdown: number;
  notAccepted: number;
  telemetry: ExporterTelemetry;
  filteredCount: number;
  /** Records the disk buffer held at start (from the previous run). */
  bufferedAtStart: number;
}

export interface RouteDeps {
  log(line: string): void;
  telemetry: Telemetry;
  deadLetter?: FileDeadLetter;
  /** Factories of the `type: module` exporters, by `module`. */
  exporterModules?: ReadonlyMap<string, ExporterFactory>;
}

/**
 * Queue accounting: a mapped record holds about four times its input line in memory (measured on
 * the DNS capture: ~1.6 KB lines, ~6 KB of ECS / OTel objects), so the byte bound of each queue
 * follows the input instead of walking every record.
 */
function approxMemory(item: { input?: string }): number {
  return item.input === undefined ? 8192 : 512 + item.input.length * 4;
}

/** The mapping tables (built-in + config files + overrides) compiled, and the per-exporter variants of the mapper. */
export function compileMappers(config: RunConfig) {
  const overrides = [
    ...(config.mapping?.files ?? []).map((f) => readTableFile(f)),
    ...(config.mapping?.overrides ? [checkOverride('config mapping.overrides', config.mapping.overrides)] : []),
  ];
  const tables = loadMappingTables(undefined, overrides);
  const node = detectNodeInfo(config.node ?? {});
  const mapper: Mapper = compileMapper(tables, { node });
  // exporters with the same trimmed fields share one mapper; '' = untrimmed
  const trimmed = new Map<string, Mapper>([['', mapper]]);
  let trimGroups: ReturnType<typeof loadTrimGroups> | undefined;
  const redacted = redactingMappers();
  /** This exporter's filter and mapper; a bad setting is a ConfigError naming `where`. */
  function forExporter(e: ExporterConfig, exporter: Exporter, where: string): Pick<IngestRoute, 'accepts'> & { mapper: Mapper } {
    try {
      const accepts = compileFilter(e.filter, tables.lookups, `${where}.filter`);
      let routeMapper = mapper;
      if ((e.trim ?? []).length > 0 || (e.drop_fields ?? []).length > 0) {
        const drops = trimDrops({ trim: e.trim, drop_fields: e.drop_fields, target: exporter.target }, trimGroups ??= loadTrimGroups(), mapper, where);
        const key = trimKey(drops);
        if (!trimmed.has(key)) trimmed.set(key, compileMapper(withDrops(tables, drops), { node }));
        routeMapper = trimmed.get(key)!;
      }
      // sensitive event fields (mappings/redact.yaml), per exporter: `redact:` (default: default)
      return { accepts, mapper: redacted(routeMapper, e.redact, where) };
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }
  return { mapper, forExporter };
}

/** The exporter an entry names, and the label its messages carry. */
function createExporter(e: ExporterConfig, where: string, deps: RouteDeps): { exporter: Exporter; label: string } {
  const { type, module: spec } = e;
  const builtin = type === 'module' ? undefined : builtinExporter(type);
  if (builtin === 'not loaded') throw new ConfigError(`${where}: exporter type "${type}" is not loaded: build the pipeline with preparePipeline() (or call loadExporterModules() first)`);
  const factory = type === 'module' ? deps.exporterModules?.get(spec ?? '') : builtin;
  if (!factory && type === 'module') throw new ConfigError(`${where}: exporter module "${spec}" is not loaded: build the pipeline with preparePipeline() (or pass exporterModules from loadExporterModules())`);
  if (!factory) throw new ConfigError(`${where}.type: unknown exporter "${type}"`);
  // a plugin without a configured name names itself
  const name = e.name ?? (type === 'module' ? undefined : type);
  let label = name ?? spec!;
  const exporter = factory({ ...exporterOptions(e), ...(name === undefined ? {} : { name }) }, { log: (m) => deps.log(`${label}: ${m}`) });
  label = e.name ?? exporter.name;
  return { exporter, label };
}

/** The in-memory delivery of one exporter, reporting to the log, the telemetry and the dead letter. */
function createMemoryDelivery(exporter: Exporter, options: Parameters<typeof createDelivery>[1], tel: ExporterTelemetry, deps: RouteDeps): Delivery {
  let health: HealthState = 'healthy';
  const { deadLetter, log } = deps;
  return createDelivery(timedExporter(exporter, tel), options, {
    onDeadLetter: (item, reason) => {
      tel.deadLettered();
      log(`${exporter.name}: ${formatOrigin(item.origin)}: dead-lettered: ${reason}`);
      if (deadLetter === undefined) return false;   // not stored: a clearable failure stays unacked (docs/delivery.md)
      deadLetter.write({ exporter: exporter.name, reason, origin: item.origin, record: item.record, input: item.input });
      return true;
    },
    onDrop: (reason, count) => {
      tel.dropped(reason, count);
      log(`${exporter.name}: dropped ${count}: ${reason}`);
    },
    onStateChange: (state, d) => {
      tel.stateChanged(state);
      log(stateChangeLine(exporter.name, health, state, d));
      health = state;
    },
    onRetry: (r) => tel.retried(r.items),
  });
}

/** One exporter entry → its route. */
function buildRoute(config: RunConfig, e: ExporterConfig, i: number, mappers: ReturnType<typeof compileMappers>, deps: RouteDeps): Route {
  const where = `exporters[${i}]`;
  const { exporter, label } = createExporter(e, where, deps);
  const { accepts, mapper } = mappers.forExporter(e, exporter, where);
  const merged = { sizeOf: approxMemory, ...(config.delivery ?? {}), ...(e.delivery ?? {}) };
  const bounds = resolveDeliveryOptions(merged);
  let delivery: Delivery | undefined;
  // the configured name (the otlp_http exporter reports 'otlp_http' whatever its name)
  const tel = deps.telemetry.exporter(e.name ?? exporter.name, {
    read: () => delivery!.stats(),
    capacity: { items: bounds.maxQueueItems, bytes: bounds.maxQueueBytes },
  });
  const bufferCfg = bufferConfigOf(config, e);
  // behind a disk buffer the queue is fed from disk: it waits for room, never drops (buffer.when_full decides)
  const innerOptions = bufferCfg.type === 'disk' ? { ...merged, whenFull: 'block' as const } : merged;
  delivery = createMemoryDelivery(exporter, innerOptions, tel, deps);
  // a disk buffer (buffer.type disk) in front of the in-memory delivery; it replays from start()
  delivery = withBuffer(bufferCfg, delivery, {
    name: label, dataDir: resolveDataDir(config), mapper, target: exporter.target, windowItems: bounds.maxQueueItems,
    log: (m) => deps.log(`${label}: ${m}`), onDrop: (reason, count) => tel.dropped(reason, count),
  });
  const route: Route = {
    exporter, delivery, refusedAtShutdown: 0, unwrittenAtShutdown: 0, unwrittenReason: '', notAccepted: 0, telemetry: tel, filteredCount: 0, bufferedAtStart: 0, accepts, mapper,
    filtered() { route.filteredCount++; tel.filtered(); },
  };
  return route;
}

/** Every exporter's route (after the mapping compiled and the dead letter opened). */
export function buildRoutes(config: RunConfig, mappers: ReturnType<typeof compileMappers>, deps: RouteDeps): Route[] {
  checkDiskBufferNames(config);
  return config.exporters.map((e, i) => buildRoute(config, e, i, mappers, deps));
}
