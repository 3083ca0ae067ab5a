// The only wiring place: sources → decode/normalize → per-exporter filter → map (once per target
// and trim set) → one delivery per exporter → exporters. Every input record ends counted: mapped
// and handed to every exporter whose filter wants it, filtered out by all, or rejected (stderr +
// dead letter, with its origin). createPipeline is the list of steps: build the routes
// (routes.ts), start the sources by their kind (run-sources.ts, src/sources/registry.ts), wait,
// drain every delivery within the shutdown deadline and report (drain.ts, summary.ts).

import type { Readable } from 'node:stream';
import { createDeadLetterWriter, type FileDeadLetter } from '../delivery/index.ts';
import type { Mapper } from '../mapping/compile.ts';
import { formatOrigin } from '../model/records.ts';
import type { Ingest, SourceContext } from '../sources/types.ts';
import { SOURCE_TYPES } from '../sources/registry.ts';
import type { WebhookStats } from '../sources/webhook/index.ts';
import type { ForwardStats } from '../sources/forward/index.ts';
import { loadExporterModule } from '../exporters/plugin.ts';
import { loadExporterTypes, type ExporterFactory } from '../exporters/registry.ts';
import { ConfigError, type RunConfig } from '../config/run-config.ts';
import { createTelemetry, type Telemetry } from '../telemetry/index.ts';
import { createRejectionLog } from './rejection-log.ts';
import type { IngestDeps } from './ingest.ts';
import { createRunIngest } from './workers/pooled-ingest.ts';
import {
  createMemoryLimiter,
  MEMORY_LIMIT_DEFAULT_MIB,
  withMemoryLimit,
  type MemoryLimiter,
} from '../delivery/memory-limit.ts';
import { resolveDataDir, startBuffer } from './disk-buffers.ts';
import { buildRoutes, compileMappers, type Route } from './routes.ts';
import { deadLetterEvent, writeDeadLetter } from './dead-letter-sink.ts';
import { runSources, type SourceConfig } from './run-sources.ts';
import { drainRoutes } from './drain.ts';
import { toLogger, type LogTarget } from '../util/log.ts';
import type { RunSummary } from './summary.ts';

export { ledgerGap } from './summary.ts';
export type { ExporterLedger, ExporterSummary, RunSummary } from './summary.ts';

/** The soft memory limit (memory_limit_mib): sources wait over it until the deliveries drain; nothing dropped. */
function memoryLimiterOf(config: RunConfig, routes: Route[], log: (line: string) => void): MemoryLimiter | undefined {
  const mib = config.memory_limit_mib ?? MEMORY_LIMIT_DEFAULT_MIB;
  if (mib <= 0) return undefined;
  return createMemoryLimiter({
    limitBytes: mib * 1048576,
    drained: () =>
      routes.every((r) => {
        const s = r.delivery.stats();
        return s.queuedItems === 0 && s.inFlightItems === 0;
      }),
    onChange: (waiting, used) => {
      if (waiting)
        toLogger(log).warn(
          `memory ${Math.round(used / 1048576)} MiB over memory_limit_mib ${mib}: sources wait until deliveries drain`,
        );
    },
  });
}

export interface PipelineIO {
  stdin: Readable;
  /** A Logger (src/util/log.ts), or a plain callback that gets every message. */
  log: LogTarget;
}

export interface WebhookHandle {
  url: string;
  stats(): WebhookStats;
}
export interface ForwardHandle {
  address: string;
  stats(): ForwardStats;
}
export interface ReadyInfo {
  webhooks: WebhookHandle[];
  forwards?: ForwardHandle[];
}

export interface Pipeline {
  run(): Promise<RunSummary>;
  /** Stop reading and accepting; what was accepted is still delivered (within the shutdown deadline). */
  stop(): void;
  /** Resolves once the exporters started and every webhook listens (rejects if run() fails first). */
  ready(): Promise<ReadyInfo>;
  /** decode → map → push, for a push-style source (see src/sources/types.ts). */
  ingest: Ingest;
}

export interface PipelineOptions {
  shutdownTimeoutMs?: number;
  /** Where the pipeline reports its phase and counts (/metrics, /readyz, progress log); default: a private one. */
  telemetry?: Telemetry;
  /** Factories of the `type: module` exporters, by `module` (loadExporterModules; preparePipeline does it). */
  exporterModules?: ReadonlyMap<string, ExporterFactory>;
  /** @internal (tests): the worker threads' entry script with `workers: N` (default: src/pipeline/workers/worker-main.ts, or dist/pipeline-worker.js in the bundle). */
  workerScript?: URL | string;
}

