// `config check`: everything `run` rejects at start-up that can be checked without the network —
// the schema, ${env:}/${file:} references, the environment overlay, mapping files and overrides,
// delivery bounds, telemetry settings, and each source and exporter through its kind's dry run
// (`check` in src/sources/registry.ts, src/exporters/registry.ts: the same resolvers `run` uses,
// nothing opened or connected). Errors name file:line:column (the YAML node's position) and the
// config path (`exporters[1].tls.ca_file`), or the environment variable that set it; the path comes
// from the error's own key (OptionError and the like), never from its text. Secret values are
// scrubbed from every message.

import fs from 'node:fs';
import os from 'node:os';
import { DEAD_LETTER_DEFAULTS } from '../delivery/dead-letter.ts';
import { deliveryOptionsOf, mergedDelivery } from '../delivery/config-schema.ts';
import { resolveDeliveryOptions } from '../delivery/options.ts';
import { loadExporterModule } from '../exporters/plugin.ts';
import { EXPORTER_TYPES } from '../exporters/registry.ts';
import { compileMapper } from '../mapping/compile.ts';
import { checkOverride, loadMappingTables, readTableFile } from '../mapping/load.ts';
import { loadTrimGroups, trimDrops, withDrops } from '../mapping/trim.ts';
import { compileFilter } from '../mapping/event-filter.ts';
import type { ExportTarget } from '../model/exporter.ts';
import { SOURCE_TYPES } from '../sources/registry.ts';
import { parseListen } from '../sources/webhook/config.ts';
import { formatOptionPath, type OptionPath } from '../util/option-error.ts';
import { looseDirWarning } from '../util/private-file.ts';
import { checkDiskBufferNames } from './buffer-names.ts';
import { LOG_DEFAULTS } from './model.ts';
import { detectNodeInfo } from './node-info.ts';
import {
  ConfigError,
  exporterOptions,
  loadRunConfig,
  resolveTelemetryConfig,
  type ExporterConfig,
  type ParseDetails,
  type RunConfig,
} from './run-config.ts';
import { propertiesOf, runConfigSchema } from './schema-walk.ts';
import { maskUrl, scrub } from './secrets.ts';

export interface CheckResult {
  config: RunConfig;
  /** Where it came from: the file, or "(environment)". */
  source: string;
  /** One line per part: sources, exporters, dead letter, telemetry. */
  summary: string[];
  /** Not fatal for `run`, but probably not what was meant (unknown exporter keys, missing input file). */
  warnings: string[];
  /** What ${file:} references read: secrets wherever they landed (`config print` masks them). */
  fileSecrets: Set<string>;
  /**
   * One check per `type: module` exporter, for checkConfigWithPlugins: import the module and build
   * the exporter from its options as `run` does (without starting it); resolves to its summary.
   */
  pluginChecks: Array<{ index: number; check: () => Promise<string> }>;
  /** The summary's exporter parts, by exporter index (the summary line joins them). */
  exporterLines: string[];
}

type Path = OptionPath;

/** What a resolver's error says about where it is: its key below the part checked (OptionError, the mapping's errors), and the reason alone. */
function keyOf(err: unknown): { key: Path; reason: string } | undefined {
  const e = err as { path?: unknown; key?: unknown; reason?: unknown };
  if (typeof e.reason !== 'string') return undefined;
  if (Array.isArray(e.path)) return { key: e.path as Path, reason: e.reason };
  if (typeof e.key === 'string') return { key: e.key === '' ? [] : e.key.split('.'), reason: e.reason };
  if (typeof e.path === 'string') return { key: e.path.split('.'), reason: e.reason };
  return undefined;
}

