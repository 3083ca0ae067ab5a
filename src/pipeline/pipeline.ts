// The only wiring place: sources → decode/normalize → per-exporter filter → map (once per target
// and trim set) → one delivery per exporter → exporters. Every input record ends counted: mapped
// and handed to every exporter whose filter wants it, filtered out by all, or rejected (stderr +
// dead letter, with its origin). Sources run concurrently: pull sources (stdin,
// file) feed `ingest` from their stream, push sources (webhook) call it once per request. On stop,
// pull sources stop reading, push sources stop accepting and finish their in-flight requests; then
// every delivery flushes within the shutdown deadline.

import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { createDeadLetterWriter, createDelivery, resolveDeliveryOptions, stateChangeLine, type FileDeadLetter, type Delivery, type DeliveryStats, type HealthState } from '../delivery/index.ts';
import { compileMapper, type Mapper } from '../mapping/compile.ts';
import { checkOverride, loadMappingTables, readTableFile } from '../mapping/load.ts';
import type { Exporter } from '../model/exporter.ts';
import { formatOrigin, type Origin } from '../model/records.ts';
import { readRecords } from '../sources/read-records.ts';
import { createFileSource, type FileSource } from '../sources/files/file-source.ts';
import { fileSourceOptions } from '../sources/files/config.ts';
import type { Ingest } from '../sources/types.ts';
import { createWebhookSource, type WebhookStats } from '../sources/webhook/index.ts';
import { createForwardSource, type ForwardStats } from '../sources/forward/index.ts';
import { createRejectionLog } from './rejection-log.ts';
import { createIngest, type IngestRoute } from './ingest.ts';
import { createMemoryLimiter, MEMORY_LIMIT_DEFAULT_MIB, withMemoryLimit, type MemoryLimiter } from '../delivery/memory-limit.ts';
import { bufferConfigOf, checkDiskBufferNames, resolveDataDir, startBuffer, withBuffer } from './disk-buffers.ts';
import { compileFilter } from './filter.ts';
import { loadTrimGroups, trimDrops, trimKey, withDrops } from '../mapping/trim.ts';
import { redactingMappers } from '../mapping/redact.ts';
import { EXPORTER_TYPES, type ExporterFactory } from '../exporters/registry.ts';
import { loadExporterModule } from '../exporters/plugin.ts';
import { detectNodeInfo } from '../config/node-info.ts';
import type { RunConfig } from '../config/run-config.ts';
import { ConfigError, exporterOptions } from '../config/run-config.ts';
import { createTelemetry, timedExporter, type ExporterTelemetry, type Telemetry } from '../telemetry/index.ts';

/**
 * Queue accounting: a mapped record holds about four times its input line in memory (measured on
 * the DNS capture: ~1.6 KB lines, ~6 KB of ECS / OTel objects), so the byte bound of each queue
 * follows the input instead of walking every record.
 */
function approxMemory(item: { input?: string }): number {
  return item.input === undefined ? 8192 : 512 + item.input.length * 4;
}

/** The soft memory limit (memory_limit_mib): sources wait over it until the deliveries drain; nothing dropped. */
function memoryLimiterOf(config: RunConfig, routes: Array<{ delivery: Delivery }>, log: (line: string) => void): MemoryLimiter | undefined {
  const mib = config.memory_limit_mib ?? MEMORY_LIMIT_DEFAULT_MIB;
  if (mib <= 0) return undefined;
  return createMemoryLimiter({
    limitBytes: mib * 1048576,
    drained: () => routes.every((r) => { const s = r.delivery.stats(); return s.queuedItems === 0 && s.inFlightItems === 0; }),
    onChange: (waiting, used) => { if (waiting) log(`memory ${Math.round(used / 1048576)} MiB over memory_limit_mib ${mib}: sources wait until deliveries drain`); },
  });
}

export interface PipelineIO {
  stdin: Readable;
  log(line: string): void;
}

export interface ExporterSummary {
  name: string; stats: DeliveryStats; pendingAtShutdown: number;
  /** Pushes the delivery refused while running (a disk buffer that could not write): dead-lettered. */
  notAccepted: number;
  /** Events this exporter's filter excluded (never pushed to it). */
  filtered: number;
  /** What became of the events, reconciled: entered = every other field added up (a test asserts it). */
  ledger: ExporterLedger;
}

/**
 * One exporter's events at the end of a run. entered (filtered + handed to its delivery this run + what its disk
 * buffer held at start) = delivered + duplicates + deadLettered + dropped + buffered + unsettled + filtered.
 */