/**
 * Import every `type: module` exporter of the config (docs/exporters/plugins.md); errors name the
 * exporter and module. The built-in types loaded on demand (src/exporters/registry.ts) are imported too.
 */
export async function loadExporterModules(config: RunConfig): Promise<Map<string, ExporterFactory>> {
  await loadExporterTypes(config.exporters.map((e) => e.type));
  const out = new Map<string, ExporterFactory>();
  for (const [i, e] of config.exporters.entries()) {
    if (e.type !== 'module' || out.has(e.module!)) continue;
    // relative paths were made absolute against the config file by parseRunConfig; else the cwd
    out.set(
      e.module!,
      await loadExporterModule(e.module!, process.cwd(), `exporters[${i}]${e.name ? ` (${e.name})` : ''}`),
    );
  }
  return out;
}

/** createPipeline after loading the config's third-party exporter modules (what the CLI uses). */
export async function preparePipeline(
  config: RunConfig,
  io: PipelineIO,
  opts: PipelineOptions = {},
): Promise<Pipeline> {
  await loadExporterTypes(config.exporters.map((e) => e.type));
  return createPipeline(config, io, {
    ...opts,
    exporterModules: opts.exporterModules ?? (await loadExporterModules(config)),
  });
}

/** How a run stops: stop() aborts the signal the sources read, and destroys the streams they handed over. */
function createStopping(telemetry: Telemetry) {
  const signal = new AbortController();
  const streams: Array<{ destroy?(): unknown }> = [];
  return {
    signal: signal.signal,
    destroyOnStop: (s: { destroy?(): unknown }) => {
      streams.push(s);
    },
    stop(): void {
      if (telemetry.phase() !== 'stopped') telemetry.phaseChanged('stopping');
      signal.abort();
      for (const s of streams) s.destroy?.();
    },
  };
}

/** What becomes of bad input and of pushes a delivery refused: counted, logged, dead-lettered. */
function refusalHandlers(
  counts: RunSummary,
  telemetry: Telemetry,
  deadLetter: FileDeadLetter | undefined,
  log: (line: string) => void,
): Omit<IngestDeps, 'mapper' | 'routes' | 'counts' | 'telemetry'> & { stopLog(): void } {
  let deadLetterError: string | undefined; // logged once
  // a flood of bad input is a few lines per client and interval, not one line per bad line
  const rejectionLog = createRejectionLog(log);
  telemetry.clientRejections?.(() => rejectionLog.counts());
  return {
    reject(origin, reason, input, code) {
      counts.rejected++;
      telemetry.eventRejected(origin.source, code);
      rejectionLog.note(origin, reason, code);
      // a failed dead letter must not stop the source: the line is counted and logged above
      writeDeadLetter(deadLetter, { exporter: 'input', reason, origin, input }, (err) => {
        if (err.message !== deadLetterError)
          toLogger(log).error(
            `${err.message}: cannot write rejected input any more (still counted and logged with its origin)`,
          );
        deadLetterError = err.message;
      });
    },
    pushFailed(route, item, err) {
      const r = route as Route;
      // log the first and then every 1000th: a failing disk fails every push
      if (r.notAccepted++ % 1000 === 0)
        toLogger(log).error(
          `${route.exporter.name}: ${formatOrigin(item.origin)}: not accepted (${r.notAccepted} so far): ${err.message}`,
          {
            component: 'delivery',
            exporter: route.exporter.name,
            origin: formatOrigin(item.origin),
            count: r.notAccepted,
          },
        );
      deadLetterEvent(deadLetter, route.exporter.name, `not accepted: ${err.message}`, item, r);
    },
    lateRefusal(route, item, err) {
      (route as Route).refusedAtShutdown++;
      // runs in a promise's catch: a throw here would be an unhandled rejection (deadLetterEvent never throws)
      deadLetterEvent(
        deadLetter,
        route.exporter.name,
        `shutdown: not accepted before the deadline (${err.message})`,
        item,
        route as Route,
      );
    },
    stopLog: () => rejectionLog.stop(),
  };
}

/** Every source entry names a registered source type. */
function checkSourceTypes(sources: SourceConfig[]): void {
  sources.forEach((s, i) => {
    if (SOURCE_TYPES[s.type] === undefined) throw ConfigError.at(['sources', i, 'type'], `unknown source "${s.type}"`);
  });
}

/** Disk buffers open (recovered, locked); if one cannot, those opened are closed again. */
async function openBuffers(routes: Route[]): Promise<void> {
  for (let i = 0; i < routes.length; i++) {
    try {
      await routes[i].openBuffer();
    } catch (err) {
      await Promise.all(routes.slice(0, i).map((r) => r.delivery.shutdown(0)));
      throw err;
    }
  }
}