export function checkConfigFile(file: string | undefined, env: NodeJS.ProcessEnv = process.env): CheckResult {
  const details: ParseDetails = {};
  const config = loadRunConfig(file, env, details);
  const locate = details.locate!;
  const secrets = details.secrets ?? new Set<string>();
  const source = details.file!;
  const fail = (p: Path, message: string): never => {
    throw new ConfigError(scrub(`${locate(p)}: ${formatOptionPath(p)}: ${message}`, secrets));
  };
  /**
   * Runs one of the resolvers `run` uses; its error becomes "file:line:col: path: reason": at the
   * key it names below `p` (OptionError and the mapping's errors carry it), else at `p`.
   */
  const attempt = <T>(p: Path, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      // one that names its key (the pipeline's own checks, ConfigError.at): at that key, from the top
      if (err instanceof ConfigError && err.path !== undefined && err.reason !== undefined)
        return fail(err.path, err.reason);
      if (err instanceof ConfigError) throw err;
      const k = keyOf(err);
      return k ? fail([...p, ...k.key], k.reason) : fail(p, (err as Error).message);
    }
  };
  const warnings: string[] = [...(details.warnings ?? [])];
  const summary: string[] = [];

  // sources: each checks itself as a dry run (src/sources/registry.ts): nothing opened, no listening
  const sources = config.sources ?? [{ type: 'stdin' as const }];
  const srcLines = sources.map((s, i) => {
    const kind = SOURCE_TYPES[s.type];
    if (kind === undefined) return String(s.type);
    return kind.check(s, {
      attempt: (key, f) => attempt(['sources', i, ...key], f),
      warn: (key, message) => {
        const p = ['sources', i, ...key];
        warnings.push(`${locate(p)}: ${formatOptionPath(p)}: ${message}`);
      },
    });
  });
  summary.push(`sources: ${srcLines.join('; ')}`);

  // mapping tables (compiled as `run` does)
  const overrides = [
    ...(config.mapping?.files ?? []).map((f, i) => attempt(['mapping', 'files', i], () => readTableFile(f))),
    ...(config.mapping?.overrides
      ? [attempt(['mapping', 'overrides'], () => checkOverride('mapping.overrides', config.mapping!.overrides))]
      : []),
  ];
  const tables = attempt(['mapping'], () => loadMappingTables(undefined, overrides));
  const node = detectNodeInfo(config.node ?? {}, env);
  const mapper = attempt(['mapping'], () => compileMapper(tables, { node }));
  let trimGroups: ReturnType<typeof loadTrimGroups> | undefined;
  /** The exporter's filter and trimmed mapper, compiled as `run` compiles them (routes.ts). */
  const checkRoute = (e: ExporterConfig, at: Path, target: ExportTarget | undefined): void => {
    if (e.filter !== undefined) attempt([...at, 'filter'], () => compileFilter(e.filter, tables.lookups, 'filter'));
    if (target !== undefined && ((e.trim ?? []).length > 0 || (e.drop_fields ?? []).length > 0)) {
      attempt(at, () =>
        compileMapper(
          withDrops(
            tables,
            trimDrops(
              { trim: e.trim, drop_fields: e.drop_fields, target },
              (trimGroups ??= loadTrimGroups()),
              mapper,
              '@',
            ),
          ),
          { node },
        ),
      );
    }
  };

  // exporters: each built-in kind's dry run (src/exporters/registry.ts), the delivery it gets, its route
  const root = runConfigSchema();
  const itemSchema = (root.properties as Record<string, { items: unknown }>).exporters.items;
  const pluginChecks: CheckResult['pluginChecks'] = [];
  const exLines = config.exporters.map((e, i) => {
    const at: Path = ['exporters', i];
    const known = propertiesOf(root, itemSchema, e);
    for (const k of Object.keys(e)) {
      // a plugin's (type module) own options are its business
      if (e.type !== 'module' && !(k in known))
        warnings.push(
          `${locate([...at, k])}: ${formatOptionPath([...at, k])}: not an option of ${e.type} exporters (ignored; known: ${Object.keys(known).join(', ')})`,
        );
    }
    // the delivery it gets: its own section over the top-level one; a bad value is reported where it was set
    const section = mergedDelivery(config.delivery, e.delivery);
    attempt([], () => {
      try {
        return resolveDeliveryOptions(deliveryOptionsOf(section));
      } catch (err) {
        const k = keyOf(err);
        if (k === undefined) throw err;
        const own = e.delivery !== undefined && (k.key[0] as string) in e.delivery;
        fail([...(own ? at : []), 'delivery', ...k.key], k.reason);
      }
    });
    if (e.type === 'module') {
      pluginChecks.push({
        index: i,
        check: () =>
          checkPlugin(
            e,
            i,
            (p, f) => attempt([...at, ...p], f),
            (target) => checkRoute(e, at, target),
          ),
      });
      return `${e.name ?? e.type} (${e.type}${e.module ? ` ${e.module}` : ''}: not loaded)`;
    }
    const kind = EXPORTER_TYPES[e.type];
    if (kind === undefined) return fail([...at, 'type'], `unknown exporter "${e.type}"`);
    const options = exporterOptions(e);
    const line = attempt(at, () =>
      kind.check(options, { env, warn: (m) => warnings.push(scrub(`${formatOptionPath(at)}: ${m}`, secrets)) }),
    );
    checkRoute(e, at, kind.target(options));
    return maskUrl(line);
  });
  // disk buffers: one directory per exporter name, checked as `run` checks them (unique, usable as a directory name)
  attempt([], () => checkDiskBufferNames(config));
  summary.push(`${EXPORTERS_HEAD}${exLines.join('; ')}`);

  const dlc = config.dead_letter;
  summary.push(
    `dead letter: ${dlc ? `${dlc.path} (0600; rotated at ${dlc.max_bytes ?? DEAD_LETTER_DEFAULTS.maxBytes} bytes, ${dlc.max_files ?? DEAD_LETTER_DEFAULTS.maxFiles} rotated file(s) kept)` : 'none (rejected input is only logged)'}`,
  );
  if (dlc) {
    let link = false;
    try {
      link = fs.lstatSync(dlc.path).isSymbolicLink();
    } catch {
      /* not there yet */
    }
    if (link)
      fail(
        ['dead_letter', 'path'],
        `${dlc.path} is a symbolic link: run refuses it (files holding event data are never opened through a link)`,
      );
    const loose = looseDirWarning(pathDir(dlc.path));
    if (loose !== undefined) warnings.push(`${locate(['dead_letter', 'path'])}: dead_letter.path: ${loose}`);
  }
  if (config.dead_letter && !fs.existsSync(pathDir(config.dead_letter.path))) {
    // `run` cannot start without it; but the check may run on another machine than the exporter
    warnings.push(
      `${locate(['dead_letter', 'path'])}: dead_letter.path: the folder of ${config.dead_letter.path} does not exist here (run fails at start-up where it does not exist)`,
    );
  }
  if (config.telemetry?.listen !== undefined)
    attempt(['telemetry'], () => parseListen(config.telemetry!.listen!, 'listen'));
  const tel = attempt([], () => resolveTelemetryConfig(config, env));
  warnings.push(...tel.warnings);
  summary.push(
    `telemetry: ${tel.telemetry.listen ? `http://${tel.telemetry.listen.text} (/metrics, /healthz, /readyz)` : 'no server'}; progress log ${tel.telemetry.logIntervalMs ? `every ${tel.telemetry.logIntervalMs} ms` : 'off'}`,
  );
  summary.push(`log: ${config.log?.format ?? LOG_DEFAULTS.format}, level ${config.log?.level ?? LOG_DEFAULTS.level}`);
  summary.push(workersLine(config.workers ?? 0, (m) => warnings.push(`${locate(['workers'])}: ${m}`)));
  if (details.fromEnv && details.fromEnv.size > 0)
    summary.push(`from the environment: ${[...new Set(details.fromEnv.values())].sort().join(', ')}`);
  return {
    config,
    source,
    summary,
    warnings,
    fileSecrets: details.fileSecrets ?? new Set(),
    pluginChecks,
    exporterLines: exLines,
  };
}

