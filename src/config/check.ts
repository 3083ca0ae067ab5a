// `config check`: everything `run` rejects at start-up that can be checked without the network —
// the schema, ${env:}/${file:} references, the environment overlay, mapping files and overrides,
// exporter options, delivery bounds, webhook and telemetry settings. Errors name file:line and the
// key (or the environment variable that set it); secret values are scrubbed from every message.

import fs from 'node:fs';
import { DEAD_LETTER_DEFAULTS } from '../delivery/dead-letter.ts';
import { resolveDeliveryOptions } from '../delivery/options.ts';
import { ElasticsearchConfigError, resolveElasticsearchOptions } from '../exporters/elasticsearch/config.ts';
import type { ElasticsearchExporterOptions } from '../exporters/elasticsearch/config.ts';
import { OpenSearchConfigError, resolveOpenSearchOptions, type OpenSearchExporterOptions } from '../exporters/opensearch/config.ts';
import { OtlpOptionsError, resolveOtlpOptions, type OtlpHttpOptions } from '../exporters/otlp-http/options.ts';
import { loadExporterModule } from '../exporters/plugin.ts';
import { EXPORTER_TYPE_NAMES } from '../exporters/registry.ts';
import { compileMapper } from '../mapping/compile.ts';
import { checkOverride, loadMappingTables, readTableFile } from '../mapping/load.ts';
import { loadTrimGroups, trimDrops, withDrops } from '../mapping/trim.ts';
import { compileFilter } from '../mapping/event-filter.ts';
import { SOURCE_TYPES } from '../sources/registry.ts';
import { looseDirWarning } from '../util/private-file.ts';
import { detectNodeInfo } from './node-info.ts';
import { ConfigError, exporterOptions, loadRunConfig, resolveTelemetryConfig, type ParseDetails, type RunConfig } from './run-config.ts';
import { propertiesOf, runConfigSchema } from './schema-walk.ts';
import { maskUrl, scrub } from './secrets.ts';
import { resolveKafkaOptions, type KafkaExporterOptions } from '../exporters/kafka/index.ts';

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

type Path = Array<string | number>;

