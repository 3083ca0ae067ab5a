// Build step of the pipeline: one route per configured exporter: the exporter (built-in or a
// `type: module` plugin), its filter, its mapper (trimmed fields left out, sensitive fields
// redacted), its delivery (queue, batching, retries) and, with `buffer.type: disk`, its disk buffer.

import {
  createDelivery,
  resolveDeliveryOptions,
  stateChangeLine,
  type Delivery,
  type FileDeadLetter,
  type HealthState,
} from '../delivery/index.ts';
import { DeliveryOptionError } from '../delivery/options.ts';
import type { Exporter } from '../model/exporter.ts';
import { formatOrigin } from '../model/records.ts';
import { EXPORTER_TYPES, type ExporterFactory } from '../exporters/registry.ts';
import { ExporterNotLoadedError } from '../exporters/kind.ts';
import { deliveryOptionsOf, mergedDelivery } from '../delivery/config-schema.ts';
import { formatOptionPath, OptionError, optionPathOf } from '../util/option-error.ts';
import { ConfigError, exporterOptions, type RunConfig } from '../config/run-config.ts';
import type { compileMappers } from './mappers.ts';
import { timedExporter, type ExporterTelemetry, type Telemetry } from '../telemetry/index.ts';
import { checkDiskBufferNames, openBuffer, resolveDataDir, withBuffer } from './disk-buffers.ts';
import type { IngestRoute } from './ingest.ts';
import type { UnwrittenCount } from './dead-letter-sink.ts';
import { encodingDelivery, takesEncodedRecords } from './encoded-otel.ts';
import { ecsBytesDelivery, ecsTextDelivery } from './queued-ecs.ts';
import { queuedItemSize } from './queued-item.ts';
import { deferredLogger, toLogger, type LogTarget } from '../util/log.ts';

export { compileMappers } from './mappers.ts';

type ExporterConfig = RunConfig['exporters'][number];

export interface Route extends IngestRoute, UnwrittenCount {
  /** Pushes we stopped waiting for (queue full at stop / 503) that the delivery refused at shutdown. */
  refusedAtShutdown: number;
  notAccepted: number;
  telemetry: ExporterTelemetry;
  filteredCount: number;
  /** Records the disk buffer held at start (from the previous run). */
  bufferedAtStart: number;
  /** Opens the disk buffer, if any (its directory locked and recovered): before the exporter starts. */
  openBuffer(): Promise<void>;
}

export interface RouteDeps {
  /** A Logger (src/util/log.ts), or a plain callback that gets every message. */
  log: LogTarget;
  telemetry: Telemetry;
  deadLetter?: FileDeadLetter;
  /** Factories of the `type: module` exporters, by `module`. */
  exporterModules?: ReadonlyMap<string, ExporterFactory>;
}

/**
 * Queue accounting: a mapped record holds about four times its input line in memory (measured on
 * the DNS capture: ~1.6 KB lines, ~6 KB of ECS / OTel objects), so the byte bound of each queue
 * follows the input instead of walking every record. A record queued as its bytes (otlp_http
 * protobuf, encoded-otel.ts) counts them exactly.
 */
function approxMemory(item: { input?: string; record?: unknown }): number {
  const encoded = queuedItemSize(item);
  if (encoded !== undefined) return encoded;
  return item.input === undefined ? 8192 : 512 + item.input.length * 4;
}

/** The exporter an entry names, and the label its messages carry. */
function createExporter(e: ExporterConfig, where: string, deps: RouteDeps): { exporter: Exporter; label: string } {
  const { type, module: spec } = e;
  const kind = EXPORTER_TYPES[type];
  const factory: ExporterFactory | undefined =
    type === 'module' ? deps.exporterModules?.get(spec ?? '') : kind && ((o, ctx) => kind.create(o, ctx));
  const at = optionPathOf(where);
  if (!factory && type === 'module')
    throw ConfigError.at(
      at,
      `exporter module "${spec}" is not loaded: build the pipeline with preparePipeline() (or pass exporterModules from loadExporterModules())`,
    );
  if (!factory) throw ConfigError.at([...at, 'type'], `unknown exporter "${type}"`);
  // a plugin without a configured name names itself
  const name = e.name ?? (type === 'module' ? undefined : type);
  let label = name ?? spec!;
  // the exporter's lines carry its label (a plugin without a configured name names itself once built)
  let log = toLogger(deps.log, { component: 'exporter', exporter: label }, `${label}: `);
  let exporter: Exporter;
  try {
    exporter = factory(
      { ...exporterOptions(e), ...(name === undefined ? {} : { name }) },
      { log: deferredLogger(() => log) },
    );
  } catch (err) {
    // a built-in kind names the config key it refuses (snake_case, below the entry)
    if (err instanceof OptionError) throw ConfigError.at([...at, ...err.path], err.reason);
    // an on-demand type (its client library) not loaded: createPipeline without preparePipeline
    if (err instanceof ExporterNotLoadedError) throw ConfigError.at(at, err.message);
    throw err;
  }
  if (label !== (e.name ?? exporter.name)) {
    label = e.name ?? exporter.name;
    log = toLogger(deps.log, { component: 'exporter', exporter: label }, `${label}: `);
  }
  return { exporter, label };
}

