// The only wiring place: sources → decode/normalize → map (once per target) → one delivery per
// exporter → exporters. Every input record ends counted: mapped and handed to every exporter, or
// rejected (stderr + dead letter, with its origin). Sources run concurrently: pull sources (stdin,
// file) feed `ingest` from their stream, push sources (webhook) call it once per request. On stop,
// pull sources stop reading, push sources stop accepting and finish their in-flight requests; then
// every delivery flushes within the shutdown deadline.

import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { createDeadLetterWriter, createDelivery, resolveDeliveryOptions, type DeadLetter, type Delivery, type DeliveryStats } from '../delivery/index.ts';
import { compileMapper, type Mapper } from '../mapping/compile.ts';
import { checkOverride, loadMappingTables, readTableFile } from '../mapping/load.ts';
import type { Exporter } from '../model/exporter.ts';
import { formatOrigin, type Origin } from '../model/records.ts';
import { readRecords } from '../sources/read-records.ts';
import { followFile } from '../sources/follow-file.ts';
import type { Ingest } from '../sources/types.ts';
import { createWebhookSource, type WebhookSource, type WebhookStats } from '../sources/webhook/index.ts';
import { createIngest, type IngestRoute } from './ingest.ts';
import { EXPORTER_TYPES } from '../exporters/registry.ts';
import { detectNodeInfo } from '../config/node-info.ts';
import type { RunConfig } from '../config/run-config.ts';
import { ConfigError } from '../config/run-config.ts';
import { createTelemetry, timedExporter, type ExporterTelemetry, type Telemetry } from '../telemetry/index.ts';

/**
 * Queue accounting: a mapped record holds about four times its input line in memory (measured on
 * the DNS capture: ~1.6 KB lines, ~6 KB of ECS / OTel objects), so the byte bound of each queue
 * follows the input instead of walking every record.
 */
function approxMemory(item: { input?: string }): number {
  return item.input === undefined ? 8192 : 512 + item.input.length * 4;
}

export interface PipelineIO {
  stdin: Readable;
  log(line: string): void;
}

export interface ExporterSummary { name: string; stats: DeliveryStats; pendingAtShutdown: number }
export interface RunSummary {
  received: number; mapped: number; rejected: number;
  /** Sources that failed (cannot read a file, cannot listen): the run is not a success. */
  sourceErrors: number;
  exporters: ExporterSummary[];
}

interface Route extends IngestRoute {
  /** Pushes we stopped waiting for (queue full at stop / 503) that the delivery refused at shutdown. */
  refusedAtShutdown: number;
  telemetry: ExporterTelemetry;
}

export interface WebhookHandle { url: string; stats(): WebhookStats }
export interface ReadyInfo { webhooks: WebhookHandle[] }

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
}

