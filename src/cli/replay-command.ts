// `tracee-exporter replay DEAD_LETTER… [--exporter NAME] [--config FILE] [--out FILE]`: send dead-lettered
// events again, to the exporter each failed for, re-mapped from the stored input line (mapping fixes apply).
// Input rejections (exporter "input") are decoded again: one that is valid now goes to every exporter.
// What still fails is written to a NEW dead letter (never to a file being read); the files read are left as
// they are. Elasticsearch is idempotent: the same event has the same `_id` (event.id), so an event that is
// already stored answers 409 and is counted as a duplicate, never stored twice.
//
// Each target runs as a pipeline of its own (the configured exporter, its delivery, filter and trim; a
// memory queue even when the exporter has a disk buffer, whose directory belongs to the running exporter).

import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { PassThrough } from 'node:stream';
import { locateConfigError, type ParseDetails, type RunConfig } from '../config/run-config.ts';
import type { OptionPath } from '../util/option-error.ts';
import type { Origin } from '../model/records.ts';
import type { InputRecord } from '../sources/read-records.ts';
import type { ExporterFactory } from '../exporters/registry.ts';
import { toLogger } from '../util/log.ts';

type ExporterConfig = RunConfig['exporters'][number];

export interface ReplayOptions {
  /** Dead-letter files or globs (rotated files: dl.ndjson.1 …), read in the order given (a glob's matches sorted). */
  files: string[];
  /** Replay only the entries of this exporter ("input" = only the input rejections). */
  exporter?: string;
  config: RunConfig;
  /** Where what still fails goes; default <first file>.replay-<UTC time>.ndjson beside it. */
  out?: string;
  shutdownTimeoutMs: number;
  log(line: string): void;
  /** Where a key of the config is (ParseDetails.locate): errors in building an exporter name file:line:col. */
  locate?: (p: OptionPath) => string;
  /** Factories of `type: module` exporters (default: loaded from the config, as `run` does). */
  exporterModules?: ReadonlyMap<string, ExporterFactory>;
}

export interface ReplayTargetResult {
  exporter: string;
  replayed: number;
  delivered: number;
  duplicates: number;
  filtered: number;
  stillFailing: number;
}

export interface ReplaySummary {
  /** Dead-letter entries read (all files). */
  read: number;
  replayed: number;
  /** Entries written to the new dead letter: failed again, not replayable, or rejected again. */
  stillFailing: number;
  /** Entries of other exporters (--exporter). */
  skipped: number;
  /** Lines that are not dead-letter entries (counted, reported with their file:line). */
  unreadable: number;
  /** Entries without a stored input line: copied to the new dead letter as they are. */
  notReplayable: number;
  out: string;
  targets: ReplayTargetResult[];
}

interface Entry {
  exporter: string;
  reason: string;
  origin: Origin;
  input?: string;
  record?: unknown;
  at: string;
}

/** The files named by `args`: each a path, or a glob (its matches sorted, so x.ndjson.1 … come in order). */
export function expandFiles(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (/[*?[]/.test(a)) {
      const matches = fs
        .globSync(a)
        .filter((f) => fs.statSync(f).isFile())
        .sort();
      if (matches.length === 0) throw new Error(`${a}: no file matches`);
      out.push(...matches);
    } else {
      if (!fs.existsSync(a)) throw new Error(`${a}: no such file`);
      out.push(a);
    }
  }
  return [...new Set(out.map((f) => path.resolve(f)))];
}

function defaultOut(first: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '').replace(/Z$/, 'Z');
  return `${first}.replay-${stamp}.ndjson`;
}

/** The configured exporter a dead-letter entry names (its name; else its type / module when that is unique). */
function exporterFor(config: RunConfig, name: string): ExporterConfig | undefined {
  const byName = config.exporters.find((e) => e.name === name);
  if (byName) return byName;
  const byKind = config.exporters.filter((e) => (e.type === 'module' ? String(e.module) : e.type) === name);
  return byKind.length === 1 ? byKind[0] : undefined;
}

/**
 * A copy of the exporter for the replay: a memory queue (the disk buffer's directory belongs to the running
 * exporter). The exporter's own `delivery.buffer` wins key by key over the top-level one, so the memory type
 * set there overrides a top-level `delivery.buffer.type: disk` too (the Helm chart's default).
 */
function forReplay(e: ExporterConfig): ExporterConfig {
  return {
    ...e,
    delivery: { ...((e.delivery as Record<string, unknown> | undefined) ?? {}), buffer: { type: 'memory' } },
  } as ExporterConfig;
}

