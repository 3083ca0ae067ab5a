// The only wiring place: sources → decode/normalize → map (once per target) → one delivery per
// exporter → exporters. Every input record ends counted: mapped and handed to every exporter, or
// rejected (stderr + dead letter, with its origin). Shutdown flushes within a deadline.

import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { createDeadLetterWriter, createDelivery, type DeadLetter, type Delivery, type DeliveryStats } from '../delivery/index.ts';
import { compileMapper, type Mapper } from '../mapping/compile.ts';
import { checkOverride, loadMappingTables, readTableFile } from '../mapping/load.ts';
import type { Exporter } from '../model/exporter.ts';
import { formatOrigin, type Origin } from '../model/records.ts';
import { decodeText, decodeValue } from '../normalize/decode.ts';
import { readRecords } from '../sources/read-records.ts';
import { followFile } from '../sources/follow-file.ts';
import { EXPORTER_TYPES } from '../exporters/registry.ts';
import { detectNodeInfo } from '../config/node-info.ts';
import type { RunConfig } from '../config/run-config.ts';
import { ConfigError } from '../config/run-config.ts';

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
export interface RunSummary { received: number; mapped: number; rejected: number; exporters: ExporterSummary[] }

interface Route { exporter: Exporter; delivery: Delivery }

export interface Pipeline {
  run(): Promise<RunSummary>;
  /** Stop reading; what was read is still delivered (within the shutdown deadline). */
  stop(): void;
}

export function createPipeline(config: RunConfig, io: PipelineIO, opts: { shutdownTimeoutMs?: number } = {}): Pipeline {
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
    const delivery = createDelivery(exporter, { sizeOf: approxMemory, ...(config.delivery ?? {}), ...(deliveryOptions ?? {}) }, {
      onDeadLetter: (item, reason) => {
        io.log(`${exporter.name}: ${formatOrigin(item.origin)}: dead-lettered: ${reason}`);
        deadLetter?.write({ exporter: exporter.name, reason, origin: item.origin, record: item.record, input: item.input });
      },
      onDrop: (reason, count) => io.log(`${exporter.name}: dropped ${count}: ${reason}`),
      onStateChange: (state, d) => io.log(`${exporter.name}: ${state}${d.lastError ? ` (${d.lastError})` : ''}`),
    });
    return { exporter, delivery };
  });
  const targets = new Set(routes.map((r) => r.exporter.target));
  let stopped = false;
  const inputs: AsyncIterable<Buffer | string>[] = [];
  const stopSignal = new AbortController();

  function reject(origin: Origin, reason: string, input: string | undefined, counts: RunSummary): void {
    counts.rejected++;
    io.log(`${formatOrigin(origin)}: rejected: ${reason}`);
    deadLetter?.write({ exporter: 'input', reason, origin, input });
  }

  async function consume(stream: AsyncIterable<Buffer | string>, source: string, maxLineBytes: number | undefined, counts: RunSummary): Promise<void> {
    for await (const rec of readRecords(stream, source, { maxLineBytes })) {
      if (stopped) break;
      counts.received++;
      if (rec.kind === 'error') { reject(rec.origin, rec.reason, rec.text, counts); continue; }
      const input = rec.kind === 'text' ? rec.text : undefined;
      const res = rec.kind === 'text' ? decodeText(rec.text) : decodeValue(rec.value, rec.marked);
      if (!res.ok) { reject(rec.origin, res.reason, input, counts); continue; }
      let ecs, otel;
      try {
        if (targets.has('ecs')) ecs = mapper.toEcs(res.event);
        if (targets.has('otel')) otel = mapper.toOtel(res.event);
      } catch (err) {
        reject(rec.origin, err instanceof RangeError ? 'event nested too deeply to map' : `mapping failed: ${(err as Error).message}`, input, counts);
        continue;
      }
      counts.mapped++;
      for (const r of routes) await r.delivery.push({ record: r.exporter.target === 'ecs' ? ecs! : otel!, origin: rec.origin, input });
    }
  }

  return {
    stop() {
      stopped = true;
      stopSignal.abort();
      for (const s of inputs) (s as Readable).destroy?.();
    },
    async run() {
      const counts: RunSummary = { received: 0, mapped: 0, rejected: 0, exporters: [] };
      for (const r of routes) await r.exporter.start();
      const sources = config.sources ?? [{ type: 'stdin' as const }];
      try {
        for (const s of sources) {
          if (stopped) break;
          const stream = s.type === 'stdin' ? io.stdin
            : s.follow ? followFile(s.path!, { startAt: s.start_at, signal: stopSignal.signal, log: io.log })
            : fs.createReadStream(s.path!);
          inputs.push(stream);
          try {
            await consume(stream, s.type === 'stdin' ? 'stdin' : s.path!, s.max_line_bytes, counts);
          } catch (err) {
            if (!stopped) io.log(`${s.type === 'stdin' ? 'stdin' : s.path}: cannot read: ${(err as Error).message}`);
          }
        }
      } finally {
        for (const r of routes) {
          const report = await r.delivery.shutdown(opts.shutdownTimeoutMs ?? 30_000);
          for (const item of report.pending) {
            // not delivered within the deadline: never silently lost (the disk buffer will keep these)
            deadLetter?.write({ exporter: r.exporter.name, reason: 'shutdown: not delivered before the deadline', origin: item.origin, record: item.record, input: item.input });
          }
          if (report.pending.length > 0) io.log(`${r.exporter.name}: ${report.pending.length} event(s) not delivered before the shutdown deadline${deadLetter ? ' (written to the dead letter)' : ''}`);
          counts.exporters.push({ name: r.exporter.name, stats: report.stats, pendingAtShutdown: report.pending.length });
          await r.exporter.shutdown();
        }
        await deadLetter?.close();
      }
      return counts;
    },
  };
}