/** Disk buffers open, exporters start, then the buffers replay; a failure fails ready() and run(). */
async function startRoutes(routes: Route[], telemetry: Telemetry, ready: { reject(err: Error): void }): Promise<void> {
  telemetry.phaseChanged('starting');
  try {
    await openBuffers(routes);
    for (const r of routes) await r.exporter.start();
  } catch (err) {
    telemetry.phaseChanged('stopped');
    ready.reject(err as Error);
    throw err;
  }
  for (const r of routes) {
    startBuffer(r.delivery);
    r.bufferedAtStart = r.delivery.stats().buffer?.events ?? 0;
  }
}

/** The configured dead letter, reported in the telemetry; undefined without `dead_letter`. */
function openDeadLetter(
  config: RunConfig,
  telemetry: Telemetry,
  log: (line: string) => void,
): FileDeadLetter | undefined {
  const dl = config.dead_letter;
  if (!dl) return undefined;
  const deadLetter = createDeadLetterWriter(dl.path, { maxBytes: dl.max_bytes, maxFiles: dl.max_files, log });
  telemetry.deadLetter(deadLetter.rotation);
  return deadLetter;
}

export function createPipeline(config: RunConfig, io: PipelineIO, opts: PipelineOptions = {}): Pipeline {
  const telemetry = opts.telemetry ?? createTelemetry();
  io = { ...io, log: toLogger(io.log, { component: 'pipeline' }) }; // structured (src/util/log.ts) from here on
  const sources: SourceConfig[] = config.sources ?? [{ type: 'stdin' as const }];
  checkSourceTypes(sources);
  const mappers = compileMappers(config);
  const deadLetter = openDeadLetter(config, telemetry, io.log);
  const routes = buildRoutes(config, mappers, {
    log: io.log,
    telemetry,
    deadLetter,
    exporterModules: opts.exporterModules,
  });
  const counts: RunSummary = { received: 0, mapped: 0, rejected: 0, filteredOut: 0, sourceErrors: 0, exporters: [] };
  const refusals = refusalHandlers(counts, telemetry, deadLetter, io.log);
  // `workers: N`: decode + map in N worker threads (src/pipeline/workers/)
  const core = createRunIngest(
    config,
    { mapper: mappers.mapper, routes, counts, telemetry, ...refusals },
    mappers.node,
    io.log,
    opts.workerScript,
  );
  const ingest = withMemoryLimit(core.ingest, memoryLimiterOf(config, routes, io.log));
  const stopping = createStopping(telemetry);
  const ready = readySignal();
  const context = (where: string): SourceContext => ({
    ingest,
    log: io.log,
    where,
    signal: stopping.signal,
    stdin: io.stdin,
    dataDir: resolveDataDir(config),
    telemetry,
    error: (what, err) => {
      counts.sourceErrors++;
      toLogger(io.log).error(`${what}: cannot read: ${err.message}`, { component: 'source' });
    },
    destroyOnStop: stopping.destroyOnStop,
  });

  async function run(): Promise<RunSummary> {
    await startRoutes(routes, telemetry, ready);
    const started = runSources(sources, {
      kinds: SOURCE_TYPES,
      context,
      log: io.log,
      signal: stopping.signal,
      stop: stopping.stop,
      sourceError: () => {
        counts.sourceErrors++;
      },
    });
    try {
      const listening = await started.listen();
      if (!stopping.signal.aborted) telemetry.phaseChanged('running');
      ready.resolve(listening as unknown as ReadyInfo);
      started.pull();
      await started.finished();
    } finally {
      await core.close(); // the sources ended: every chunk was taken
      telemetry.phaseChanged('stopping'); // the input ended or stop(): flushing
      refusals.stopLog();
      ready.resolve({ webhooks: [] }); // no-op when already resolved
      await drainRoutes(routes, opts.shutdownTimeoutMs ?? 30_000, deadLetter, io.log, counts.exporters);
      // the final commit: offsets of what the deliveries settled while flushing
      await started.closeAtEnd();
      await deadLetter?.close();
      telemetry.phaseChanged('stopped');
    }
    return counts;
  }

  return { ingest, ready: () => ready.promise, stop: stopping.stop, run };
}

/** ready(): resolved once the sources listen, rejected if the exporters cannot start. */
function readySignal() {
  let resolve!: (info: ReadyInfo) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<ReadyInfo>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {
    /* reported by run() */
  });
  return { promise, resolve, reject };
}