async function* entries(files: readonly string[], onBad: (where: string, why: string) => void): AsyncGenerator<Entry> {
  for (const f of files) {
    const rl = readline.createInterface({ input: fs.createReadStream(f, 'utf8'), crlfDelay: Infinity });
    let n = 0;
    for await (const line of rl) {
      n++;
      if (line.trim() === '') continue;
      let v: Partial<Entry> & { origin?: Partial<Origin> };
      try {
        v = JSON.parse(line) as typeof v;
      } catch (err) {
        onBad(`${f}:${n}`, `not JSON: ${(err as Error).message}`);
        continue;
      }
      if (typeof v !== 'object' || v === null || typeof v.exporter !== 'string' || typeof v.reason !== 'string') {
        onBad(`${f}:${n}`, 'not a dead-letter entry (no exporter / reason)');
        continue;
      }
      const o: Partial<Origin> = v.origin ?? {};
      const origin: Origin = {
        source: typeof o.source === 'string' ? o.source : f,
        line: typeof o.line === 'number' ? o.line : n,
      };
      if (typeof o.detail === 'string') origin.detail = o.detail;
      yield {
        exporter: v.exporter,
        reason: v.reason,
        origin,
        input: typeof v.input === 'string' ? v.input : undefined,
        record: v.record,
        at: `${f}:${n}`,
      };
    }
  }
}

export async function runReplay(o: ReplayOptions): Promise<ReplaySummary> {
  const files = expandFiles(o.files);
  if (files.length === 0) throw new Error('no dead-letter file given');
  const out = path.resolve(o.out ?? defaultOut(files[0]));
  if (files.includes(out))
    throw new Error(`--out ${out} is one of the files being replayed: what still fails goes to a new file`);
  if (fs.existsSync(out))
    throw new Error(`${out} exists: give another --out (the replay never appends to an existing dead letter)`);
  if (o.exporter !== undefined && o.exporter !== 'input' && !exporterFor(o.config, o.exporter)) {
    throw new Error(
      `--exporter ${o.exporter}: no such exporter in the configuration (${o.config.exporters.map((e) => e.name ?? e.type).join(', ')})`,
    );
  }
  const { createDeadLetterWriter } = await import('../delivery/dead-letter.ts');
  const { createPipeline, loadExporterModules } = await import('../pipeline/pipeline.ts');
  const { loadExporterTypes } = await import('../exporters/registry.ts');
  await loadExporterTypes(o.config.exporters.map((e) => e.type));
  const exporterModules = o.exporterModules ?? (await loadExporterModules(o.config));

  const summary: ReplaySummary = {
    read: 0,
    replayed: 0,
    stillFailing: 0,
    skipped: 0,
    unreadable: 0,
    notReplayable: 0,
    out,
    targets: [],
  };
  // entries grouped by target (an exporter of the config, or "input": every exporter); only what re-mapping needs is kept
  // (indexes: where each exporter is in the configuration, for errors: the target's pipeline has it as exporters[0])
  const groups = new Map<string, { exporters: ExporterConfig[]; indexes: number[]; records: InputRecord[] }>();
  const unknownTargets = new Map<string, number>();
  const copy = createDeadLetterWriter(out); // entries that cannot be replayed, as they are
  try {
    for await (const e of entries(files, (where, why) => {
      summary.unreadable++;
      toLogger(o.log).warn(`${where}: skipped: ${why}`);
    })) {
      summary.read++;
      if (o.exporter !== undefined && e.exporter !== o.exporter) {
        summary.skipped++;
        continue;
      }
      const target = e.exporter === 'input' ? undefined : exporterFor(o.config, e.exporter);
      if (e.input === undefined || (e.exporter !== 'input' && target === undefined)) {
        const why =
          e.input === undefined
            ? 'no stored input line to map again'
            : `exporter ${e.exporter} is not in the configuration`;
        if (target === undefined && e.input !== undefined)
          unknownTargets.set(e.exporter, (unknownTargets.get(e.exporter) ?? 0) + 1);
        summary.notReplayable++;
        copy.write({
          exporter: e.exporter,
          reason: `not replayable (${why}): ${e.reason}`,
          origin: e.origin,
          record: e.record,
          input: e.input,
        });
        continue;
      }
      const key = e.exporter === 'input' ? '\u0000input' : e.exporter;
      let g = groups.get(key);
      if (!g) {
        g = target
          ? { exporters: [forReplay(target)], indexes: [o.config.exporters.indexOf(target)], records: [] }
          : {
              exporters: o.config.exporters.map(forReplay),
              indexes: o.config.exporters.map((_, i) => i),
              records: [],
            };
        groups.set(key, g);
      }
      g.records.push({
        kind: 'text',
        text: e.input,
        origin: { ...e.origin, detail: `replay of ${e.at}${e.origin.detail ? `; ${e.origin.detail}` : ''}` },
      });
    }
  } finally {
    await copy.close();
  }
  for (const [name, n] of unknownTargets)
    toLogger(o.log).warn(
      `${n} entr${n === 1 ? 'y' : 'ies'} of exporter ${name}: not in the configuration, copied to ${out}`,
    );

  for (const [key, g] of groups) {
    // one pipeline per target; its dead letter is the new file (appended to by each target in turn)
    const config: RunConfig = {
      ...o.config,
      sources: [{ type: 'stdin' }],
      exporters: g.exporters,
      dead_letter: { ...(o.config.dead_letter ?? {}), path: out },
    };
    delete (config as { telemetry?: unknown }).telemetry;
    const stdin = new PassThrough(); // never written: keeps run() alive while ingest() feeds the records
    // exporters[k] of this target's pipeline is exporters[indexes[k]] of the configuration
    const indexes = g.indexes;
    const located = (err: unknown) =>
      locateConfigError(err, o.locate, (at) =>
        at[0] === 'exporters' && typeof at[1] === 'number'
          ? ['exporters', indexes[at[1]] ?? at[1], ...at.slice(2)]
          : at,
      );
    let p: ReturnType<typeof createPipeline>;
    try {
      p = createPipeline(config, { stdin, log: o.log }, { shutdownTimeoutMs: o.shutdownTimeoutMs, exporterModules });
    } catch (err) {
      throw located(err);
    }
    const running = p.run();
    running.catch(() => {
      /* awaited below; ready() rejects with the same error */
    });
    await p.ready().catch((err: unknown) => {
      throw located(err);
    });
    await p.ingest(g.records, { listRejections: false });
    p.stop();
    const run = await running;
    summary.replayed += g.records.length;
    for (const x of run.exporters) {
      const l = x.ledger;
      const failing = Object.values(l.deadLettered).reduce((a, b) => a + b, 0) + l.dropped + l.unsettled;
      summary.targets.push({
        exporter: key === '\u0000input' ? `${x.name} (input rejections)` : x.name,
        replayed: l.entered,
        delivered: l.delivered,
        duplicates: l.duplicates,
        filtered: l.filtered,
        stillFailing: failing,
      });
    }
    if (key === '\u0000input' && run.rejected > 0)
      summary.targets.push({
        exporter: 'input',
        replayed: g.records.length,
        delivered: 0,
        duplicates: 0,
        filtered: 0,
        stillFailing: run.rejected,
      });
  }
  summary.stillFailing = countLines(out);
  return summary;
}