/** The in-memory delivery of one exporter, reporting to the log, the telemetry and the dead letter. */
function createMemoryDelivery(
  exporter: Exporter,
  options: Parameters<typeof createDelivery>[1],
  tel: ExporterTelemetry,
  deps: RouteDeps,
): Delivery {
  let health: HealthState = 'healthy';
  const { deadLetter } = deps;
  const log = toLogger(deps.log, { component: 'delivery', exporter: exporter.name });
  // one line per dead-lettered event would be a flood when a destination refuses everything: 5 per 10 s, then a count
  const perEvent = log.limited({ perInterval: 5 });
  return createDelivery(timedExporter(exporter, tel), options, {
    onDeadLetter: (item, reason) => {
      tel.deadLettered();
      perEvent.warn('dead-lettered', `${exporter.name}: ${formatOrigin(item.origin)}: dead-lettered: ${reason}`, {
        origin: formatOrigin(item.origin),
        reason,
      });
      if (deadLetter === undefined) return false; // not stored: a clearable failure stays unacked (docs/delivery.md)
      deadLetter.write({
        exporter: exporter.name,
        reason,
        origin: item.origin,
        record: item.record,
        input: item.input,
      });
      return true;
    },
    onDrop: (reason, count) => {
      tel.dropped(reason, count);
      log.warn(`${exporter.name}: dropped ${count}: ${reason}`, { reason, count });
    },
    onStateChange: (state, d) => {
      tel.stateChanged(state);
      log.log(state === 'healthy' ? 'info' : 'warn', stateChangeLine(exporter.name, health, state, d), { state });
      health = state;
    },
    onRetry: (r) => tel.retried(r.items),
  });
}

/** One exporter entry → its route. */
function buildRoute(
  config: RunConfig,
  e: ExporterConfig,
  i: number,
  mappers: ReturnType<typeof compileMappers>,
  deps: RouteDeps,
): Route {
  const where = `exporters[${i}]`;
  const { exporter, label } = createExporter(e, where, deps);
  const { accepts, mapper } = mappers.forExporter(e, exporter, where);
  const section = mergedDelivery(config.delivery, e.delivery);
  const merged: Parameters<typeof createDelivery>[1] = {
    sizeOf: approxMemory,
    ...deliveryOptionsOf(section),
  } as Parameters<typeof createDelivery>[1];
  // a bad value is reported where it was set: the exporter's own delivery, else the top-level one
  let bounds: ReturnType<typeof resolveDeliveryOptions>;
  try {
    bounds = resolveDeliveryOptions(merged);
  } catch (err) {
    if (!(err instanceof DeliveryOptionError)) throw err;
    const key = optionPathOf(err.path);
    const own = e.delivery !== undefined && (key[0] as string) in e.delivery;
    throw ConfigError.at([...(own ? optionPathOf(where) : []), 'delivery', ...key], err.reason);
  }
  let delivery: Delivery | undefined;
  // the configured name (the otlp_http exporter reports 'otlp_http' whatever its name)
  const tel = deps.telemetry.exporter(e.name ?? exporter.name, {
    read: () => delivery!.stats(),
    capacity: { items: bounds.maxQueueItems, bytes: bounds.maxQueueBytes },
  });
  const bufferCfg = section.buffer ?? {};
  // behind a disk buffer the queue is fed from disk: it waits for room, never drops (buffer.when_full decides)
  const innerOptions = bufferCfg.type === 'disk' ? { ...merged, whenFull: 'block' as const } : merged;
  delivery = createMemoryDelivery(exporter, innerOptions, tel, deps);
  // otlp_http protobuf: records wait in the queue as their LogRecord bytes
  if (takesEncodedRecords(exporter)) delivery = encodingDelivery(delivery);
  // ECS: records wait in the queue as their JSON's UTF-8 bytes; a plugin gets the JSON as a string
  // it may keep (the queue's bytes are reused once an item settled)
  else if (exporter.target === 'ecs')
    delivery = e.type === 'module' ? ecsTextDelivery(delivery) : ecsBytesDelivery(delivery);
  // a disk buffer (buffer.type disk) in front of the in-memory delivery; opened by route.openBuffer(), it replays from start()
  const buffered = withBuffer(bufferCfg, delivery, {
    name: label,
    dataDir: resolveDataDir(config),
    mapper,
    target: exporter.target,
    windowItems: bounds.maxQueueItems,
    log: toLogger(deps.log, { component: 'delivery', exporter: label }, `${label}: `),
    onDrop: (reason, count) => tel.dropped(reason, count),
  });
  delivery = buffered;
  const route: Route = {
    exporter,
    delivery,
    refusedAtShutdown: 0,
    unwrittenAtShutdown: 0,
    unwrittenReason: '',
    notAccepted: 0,
    telemetry: tel,
    filteredCount: 0,
    bufferedAtStart: 0,
    accepts,
    mapper,
    // a disk buffer holds pushed items in its window without retaining their slab pieces: encoded as queued
    mapsEncoded: takesEncodedRecords(exporter) && bufferCfg.type !== 'disk',
    filtered() {
      route.filteredCount++;
      tel.filtered();
    },
    openBuffer: () => openBuffer(buffered, label),
  };
  return route;
}

/** Every exporter's route (after the mapping compiled and the dead letter opened). */
export function buildRoutes(config: RunConfig, mappers: ReturnType<typeof compileMappers>, deps: RouteDeps): Route[] {
  checkDiskBufferNames(config);
  return config.exporters.map((e, i) => buildRoute(config, e, i, mappers, deps));
}