/**
 * checkConfigFile, then every `type: module` exporter loaded and built from its options, as `run`
 * does before it starts anything: a module that cannot load, lacks createExporter or refuses its
 * options fails the check at its key. Builds no pipeline and starts no exporter.
 */
export async function checkConfigWithPlugins(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CheckResult> {
  const r = checkConfigFile(file, env);
  if (r.pluginChecks.length === 0) return r;
  for (const p of r.pluginChecks) r.exporterLines[p.index] = await p.check();
  // the exporters line again, with the loaded plugins' summaries in place of "not loaded"
  const k = r.summary.findIndex((l) => l.startsWith(EXPORTERS_HEAD));
  r.summary[k] = `${EXPORTERS_HEAD}${r.exporterLines.join('; ')}`;
  return r;
}

const EXPORTERS_HEAD = 'exporters: ';

type Attempt = <T>(p: Path, f: () => T) => T;

async function checkPlugin(
  e: ExporterConfig,
  i: number,
  attempt: Attempt,
  checkRoute: (target: ExportTarget) => void,
): Promise<string> {
  const spec = e.module;
  const where = `exporters[${i}]${e.name ? ` (${e.name})` : ''}`;
  // the plugin layer's messages start with `where` (its own text, not a key path): the check names the key instead
  const unprefixed = (err: unknown) => new Error((err as Error).message.replace(`${where}: `, ''));
  let factory: Awaited<ReturnType<typeof loadExporterModule>> | undefined;
  try {
    factory = await loadExporterModule(spec!, process.cwd(), where);
  } catch (err) {
    attempt(['module'], () => {
      throw unprefixed(err);
    });
  }
  const exporter = attempt([], () => {
    try {
      return factory!(exporterOptions(e), { log: () => {} });
    } catch (err) {
      throw unprefixed(err);
    }
  });
  checkRoute(exporter.target);
  // built, never started: let it release what its constructor made (timers, agents)
  try {
    await exporter.shutdown();
  } catch {
    /* not started: nothing to flush */
  }
  return `${e.name ?? exporter.name} (module ${spec} → ${exporter.target})`;
}

/** The summary's `workers` line; more worker threads than cores is warned about. */
function workersLine(workers: number, warn: (message: string) => void): string {
  const cores = os.availableParallelism();
  if (workers > cores)
    warn(
      `workers: ${workers} worker thread(s) on ${cores} core(s): more threads than cores only adds overhead (the main thread needs one too) (docs/performance.md "Worker threads")`,
    );
  return workers > 0
    ? `workers: ${workers} thread(s) decode and map (each its own heap, outside memory_limit_mib)`
    : 'workers: 0 (decode and map on the main thread)';
}

function pathDir(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : p.slice(0, i);
}