function countLines(file: string): number {
  if (!fs.existsSync(file)) return 0;
  const t = fs.readFileSync(file, 'utf8');
  return t === '' ? 0 : t.split('\n').filter((l) => l !== '').length;
}

export function replaySummaryLines(s: ReplaySummary): string[] {
  const lines = s.targets.map(
    (t) =>
      `${t.exporter}: replayed ${t.replayed}: delivered ${t.delivered}, duplicates (already there) ${t.duplicates}${t.filtered ? `, filtered ${t.filtered}` : ''}, still failing ${t.stillFailing}`,
  );
  const extra = [
    s.notReplayable ? `not replayable ${s.notReplayable}` : '',
    s.skipped ? `skipped (other exporters) ${s.skipped}` : '',
    s.unreadable ? `unreadable lines ${s.unreadable}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  lines.push(
    `replayed ${s.replayed}, still failing ${s.stillFailing}${extra ? ` (${extra})` : ''}${s.stillFailing > 0 ? `: written to ${s.out}` : ''}`,
  );
  return lines;
}

/** The CLI action: exit 0 when everything replayed was delivered (or was already there), else 1. */
export async function replayCommand(
  files: string[],
  opts: { exporter?: string; config?: string; out?: string; shutdownTimeout: number },
): Promise<number> {
  const { loadRunConfig } = await import('../config/run-config.ts');
  const { configureLog, rootLogger } = await import('../util/log.ts');
  const details: ParseDetails = {};
  const config = loadRunConfig(opts.config, process.env, details);
  configureLog({ format: config.log?.format, level: config.log?.level });
  const log = rootLogger.child({ component: 'replay' });
  for (const w of details.warnings ?? []) log.warn(`warning: ${w}`);
  const s = await runReplay({
    files,
    exporter: opts.exporter,
    config,
    out: opts.out,
    shutdownTimeoutMs: opts.shutdownTimeout,
    log,
    locate: details.locate,
  });
  for (const l of replaySummaryLines(s)) log(l);
  if (s.stillFailing === 0 && fs.existsSync(s.out)) fs.rmSync(s.out); // nothing failed: no empty dead letter left behind
  return s.stillFailing > 0 || s.unreadable > 0 ? 1 : 0;
}