export interface ExporterLedger {
  entered: number;
  delivered: number;
  duplicates: number;
  /** By kind: rejected | destination_state | retries_exhausted | shutdown_deadline | not_accepted. */
  deadLettered: Record<string, number>;
  dropped: number;
  /** Left in the disk buffer for the next start. */
  buffered: number;
  /** Not delivered and not stored in the dead letter (none configured, or it failed): not acked, so a file source re-reads them. */
  unsettled: number;
  filtered: number;
}

/** entered − the sum of the outcomes: 0 when the ledger reconciles. */
export function ledgerGap(l: ExporterLedger): number {
  const dl = Object.values(l.deadLettered).reduce((a, b) => a + b, 0);
  return l.entered - (l.delivered + l.duplicates + dl + l.dropped + l.buffered + l.unsettled + l.filtered);
}
export interface RunSummary {
  received: number; mapped: number; rejected: number;
  /** Decoded events every exporter's filter excluded (not mapped): received = mapped + rejected + filteredOut. */
  filteredOut: number;
  /** Sources that failed (cannot read a file, cannot listen): the run is not a success. */
  sourceErrors: number;
  exporters: ExporterSummary[];
}

interface Route extends IngestRoute {
  /** Pushes we stopped waiting for (queue full at stop / 503) that the delivery refused at shutdown. */
  refusedAtShutdown: number;
  /** Undelivered at shutdown and not written to the dead letter either (it failed): logged with the count. */
  unwrittenAtShutdown: number;
  unwrittenReason: string;
  notAccepted: number;
  telemetry: ExporterTelemetry;
  filteredCount: number;
  /** Records the disk buffer held at start (from the previous run). */
  bufferedAtStart: number;
}

export interface WebhookHandle { url: string; stats(): WebhookStats }
export interface ForwardHandle { address: string; stats(): ForwardStats }
export interface ReadyInfo { webhooks: WebhookHandle[]; forwards?: ForwardHandle[] }

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
}

/** Import every `type: module` exporter of the config (docs/exporters/plugins.md); errors name the exporter and module. */
export async function loadExporterModules(config: RunConfig): Promise<Map<string, ExporterFactory>> {
  const out = new Map<string, ExporterFactory>();
  for (const [i, e] of config.exporters.entries()) {
    if (e.type !== 'module' || out.has(e.module!)) continue;
    // relative paths were made absolute against the config file by parseRunConfig; else the cwd
    out.set(e.module!, await loadExporterModule(e.module!, process.cwd(), `exporters[${i}]${e.name ? ` (${e.name})` : ''}`));
  }
  return out;
}

/** createPipeline after loading the config's third-party exporter modules (what the CLI uses). */
export async function preparePipeline(config: RunConfig, io: PipelineIO, opts: PipelineOptions = {}): Promise<Pipeline> {
  return createPipeline(config, io, { ...opts, exporterModules: opts.exporterModules ?? await loadExporterModules(config) });
}