export function createPipeline(config: RunConfig, io: PipelineIO, opts: PipelineOptions = {}): Pipeline {
  const telemetry = opts.telemetry ?? createTelemetry();
  const overrides = [
    ...(config.mapping?.files ?? []).map((f) => readTableFile(f)),
    ...(config.mapping?.overrides ? [checkOverride('config mapping.overrides', config.mapping.overrides)] : []),
  ];
  const mapper: Mapper = compileMapper(loadMappingTables(undefined, overrides), { node: detectNodeInfo(config.node ?? {}) });
  const deadLetter: DeadLetter | undefined = config.dead_letter ? createDeadLetterWriter(config.dead_letter.path) : undefined;
  const routes: Route[] = config.exporters.map((e, i) => {
    const { type, delivery: deliveryOptions, ...options } = e;
    const factory = EXPORTER_TYPES[type];
    if (!factory) throw new ConfigError(`exporters[${i}].type: unknown exporter "${type}"`);
    const exporter = factory({ ...options, name: e.name ?? type }, { log: (m) => io.log(`${e.name ?? type}: ${m}`) });
    const merged = { sizeOf: approxMemory, ...(config.delivery ?? {}), ...(deliveryOptions ?? {}) };
    const bounds = resolveDeliveryOptions(merged);
    let delivery: Delivery | undefined;
    // the configured name (the otlp_http exporter reports 'otlp_http' whatever its name)
    const tel = telemetry.exporter(e.name ?? exporter.name, {
      read: () => delivery!.stats(),
      capacity: { items: bounds.maxQueueItems, bytes: bounds.maxQueueBytes },
    });
    delivery = createDelivery(timedExporter(exporter, tel), merged, {
      onDeadLetter: (item, reason) => {
        tel.deadLettered();
        io.log(`${exporter.name}: ${formatOrigin(item.origin)}: dead-lettered: ${reason}`);
        deadLetter?.write({ exporter: exporter.name, reason, origin: item.origin, record: item.record, input: item.input });
      },
      onDrop: (reason, count) => {
        tel.dropped(reason, count);
        io.log(`${exporter.name}: dropped ${count}: ${reason}`);
      },
      onStateChange: (state, d) => {
        tel.stateChanged(state);
        io.log(`${exporter.name}: ${state}${d.lastError ? ` (${d.lastError})` : ''}`);
      },
      onRetry: (r) => tel.retried(r.items),
    });
    return { exporter, delivery, refusedAtShutdown: 0, telemetry: tel };
  });
  let stopped = false;
  const inputs: AsyncIterable<Buffer | string>[] = [];
  const stopSignal = new AbortController();
  const counts: RunSummary = { received: 0, mapped: 0, rejected: 0, sourceErrors: 0, exporters: [] };

  const ingest = createIngest({
    mapper, routes, counts, telemetry,
    reject(origin, reason, input, code) {
      counts.rejected++;
      telemetry.eventRejected(origin.source, code);
      io.log(`${formatOrigin(origin)}: rejected: ${reason}`);
      deadLetter?.write({ exporter: 'input', reason, origin, input });
    },
    lateRefusal(route, item, err) {
      (route as Route).refusedAtShutdown++;
      deadLetter?.write({ exporter: route.exporter.name, reason: `shutdown: not accepted before the deadline (${err.message})`, origin: item.origin, record: item.record, input: item.input });
    },
  });

  let readyResolve!: (info: ReadyInfo) => void;
  let readyReject!: (err: Error) => void;
  const readyPromise = new Promise<ReadyInfo>((resolve, reject) => { readyResolve = resolve; readyReject = reject; });
  readyPromise.catch(() => { /* reported by run() */ });

  type SourceConfig = NonNullable<RunConfig['sources']>[number];
  const nameOf = (s: SourceConfig) => (s.type === 'stdin' ? 'stdin' : s.type === 'file' ? s.path! : 'webhook');

  async function pull(s: SourceConfig): Promise<void> {
    const stream = s.type === 'stdin' ? io.stdin
      : s.follow ? followFile(s.path!, { startAt: s.start_at, signal: stopSignal.signal, log: io.log })
      : fs.createReadStream(s.path!);
    inputs.push(stream);
    if (stopped) { (stream as Readable).destroy?.(); return; }
    // at stop: no further record is read, and a push waiting for a full queue is not awaited
    await ingest(readRecords(stream, nameOf(s), { maxLineBytes: s.max_line_bytes }), { signal: stopSignal.signal });
  }

  /** Serve until stop(); resolves when the in-flight requests are answered and the server is closed. */
  async function serve(src: WebhookSource, url: string): Promise<void> {
    if (!stopped) await new Promise<void>((resolve) => stopSignal.signal.addEventListener('abort', () => resolve(), { once: true }));
    await src.close();
    const st = src.stats();
    const answers = Object.entries(st.responses).map(([code, n]) => `${code}×${n}`).join(', ') || 'none';
    io.log(`webhook ${url}: closed after ${st.requests} request(s) (${answers}${st.clientGone ? `, client gone ${st.clientGone}` : ''}); events accepted ${st.events.accepted}, rejected ${st.events.rejected}, refused ${st.events.refused}`);
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
          if (stopped && s.type !== 'webhook') return;   // a stream destroyed by stop()
          counts.sourceErrors++;
          io.log(s.type === 'webhook' ? (err as Error).message : `${nameOf(s)}: cannot read: ${(err as Error).message}`);
        };
        sources.forEach((s, i) => {
          if (s.type !== 'webhook') return;
          let src: WebhookSource;
          try {
            src = createWebhookSource({ ...s, type: 'webhook' }, { ingest, log: io.log, where: `sources[${i}]` });
          } catch (err) { failed(s, err); stop(); return; }
          listens.push(src.listen().then((url) => {
            io.log(`webhook: listening on ${url}`);
            webhooks[i] = { url, stats: () => src.stats() };
            const u = new URL(url);
            telemetry.webhook(`${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`, () => src.stats());
            running.push(serve(src, url).catch((err) => failed(s, err)));
          }, (err) => {
            failed(s, err);
            // a configured receiver that cannot run: Tracee would post into the void; stop everything
            stop();
          }));
        });
        await Promise.all(listens);
        if (!stopped) telemetry.phaseChanged('running');
        readyResolve({ webhooks: webhooks.filter((w) => w !== undefined) });
        for (const s of sources) if (s.type !== 'webhook') running.push(pull(s).catch((err) => failed(s, err)));
        await Promise.all(running);
      } finally {
        telemetry.phaseChanged('stopping');   // the input ended or stop(): flushing
        readyResolve({ webhooks: [] });   // no-op when already resolved
        for (const r of routes) {
          const report = await r.delivery.shutdown(opts.shutdownTimeoutMs ?? 30_000);
          for (const item of report.pending) {
            // not delivered within the deadline: never silently lost (the disk buffer will keep these)
            deadLetter?.write({ exporter: r.exporter.name, reason: 'shutdown: not delivered before the deadline', origin: item.origin, record: item.record, input: item.input });
          }
          await Promise.resolve();   // let refusals of waiting pushes (lateRefusal) run first
          const pending = report.pending.length + r.refusedAtShutdown;
          r.telemetry.undeliveredAtShutdown(pending);
          if (pending > 0) io.log(`${r.exporter.name}: ${pending} event(s) not delivered before the shutdown deadline${deadLetter ? ' (written to the dead letter)' : ''}`);
          counts.exporters.push({ name: r.exporter.name, stats: report.stats, pendingAtShutdown: pending });
          await r.exporter.shutdown();
        }
        await deadLetter?.close();
        telemetry.phaseChanged('stopped');
      }
      return counts;
    },
  };
}