/** "exporters.0.tls.caFingerprint" / "endpoints[1]" → ['exporters', 0, 'tls', 'caFingerprint']. */
function toPath(dotted: string): Path {
  return dotted.replace(/\[(\d+)\]/g, '.$1').split('.').filter((s) => s !== '').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function checkConfigFile(file: string | undefined, env: NodeJS.ProcessEnv = process.env): CheckResult {
  const details: ParseDetails = {};
  const config = loadRunConfig(file, env, details);
  const locate = details.locate!;
  const secrets = details.secrets ?? new Set<string>();
  const source = locate([]).replace(/ \(.*\)$/, '').replace(/:\d+$/, '');
  const fail = (p: Path, message: string): never => { throw new ConfigError(scrub(`${locate(p)}: ${p.join('.') || '(top level)'}: ${message}`, secrets)); };
  /**
   * Runs one of the resolvers `run` uses and turns its error into "file:line: key: message".
   * `keyPrefix`: the resolver's messages start with "<keyPrefix><key>" (delivery.maxQueueItems…).
   */
  const attempt = <T>(p: Path, f: () => T, keyPrefix?: string): T => {
    try { return f(); } catch (err) {
      const e = err as Error & { path?: unknown };
      let msg = e.message;
      let where = p;
      if ((err instanceof ElasticsearchConfigError || err instanceof OpenSearchConfigError || err instanceof OtlpOptionsError) && typeof e.path === 'string') {
        where = [...p, ...toPath(e.path.replace(/^x\./, ''))];
        msg = msg.slice(msg.indexOf(`${e.path}: `) >= 0 ? msg.indexOf(`${e.path}: `) + e.path.length + 2 : 0);
      } else if (keyPrefix !== undefined && msg.startsWith(keyPrefix)) {
        const m = /^([\w.]+)(: )?/.exec(msg.slice(keyPrefix.length))!;
        where = [...p, ...toPath(m[1])];
        msg = m[2] ? msg.slice(keyPrefix.length + m[0].length) : msg.slice(keyPrefix.length);
      }
      return fail(where, msg);
    }
  };
  const warnings: string[] = [];
  const summary: string[] = [];

  // sources
  const sources = config.sources ?? [{ type: 'stdin' as const }];
  // each source checks itself as a dry run (src/sources/registry.ts): nothing opened, no listening
  const srcLines = sources.map((s, i) => {
    const kind = SOURCE_TYPES[s.type];
    if (kind === undefined) return String(s.type);
    return kind.check(s, {
      attempt: (key, f, keyPrefix) => attempt(['sources', i, ...key], f, keyPrefix),
      warn: (key, message) => { const p = ['sources', i, ...key]; warnings.push(`${locate(p)}: ${p.join('.')}: ${message}`); },
    });
  });
  summary.push(`sources: ${srcLines.join('; ')}`);

  // mapping tables (compiled as `run` does)
  const overrides = [
    ...(config.mapping?.files ?? []).map((f, i) => attempt(['mapping', 'files', i], () => readTableFile(f))),
    ...(config.mapping?.overrides ? [attempt(['mapping', 'overrides'], () => checkOverride('mapping.overrides', config.mapping!.overrides))] : []),
  ];
  const tables = attempt(['mapping'], () => loadMappingTables(undefined, overrides));
  const node = detectNodeInfo(config.node ?? {}, env);
  const mapper = attempt(['mapping'], () => compileMapper(tables, { node }));
  // an exporter's trimmed mapper, compiled as `run` compiles it (what the drops remove must not break a table)
  const trimmedMapper = (drops: ReturnType<typeof trimDrops>) => compileMapper(withDrops(tables, drops), { node });
  let trimGroups: ReturnType<typeof loadTrimGroups> | undefined;

  // exporters: options and delivery bounds
  const root = runConfigSchema();
  const itemSchema = (root.properties as Record<string, { items: unknown }>).exporters.items;
  const pluginChecks: CheckResult['pluginChecks'] = [];
  const exLines = config.exporters.map((e, i) => {
    const at: Path = ['exporters', i];
    const name = e.name ?? e.type;
    const known = propertiesOf(root, itemSchema, e);
    for (const k of Object.keys(e)) {
      // a plugin's (type module) own options are its business
      if (e.type !== 'module' && !(k in known)) warnings.push(`${locate([...at, k])}: exporters.${i}.${k}: not an option of ${e.type} exporters (ignored; known: ${Object.keys(known).join(', ')})`);
    }
    const { type, delivery, ...options } = e;
    const merged = { ...(config.delivery ?? {}), ...(delivery ?? {}) };
    attempt(delivery ? [...at, 'delivery'] : ['delivery'], () => resolveDeliveryOptions(merged), 'delivery.');
    if (type !== 'module' && !EXPORTER_TYPE_NAMES.includes(type)) fail([...at, 'type'], `unknown exporter "${type}"`);
    // filters and trimming, compiled as `run` does (a plugin's target is only known once it loads)
    // their messages start with "<where>.<key>: "; report them at that key's line
    const exporterCheck = (f: () => unknown) => {
      try { f(); } catch (err) {
        const m = /^@\.([\w.]+): ([\s\S]*)$/.exec((err as Error).message);
        if (m === null) throw err;
        fail([...at, ...toPath(m[1])], m[2]);
      }
    };
    if (e.filter !== undefined) exporterCheck(() => compileFilter(e.filter, tables.lookups, '@.filter'));
    const target = type === 'elasticsearch' || type === 'opensearch' ? 'ecs' : type === 'otlp_http' ? 'otel'
      : type === 'kafka' ? ((options as { encoding?: unknown }).encoding === 'ecs_json' ? 'ecs' : 'otel')
      : type === 'console' ? ((options as { format?: unknown }).format === 'otlp-json' ? 'otel' : 'ecs') : undefined;
    if (target !== undefined && ((e.trim ?? []).length > 0 || (e.drop_fields ?? []).length > 0)) {
      exporterCheck(() => trimmedMapper(trimDrops({ trim: e.trim, drop_fields: e.drop_fields, target }, trimGroups ??= loadTrimGroups(), mapper, '@')));
    }
    if (type === 'console') {
      const format = (options as { format?: unknown }).format ?? 'ecs';
      if (format !== 'ecs' && format !== 'otlp-json') fail([...at, 'format'], 'expected ecs or otlp-json');
      return `${name} → ${(options as { path?: string }).path ?? 'stdout'} (${format})`;
    }
    if (type === 'otlp_http') {
      const w: string[] = [];
      const r = attempt(at, () => resolveOtlpOptions(options as OtlpHttpOptions, env, (m) => w.push(m)));
      warnings.push(...w.map((m) => scrub(`exporters.${i}: ${m}`, secrets)));
      for (const k of ['caFile', 'certFile', 'keyFile'] as const) {
        const f = r.tls[k];
        if (f !== undefined && !r.url.startsWith('http:')) attempt([...at, 'tls', k], () => fs.accessSync(f, fs.constants.R_OK));
      }
      return `${name} → ${maskUrl(r.url)} (${r.protocol}, ${r.compression})`;
    }
    if (type === 'elasticsearch') {
      const r = attempt(at, () => resolveElasticsearchOptions(options as ElasticsearchExporterOptions, 'x'));
      if (r.tls.caFile) attempt([...at, 'tls', 'caFile'], () => fs.accessSync(r.tls.caFile!, fs.constants.R_OK));
      const auth = r.auth ? Object.keys(r.auth).filter((k) => k !== 'password')[0] : 'none';
      return `${name} → ${r.cloudId ? 'Elastic Cloud' : r.endpoints.map(maskUrl).join(', ')} (${r.targets.event.name}, ${r.targets.alert.name}; auth: ${auth})`;
    }
    if (type === 'kafka') {
      const r = attempt(at, () => resolveKafkaOptions(options as KafkaExporterOptions));
      if (r.tls) for (const k of ['caFile', 'certFile', 'keyFile'] as const) {
        const f = r.tls[k];
        if (f !== undefined) attempt([...at, 'tls', k], () => fs.accessSync(f, fs.constants.R_OK));
      }
      return `${name} → kafka ${r.brokers.join(',')} (${r.encoding} to ${r.topics.events}, ${r.topics.alerts}; ${r.compression}${r.tls ? ', TLS' : ''}; sasl: ${r.sasl?.mechanism ?? 'none'})`;
    }
    if (type === 'opensearch') {
      const r = attempt(at, () => resolveOpenSearchOptions(options as OpenSearchExporterOptions, 'x'));
      if (r.tls.caFile) attempt([...at, 'tls', 'caFile'], () => fs.accessSync(r.tls.caFile!, fs.constants.R_OK));
      return `${name} → ${r.endpoints.map(maskUrl).join(', ')} (${r.targets.event.name}, ${r.targets.alert.name}; auth: ${r.auth ? 'basic' : 'none'})`;
    }
    pluginChecks.push({ index: i, check: () => checkPlugin(e, i, (p, f) => attempt([...at, ...p], f), exporterCheck, mapper, trimmedMapper) });
    return `${name} (${type}${e.module ? ` ${e.module}` : ''}: not loaded)`;
  });
  summary.push(`${EXPORTERS_HEAD}${exLines.join('; ')}`);

  const dlc = config.dead_letter;
  summary.push(`dead letter: ${dlc ? `${dlc.path} (0600; rotated at ${dlc.max_bytes ?? DEAD_LETTER_DEFAULTS.maxBytes} bytes, ${dlc.max_files ?? DEAD_LETTER_DEFAULTS.maxFiles} rotated file(s) kept)` : 'none (rejected input is only logged)'}`);
  if (dlc) {
    let link = false;
    try { link = fs.lstatSync(dlc.path).isSymbolicLink(); } catch { /* not there yet */ }
    if (link) fail(['dead_letter', 'path'], `${dlc.path} is a symbolic link: run refuses it (files holding event data are never opened through a link)`);
    const loose = looseDirWarning(pathDir(dlc.path));
    if (loose !== undefined) warnings.push(`${locate(['dead_letter', 'path'])}: dead_letter.path: ${loose}`);
  }
  if (config.dead_letter && !fs.existsSync(pathDir(config.dead_letter.path))) {
    // `run` cannot start without it; but the check may run on another machine than the exporter
    warnings.push(`${locate(['dead_letter', 'path'])}: dead_letter.path: the folder of ${config.dead_letter.path} does not exist here (run fails at start-up where it does not exist)`);
  }
  const tel = attempt([], () => resolveTelemetryConfig(config, env), '');
  warnings.push(...tel.warnings);
  summary.push(`telemetry: ${tel.telemetry.listen ? `http://${tel.telemetry.listen.text} (/metrics, /healthz, /readyz)` : 'no server'}; progress log ${tel.telemetry.logIntervalMs ? `every ${tel.telemetry.logIntervalMs} ms` : 'off'}`);
  if (details.fromEnv && details.fromEnv.size > 0) summary.push(`from the environment: ${[...new Set(details.fromEnv.values())].sort().join(', ')}`);
  return { config, source, summary, warnings, fileSecrets: details.fileSecrets ?? new Set(), pluginChecks, exporterLines: exLines };
}

/**
 * checkConfigFile, then every `type: module` exporter loaded and built from its options, as `run`
 * does before it starts anything: a module that cannot load, lacks createExporter or refuses its
 * options fails the check at its key. Builds no pipeline and starts no exporter.
 */
export async function checkConfigWithPlugins(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<CheckResult> {
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

async function checkPlugin(e: RunConfig['exporters'][number], i: number, attempt: Attempt, exporterCheck: (f: () => unknown) => void, mapper: ReturnType<typeof compileMapper>, trimmedMapper: (drops: ReturnType<typeof trimDrops>) => unknown): Promise<string> {
  const { trim, drop_fields, module: spec } = e;
  const where = `exporters[${i}]${e.name ? ` (${e.name})` : ''}`;
  // the plugin layer's messages start with `where`: the check names the key instead
  const unprefixed = (err: unknown) => new Error((err as Error).message.replace(`${where}: `, ''));
  let factory: Awaited<ReturnType<typeof loadExporterModule>> | undefined;
  try {
    factory = await loadExporterModule(spec!, process.cwd(), where);
  } catch (err) {
    attempt(['module'], () => { throw unprefixed(err); });
  }
  const exporter = attempt([], () => {
    try { return factory!(exporterOptions(e), { log: () => {} }); } catch (err) { throw unprefixed(err); }
  });
  if ((trim ?? []).length > 0 || (drop_fields ?? []).length > 0) {
    exporterCheck(() => trimmedMapper(trimDrops({ trim, drop_fields, target: exporter.target }, loadTrimGroups(), mapper, '@')));
  }
  // built, never started: let it release what its constructor made (timers, agents)
  try { await exporter.shutdown(); } catch { /* not started: nothing to flush */ }
  return `${e.name ?? exporter.name} (module ${spec} → ${exporter.target})`;
}

function pathDir(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : p.slice(0, i);
}