export function createPipeline(config: RunConfig, io: PipelineIO, opts: PipelineOptions = {}): Pipeline {
  const telemetry = opts.telemetry ?? createTelemetry();
  const overrides = [
    ...(config.mapping?.files ?? []).map((f) => readTableFile(f)),
    ...(config.mapping?.overrides ? [checkOverride('config mapping.overrides', config.mapping.overrides)] : []),
  ];
  const tables = loadMappingTables(undefined, overrides);
  const node = detectNodeInfo(config.node ?? {});
  const mapper: Mapper = compileMapper(tables, { node });
  // exporters with the same trimmed fields share one mapper; '' = untrimmed
  const mappers = new Map<string, Mapper>([['', mapper]]);
  let trimGroups: ReturnType<typeof loadTrimGroups> | undefined;
  const dl = config.dead_letter;
  const redacted = redactingMappers();
  const deadLetter: FileDeadLetter | undefined = dl ? createDeadLetterWriter(dl.path, { maxBytes: dl.max_bytes, maxFiles: dl.max_files, log: io.log }) : undefined;
  if (deadLetter) telemetry.deadLetter(deadLetter.rotation);
  checkDiskBufferNames(config);
  const routes: Route[] = config.exporters.map((e, i) => {
    const { type, delivery: deliveryOptions, filter, trim, drop_fields, module: spec } = e;
    const where = `exporters[${i}]`;
    const factory = type === 'module' ? opts.exporterModules?.get(spec ?? '') : EXPORTER_TYPES[type];
    if (!factory && type === 'module') throw new ConfigError(`${where}: exporter module "${spec}" is not loaded: build the pipeline with preparePipeline() (or pass exporterModules from loadExporterModules())`);
    if (!factory) throw new ConfigError(`${where}.type: unknown exporter "${type}"`);
    // a plugin without a configured name names itself
    const name = e.name ?? (type === 'module' ? undefined : type);
    let label = name ?? spec!;
    const exporter = factory({ ...exporterOptions(e), ...(name === undefined ? {} : { name }) }, { log: (m) => io.log(`${label}: ${m}`) });
    label = e.name ?? exporter.name;
    let accepts: Route['accepts'];
    let routeMapper = mapper;
    try {
      accepts = compileFilter(filter, tables.lookups, `${where}.filter`);
      if ((trim ?? []).length > 0 || (drop_fields ?? []).length > 0) {
        const drops = trimDrops({ trim, drop_fields, target: exporter.target }, trimGroups ??= loadTrimGroups(), mapper, where);
        const key = trimKey(drops);
        if (!mappers.has(key)) mappers.set(key, compileMapper(withDrops(tables, drops), { node }));
        routeMapper = mappers.get(key)!;
      }
      // sensitive event fields (mappings/redact.yaml), per exporter: `redact:` (default: default)
      routeMapper = redacted(routeMapper, e.redact, where);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
    const merged = { sizeOf: approxMemory, ...(config.delivery ?? {}), ...(deliveryOptions ?? {}) };
    const bounds = resolveDeliveryOptions(merged);
    let delivery: Delivery | undefined;
    let health: HealthState = 'healthy';
    // the configured name (the otlp_http exporter reports 'otlp_http' whatever its name)
    const tel = telemetry.exporter(e.name ?? exporter.name, {
      read: () => delivery!.stats(),
      capacity: { items: bounds.maxQueueItems, bytes: bounds.maxQueueBytes },
    });
    const bufferCfg = bufferConfigOf(config, e);
    // behind a disk buffer the queue is fed from disk: it waits for room, never drops (buffer.when_full decides)
    const innerOptions = bufferCfg.type === 'disk' ? { ...merged, whenFull: 'block' as const } : merged;
    delivery = createDelivery(timedExporter(exporter, tel), innerOptions, {
      onDeadLetter: (item, reason) => {
        tel.deadLettered();
        io.log(`${exporter.name}: ${formatOrigin(item.origin)}: dead-lettered: ${reason}`);
        if (deadLetter === undefined) return false;   // not stored: a clearable failure stays unacked (docs/delivery.md)
        deadLetter.write({ exporter: exporter.name, reason, origin: item.origin, record: item.record, input: item.input });
        return true;
      },
      onDrop: (reason, count) => {
        tel.dropped(reason, count);
        io.log(`${exporter.name}: dropped ${count}: ${reason}`);
      },
      onStateChange: (state, d) => {
        tel.stateChanged(state);
        io.log(stateChangeLine(exporter.name, health, state, d));
        health = state;
      },
      onRetry: (r) => tel.retried(r.items),
    });
    // a disk buffer (buffer.type disk) in front of the in-memory delivery; it replays from start()
    delivery = withBuffer(bufferCfg, delivery, {
      name: label, dataDir: resolveDataDir(config), mapper: routeMapper, target: exporter.target, windowItems: bounds.maxQueueItems,
      log: (m) => io.log(`${label}: ${m}`), onDrop: (reason, count) => tel.dropped(reason, count),
    });
    const route: Route = {
      exporter, delivery, refusedAtShutdown: 0, unwrittenAtShutdown: 0, unwrittenReason: '', notAccepted: 0, telemetry: tel, filteredCount: 0, bufferedAtStart: 0, accepts, mapper: routeMapper,
      filtered() { route.filteredCount++; tel.filtered(); },
    };
    return route;
  });
  let stopped = false;
  const inputs: AsyncIterable<Buffer | string>[] = [];
  const stopSignal = new AbortController();
  const fileSources: FileSource[] = [];
  const counts: RunSummary = { received: 0, mapped: 0, rejected: 0, filteredOut: 0, sourceErrors: 0, exporters: [] };

  let deadLetterError: string | undefined;   // logged once
  // a flood of bad input is a few lines per client and interval, not one line per bad line
  const rejectionLog = createRejectionLog(io.log);
  telemetry.clientRejections?.(() => rejectionLog.counts());
  const ingest = withMemoryLimit(createIngest({
    mapper, routes, counts, telemetry,
    reject(origin, reason, input, code) {
      counts.rejected++;
      telemetry.eventRejected(origin.source, code);
      rejectionLog.note(origin, reason, code);
      // a failed dead letter must not stop the source: the line is counted and logged above
      try {
        deadLetter?.write({ exporter: 'input', reason, origin, input });
      } catch (err) {
        const msg = (err as Error).message;
        if (msg !== deadLetterError) io.log(`${msg}: cannot write rejected input any more (still counted and logged with its origin)`);
        deadLetterError = msg;
      }
    },
    pushFailed(route, item, err) {
      const r = route as Route;
      // log the first and then every 1000th: a failing disk fails every push
      if (r.notAccepted++ % 1000 === 0) io.log(`${route.exporter.name}: ${formatOrigin(item.origin)}: not accepted (${r.notAccepted} so far): ${err.message}`);
      try {
        deadLetter?.write({ exporter: route.exporter.name, reason: `not accepted: ${err.message}`, origin: item.origin, record: item.record, input: item.input });
      } catch (dlErr) {
        r.unwrittenAtShutdown++;
        r.unwrittenReason = (dlErr as Error).message;
      }
    },
    lateRefusal(route, item, err) {
      (route as Route).refusedAtShutdown++;
      // runs in a promise's catch: a throw here would be an unhandled rejection
      try {
        deadLetter?.write({ exporter: route.exporter.name, reason: `shutdown: not accepted before the deadline (${err.message})`, origin: item.origin, record: item.record, input: item.input });
      } catch (dlErr) {
        (route as Route).unwrittenAtShutdown++;
        (route as Route).unwrittenReason = (dlErr as Error).message;
      }
    },
  }), memoryLimiterOf(config, routes, io.log));

  let readyResolve!: (info: ReadyInfo) => void;
  let readyReject!: (err: Error) => void;
  const readyPromise = new Promise<ReadyInfo>((resolve, reject) => { readyResolve = resolve; readyReject = reject; });
  readyPromise.catch(() => { /* reported by run() */ });

  type SourceConfig = NonNullable<RunConfig['sources']>[number];
  /** Sources that listen (served until stop()) rather than read a stream. */
  const isPush = (s: SourceConfig) => s.type === 'webhook' || s.type === 'forward';
  const nameOf = (s: SourceConfig) => (s.type === 'stdin' ? 'stdin' : s.type === 'file' ? [...(s.path ? [s.path] : []), ...(s.paths ?? [])].join(', ') : s.type === 'grpc' ? `grpc ${s.address!.trim()}` : 'webhook');

  async function pull(s: SourceConfig): Promise<void> {
    if (s.type === 'grpc') {
      // Tracee's StreamEvents: reconnects until stop(); events Tracee emits while disconnected are lost (no resume)
      const stream = telemetry.grpc(s.address!.trim());
      // loaded here: gRPC and protobuf (a third of the bundle) only for a config with a grpc source
      const { streamTraceeEvents } = await import('../sources/grpc/index.ts');
      const records = streamTraceeEvents({
        address: s.address!, policies: s.policies, mask: s.mask,
        reconnectInitialMs: s.reconnect_initial_ms, reconnectMaxMs: s.reconnect_max_ms,
        signal: stopSignal.signal, log: io.log,
        onConnected: () => stream.connected(), onDisconnected: () => stream.disconnected(),
      });
      await ingest(records, { signal: stopSignal.signal, listRejections: false });
      return;
    }
    if (s.type === 'file') {
      // files and globs, each file with its own offset; checkpoints are written once more after the final flush
      const src = createFileSource(fileSourceOptions(s, resolveDataDir(config)), {
        ingest, log: io.log, signal: stopSignal.signal,
        error: (file, err) => { counts.sourceErrors++; io.log(`${file}: cannot read: ${err.message}`); },
      });
      fileSources.push(src);
      telemetry.files(() => src.progress());
      if (!stopped) await src.run();
      return;
    }
    const stream = s.type === 'stdin' ? io.stdin : fs.createReadStream(s.path!);
    inputs.push(stream);
    if (stopped) { (stream as Readable).destroy?.(); return; }
    // at stop: no further record is read, and a push waiting for a full queue is not awaited
    await ingest(readRecords(stream, nameOf(s), { maxLineBytes: s.max_line_bytes }), { signal: stopSignal.signal, listRejections: false });
  }

  /** Serve until stop(); resolves when the server finished what it had in flight and is closed. */
  async function serveUntilStop(src: { close(): Promise<void> }, closingLine: () => string): Promise<void> {
    if (!stopped) await new Promise<void>((resolve) => stopSignal.signal.addEventListener('abort', () => resolve(), { once: true }));
    await src.close();
    io.log(closingLine());
  }

  const counted = (m: Record<string, number>) => Object.entries(m).map(([k, n]) => `${k}×${n}`).join(', ') || 'none';

  function webhookClosingLine(st: WebhookStats, url: string): string {
    return `webhook ${url}: closed after ${st.requests} request(s) (${counted(st.responses)}${st.clientGone ? `, client gone ${st.clientGone}` : ''}); events accepted ${st.events.accepted}, rejected ${st.events.rejected}, refused ${st.events.refused}${st.connectionsRefused ? `; connections refused ${st.connectionsRefused} (${counted(st.refusedBy as Record<string, number>)})` : ''}`;
  }

  function forwardClosingLine(st: ForwardStats, address: string): string {
    return `forward ${address}: closed after ${st.connections.accepted} connection(s) (${counted(st.connections.closed)}${st.connections.refused ? `, refused ${st.connections.refused}: ${counted(st.connections.refusedBy as Record<string, number>)}` : ''}); messages ${counted(st.messages)}; acks ${st.acks}; events accepted ${st.events.accepted}, rejected ${st.events.rejected}, refused ${st.events.refused}`;
  }

  function stop(): void {
    stopped = true;
    if (telemetry.phase() !== 'stopped') telemetry.phaseChanged('stopping');
    stopSignal.abort();
    for (const s of inputs) (s as Readable).destroy?.();
  }

  return {
    ingest,
    ready: () => readyPromise,
    stop,
    async run() {
      telemetry.phaseChanged('starting');
      try {
        for (const r of routes) await r.exporter.start();
        for (const r of routes) { startBuffer(r.delivery); r.bufferedAtStart = r.delivery.stats().buffer?.events ?? 0; }
      } catch (err) {
        telemetry.phaseChanged('stopped');
        readyReject(err as Error);
        throw err;
      }
      const sources = config.sources ?? [{ type: 'stdin' as const }];
      try {
        // webhooks listen first, so ready() means "Tracee may post now"
        const webhooks: Array<WebhookHandle | undefined> = [];
        const listens: Promise<unknown>[] = [];
        const running: Promise<void>[] = [];
        const failed = (s: SourceConfig, err: unknown) => {
          if (stopped && !isPush(s)) return;   // a stream destroyed by stop()
          counts.sourceErrors++;
          io.log(isPush(s) ? (err as Error).message : `${nameOf(s)}: cannot read: ${(err as Error).message}`);
        };
        /**
         * A push source listens before ready() and serves until stop(). One that cannot be created
         * or cannot listen stops everything: Tracee would send into the void.
         */
        const startPush = <S extends { listen(): Promise<string>; close(): Promise<void> }>(
          s: SourceConfig, create: () => S, listening: (src: S, address: string) => () => string,
        ) => {
          let src: S;
          try { src = create(); } catch (err) { failed(s, err); stop(); return; }
          listens.push(src.listen().then((address) => {
            io.log(`${s.type}: listening on ${address}`);
            const closingLine = listening(src, address);
            running.push(serveUntilStop(src, closingLine).catch((err) => failed(s, err)));
          }, (err) => { failed(s, err); stop(); }));
        };
        const forwards: Array<ForwardHandle | undefined> = [];
        sources.forEach((s, i) => {
          const where = `sources[${i}]`;
          if (s.type === 'webhook') {
            startPush(s, () => createWebhookSource({ ...s, type: 'webhook' }, { ingest, log: io.log, where }), (src, url) => {
              webhooks[i] = { url, stats: () => src.stats() };
              const u = new URL(url);
              telemetry.webhook(`${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`, () => src.stats());
              return () => webhookClosingLine(src.stats(), url);
            });
          } else if (s.type === 'forward') {
            startPush(s, () => createForwardSource({ ...s, type: 'forward' }, { ingest, log: io.log, where }), (src, address) => {
              forwards[i] = { address, stats: () => src.stats() };
              telemetry.forward(new URL(address).host, () => src.stats());
              return () => forwardClosingLine(src.stats(), address);
            });
          }
        });
        await Promise.all(listens);
        if (!stopped) telemetry.phaseChanged('running');
        readyResolve({ webhooks: webhooks.filter((w) => w !== undefined), forwards: forwards.filter((f) => f !== undefined) });
        for (const s of sources) if (!isPush(s)) running.push(pull(s).catch((err) => failed(s, err)));
        await Promise.all(running);
      } finally {
        telemetry.phaseChanged('stopping');   // the input ended or stop(): flushing
        rejectionLog.stop();
        readyResolve({ webhooks: [] });   // no-op when already resolved
        // every delivery drains at once: --shutdown-timeout is one deadline, not one per exporter
        const reports = routes.map((r) => r.delivery.shutdown(opts.shutdownTimeoutMs ?? 30_000));
        for (const p of reports) p.catch(() => { /* awaited below, in order */ });
        for (const [k, r] of routes.entries()) {
          const report = await reports[k];
          // Not delivered within the deadline: dead-lettered (shutdown_deadline) and acked, so a file source does
          // not read them again (replay sends them: docs/delivery.md); one the dead letter cannot hold stays
          // unacked (unsettled) and is re-read at the next start. One or the other, never both.
          let deadLetteredAtShutdown = 0;
          let unsettled = 0;
          for (const item of report.pending) {
            let stored = false;
            try {
              if (deadLetter) {
                deadLetter.write({ exporter: r.exporter.name, reason: 'shutdown_deadline: not delivered before the shutdown deadline', origin: item.origin, record: item.record, input: item.input });
                stored = true;
              }
            } catch (err) {
              // the dead letter failed (disk full…): counted and logged below; the other exporters still shut down
              r.unwrittenAtShutdown++;
              r.unwrittenReason = (err as Error).message;
            }
            if (!stored) { unsettled++; continue; }
            deadLetteredAtShutdown++;
            try { item.ack?.('dead_lettered'); } catch { /* a source's ack never breaks the shutdown */ }
          }
          await Promise.resolve();   // let refusals of waiting pushes (lateRefusal) run first
          const pending = report.pending.length + r.refusedAtShutdown;
          r.telemetry.undeliveredAtShutdown(pending);
          if (pending > 0) io.log(`${r.exporter.name}: ${pending} event(s) not delivered before the shutdown deadline${deadLetter && r.unwrittenAtShutdown === 0 ? ' (written to the dead letter)' : ''}`);
          if (r.unwrittenAtShutdown > 0) io.log(`${r.exporter.name}: ${r.unwrittenAtShutdown} of them could not be written to the dead letter: ${r.unwrittenReason}`);
          // disk buffer: what was not delivered stays in the buffer (not dead-lettered) for the next start
          if (report.buffered) io.log(`${r.exporter.name}: ${report.buffered} event(s) stay in the disk buffer for the next start`);
          if (r.notAccepted > 0) io.log(`${r.exporter.name}: ${r.notAccepted} event(s) were not accepted while running${deadLetter ? ' (written to the dead letter)' : ''}`);
          const st = report.stats;
          const deadLettered: Record<string, number> = { ...st.deadLetteredBy };
          if (deadLetteredAtShutdown > 0) deadLettered.shutdown_deadline = (deadLettered.shutdown_deadline ?? 0) + deadLetteredAtShutdown;
          // refused pushes (not accepted / late refusals) were written by pushFailed / lateRefusal; their failed writes are in unwrittenAtShutdown
          const refused = r.notAccepted + r.refusedAtShutdown;
          const refusedStored = deadLetter ? Math.max(0, refused - (r.unwrittenAtShutdown - unsettled)) : 0;
          if (refusedStored > 0) deadLettered.not_accepted = refusedStored;
          const ledger: ExporterLedger = {
            entered: st.received + refused + r.filteredCount + r.bufferedAtStart,
            delivered: st.delivered, duplicates: st.duplicates, deadLettered,
            dropped: st.droppedTotal, buffered: report.buffered ?? 0,
            // behind a disk buffer an unacked (unstored) dead letter stays in the buffer: counted in buffered
            unsettled: unsettled + (report.buffered === undefined ? st.deadLetteredUnstored : 0) + (refused - refusedStored),
            filtered: r.filteredCount,
          };
          counts.exporters.push({ name: r.exporter.name, stats: st, pendingAtShutdown: pending, notAccepted: r.notAccepted, filtered: r.filteredCount, ledger });
          await r.exporter.shutdown();
        }
        // the final commit: offsets of what the deliveries settled while flushing
        for (const f of fileSources) await f.close();
        await deadLetter?.close();
        telemetry.phaseChanged('stopped');
      }
      return counts;
    },
  };
}
