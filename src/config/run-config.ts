// Load and check a run configuration (YAML). `${env:NAME}` and `${env:NAME:-default}` are
// replaced in string values; errors name the file, the line and the key.

import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { parseListen } from '../sources/webhook/config.ts';
import { formatOptionPath, type OptionPath } from '../util/option-error.ts';
import { applyEnvOverlay, EnvOverlayError, type EnvOrigins } from './env-overlay.ts';
import { applyElasticsearchEnv } from './standard-env.ts';
import { LegacyKeyError, rewriteLegacyKeys } from './legacy-keys.ts';
import { runConfigSchema, type ExporterConfig, type RunConfig } from './model.ts';
import { collectEnvSecrets, collectSecrets, registerSecrets, scrub } from './secrets.ts';
import { runConfigValidator } from './run-config-validator.ts';
import { TELEMETRY_DEFAULTS, TELEMETRY_LISTEN_ENV, type ResolvedTelemetryConfig } from '../telemetry/config.ts';

export type { RunConfig, ExporterConfig, SourceConfig } from './model.ts';

/**
 * An exporter entry's own options, what its factory gets: every key but those the pipeline handles
 * (type, module, delivery, filter, trim, drop_fields, redact); `name` stays when configured.
 */
export function exporterOptions(e: ExporterConfig): Record<string, unknown> {
  const {
    type: _type,
    module: _module,
    delivery: _delivery,
    filter: _filter,
    trim: _trim,
    drop_fields: _drop,
    redact: _redact,
    ...options
  } = e;
  return options;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG';
  /**
   * For an error raised while `run` builds the pipeline from the config: the key it is about and
   * the reason alone, so that locateConfigError() can name file:line:col as `config check` does.
   */
  readonly path?: OptionPath;
  readonly reason?: string;
  constructor(message: string, at?: { path: OptionPath; reason: string }) {
    super(message);
    this.name = 'ConfigError';
    if (at) {
      this.path = at.path;
      this.reason = at.reason;
    }
  }

  /** "exporters[1].name: reason", keeping the key for locateConfigError(). */
  static at(path: OptionPath, reason: string): ConfigError {
    return new ConfigError(`${formatOptionPath(path)}: ${reason}`, { path, reason });
  }
}

/**
 * A ConfigError that names its key (ConfigError.at), as "file:line:col: path: reason" (`locate`:
 * ParseDetails.locate, where the key is in the file or which variable set it); `mapPath` first moves
 * the key (replay builds each exporter as exporters[0] of a config of its own). Anything else as it is.
 */
export function locateConfigError(
  err: unknown,
  locate: ((p: OptionPath) => string) | undefined,
  mapPath: (p: OptionPath) => OptionPath = (p) => p,
): unknown {
  if (!(err instanceof ConfigError) || err.path === undefined || err.reason === undefined) return err;
  const p = mapPath(err.path);
  const located = new ConfigError(`${locate ? `${locate(p)}: ` : ''}${formatOptionPath(p)}: ${err.reason}`);
  located.stack = err.stack;
  return located;
}

const schema = runConfigSchema();
const validate = runConfigValidator(schema);

const REF = /\$\{(?:env:([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?|file:([^}]+))\}/g;

/** Where the configuration may point outside the file: environment variables, and secret files read by ${file:…}. */
export const CONFIG_FILE_ENV = 'TRACEE_EXPORTER_CONFIG';

/**
 * Replaces `${env:NAME}`, `${env:NAME:-default}` and `${file:/path}` (the file's content, trailing
 * newlines trimmed: a Kubernetes secret volume). Errors name `where` and the variable or path,
 * never a value. Contents read from files are added to `secrets` (to scrub from later messages).
 */
export function interpolateEnv(s: string, env: NodeJS.ProcessEnv, where: string, secrets?: Set<string>): string {
  return s.replace(REF, (_m, name: string | undefined, dflt: string | undefined, file: string | undefined) => {
    if (file !== undefined) {
      let content: string;
      try {
        content = fs.readFileSync(file.trim(), 'utf8');
      } catch (err) {
        throw new ConfigError(
          `${where}: cannot read secret file ${file.trim()}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        );
      }
      content = content.replace(/[\r\n]+$/, '');
      if (content === '') throw new ConfigError(`${where}: secret file ${file.trim()} is empty`);
      secrets?.add(content);
      return content;
    }
    const v = env[name!];
    if (v !== undefined && v !== '') return v;
    if (dflt !== undefined) return dflt;
    throw new ConfigError(
      `${where}: environment variable ${name} is not set (use \${env:${name}:-default} for a default)`,
    );
  });
}

/** The minimal document an environment-only configuration starts from (docs/configuration.md). */
export const ENV_ONLY_FILE = '(environment)';

/**
 * `file`, else $TRACEE_EXPORTER_CONFIG, else a configuration from the environment alone
 * (`version: 1` plus the TRACEE_EXPORTER_…__… overlay; it needs at least one exporter).
 */
export function loadRunConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  details?: ParseDetails,
): RunConfig {
  const chosen = file ?? (env[CONFIG_FILE_ENV] ? env[CONFIG_FILE_ENV] : undefined);
  if (chosen === undefined) return parseRunConfig('version: 1\n', ENV_ONLY_FILE, env, details);
  let text: string;
  try {
    text = fs.readFileSync(chosen, 'utf8');
  } catch (err) {
    throw new ConfigError(`${chosen}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseRunConfig(text, chosen, env, details);
}

/** Filled by parseRunConfig for `config check` / `config print`. */
export interface ParseDetails {
  /** The file it was read from, or "(environment)". */
  file?: string;
  /** "file:line:column" of a config path, or the environment variable that set it. */
  locate?: (p: Array<string | number>) => string;
  /** Deprecated keys that were rewritten ("file:line:column: delivery.whenFull is deprecated: use delivery.when_full"). */
  warnings?: string[];
  /** Values that must never be printed (secret keys, ${file:} contents), to scrub from messages. */
  secrets?: Set<string>;
  /** The ${file:} contents alone: secrets whatever key they land under (`config print` masks them). */
  fileSecrets?: Set<string>;
  /** Config path (dot-joined) → the environment variable that set it. */
  fromEnv?: EnvOrigins;
}

export function parseRunConfig(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  details?: ParseDetails,
): RunConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = lines.linePos(e.pos[0]);
    throw new ConfigError(`${file}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]}`);
  }
  // every secret of the environment and the file is known to `redact` before anything can fail
  registerSecrets(collectEnvSecrets(env));
  const origins: EnvOrigins = new Map();
  const secrets = new Set<string>();
  const fileSecrets = new Set<string>();
  let rewrites: Array<{ from: OptionPath; to: OptionPath }> = [];
  /** Where a path of the loaded config was written in the file (a deprecated key was rewritten). */
  const written = (p: OptionPath): OptionPath => {
    let best: { from: OptionPath; to: OptionPath } | undefined;
    for (const r of rewrites)
      if (r.to.length <= p.length && r.to.every((s, i) => s === p[i]) && (!best || r.to.length > best.to.length))
        best = r;
    return best ? [...best.from, ...p.slice(best.to.length)] : p;
  };
  const lineOf = (p: OptionPath): string => {
    // a value set by the environment is reported by its variable (the nearest enclosing one)
    for (let n = p.length; n > 0; n--) {
      const variable = origins.get(p.slice(0, n).join('.'));
      if (variable !== undefined) return ` (${variable})`;
    }
    // the YAML node's position: the key's value, else the nearest enclosing node that exists
    const w = written(p);
    for (let n = w.length; n >= 0; n--) {
      const node = doc.getIn(w.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      const at = node?.range?.[0];
      if (at !== undefined) {
        const pos = lines.linePos(at);
        return `:${pos.line}:${pos.col}`;
      }
    }
    return '';
  };
  // interpolate env references in every scalar string, reporting where a variable is missing
  const visit = (v: unknown, p: OptionPath): unknown => {
    if (typeof v === 'string')
      return interpolateEnv(v, env, `${file}${lineOf(p)} (${formatOptionPath(p)})`, fileSecrets);
    if (Array.isArray(v)) return v.map((x, i) => visit(x, [...p, i]));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        // assigned, an own `__proto__` key would become `out`'s prototype: options the schema never sees
        if (k === '__proto__')
          throw new ConfigError(
            `${file}${lineOf([...p, k])}: ${formatOptionPath([...p, k])}: the key "__proto__" is not allowed`,
          );
        out[k] = visit(x, [...p, k]);
      }
      return out;
    }
    return v;
  };
  const data = visit(doc.toJS(), []);
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new ConfigError(`${file}: expected a mapping (version: 1, exporters: …)`);
  // deprecated keys (camelCase, exporters[].buffer) to the model's, before the environment adds any
  let legacy: ReturnType<typeof rewriteLegacyKeys>;
  try {
    legacy = rewriteLegacyKeys(data as Record<string, unknown>, schema);
  } catch (err) {
    if (err instanceof LegacyKeyError) throw new ConfigError(`${file}${lineOf(err.path)}: ${err.message}`);
    throw err;
  }
  rewrites = legacy;
  const warnings = legacy.map((r) => `${file}${lineOf(r.to)}: ${r.message}`);
  // the environment overlay (TRACEE_EXPORTER_…__…) wins over the file; ELASTICSEARCH_* fill what is left out
  const fromEnv = (s: string, variable: string) => interpolateEnv(s, env, variable, fileSecrets);
  try {
    // a deprecated variable (EXPORTERS__<NAME>__BUFFER__…) warns, naming the new one, as a deprecated key does
    applyEnvOverlay(data as Record<string, unknown>, schema, env, origins, fromEnv, (m) => warnings.push(m));
    applyElasticsearchEnv(data as Record<string, unknown>, env, origins, fromEnv);
  } catch (err) {
    if (err instanceof EnvOverlayError) throw new ConfigError(err.message);
    throw err;
  }
  for (const s of fileSecrets) secrets.add(s);
  collectSecrets(data, '', secrets);
  registerSecrets(secrets);
  if (details) {
    details.file = file;
    details.locate = (p) => `${file}${lineOf(p)}`;
    details.secrets = secrets;
    details.fileSecrets = fileSecrets;
    details.fromEnv = origins;
    details.warnings = warnings;
  } else for (const w of warnings) process.emitWarning(w, { code: 'TRACEE_EXPORTER_DEPRECATED_KEY' });
  if (file === ENV_ONLY_FILE && !Array.isArray((data as { exporters?: unknown }).exporters)) {
    throw new ConfigError(
      `no configuration: give --config FILE or ${CONFIG_FILE_ENV}=FILE, or configure from the environment with at least one exporter (e.g. TRACEE_EXPORTER_EXPORTERS__CONSOLE__FORMAT=ecs; docs/configuration.md)`,
    );
  }
  if (!validate(data)) {
    const e = validate.errors![0];
    const p = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
    const extra =
      e.params && 'additionalProperty' in e.params
        ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"`
        : e.params && 'allowedValues' in e.params
          ? `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
          : '';
    const at =
      e.params && 'additionalProperty' in e.params
        ? [...p, (e.params as { additionalProperty: string }).additionalProperty]
        : p;
    throw new ConfigError(scrub(`${file}${lineOf(at)}: ${formatOptionPath(at)}: ${e.message}${extra}`, secrets));
  }
  const config = data as RunConfig;
  // a plugin module given as a relative path is relative to the config file, not to the cwd
  for (const e of config.exporters) {
    if (typeof e.module === 'string' && e.module.startsWith('.'))
      e.module = path.resolve(path.dirname(path.resolve(file)), e.module);
  }
  return config;
}

/**
 * The telemetry settings with defaults applied. TRACEE_EXPORTER_TELEMETRY_LISTEN, when set and not
 * empty, wins over `telemetry.listen` (and turns the server on without a `telemetry:` section); an
 * invalid value is reported in `warnings` and ignored.
 */
export function resolveTelemetryConfig(
  config: RunConfig,
  env: NodeJS.ProcessEnv = process.env,
): { telemetry: ResolvedTelemetryConfig; warnings: string[] } {
  const warnings: string[] = [];
  const t = config.telemetry ?? {};
  let listen: ResolvedTelemetryConfig['listen'];
  if (t.listen !== undefined) {
    try {
      listen = { ...parseListen(t.listen, 'telemetry.listen'), text: t.listen };
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }
  const fromEnv = env[TELEMETRY_LISTEN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    try {
      listen = { ...parseListen(fromEnv, TELEMETRY_LISTEN_ENV), text: fromEnv };
    } catch (err) {
      warnings.push(`${(err as Error).message}: ignored${listen ? `, using telemetry.listen ${listen.text}` : ''}`);
    }
  }
  return {
    telemetry: {
      listen,
      logIntervalMs: t.log_interval_ms ?? TELEMETRY_DEFAULTS.logIntervalMs,
      notReadyAfterRetryingMs: t.not_ready_after_retrying_ms ?? TELEMETRY_DEFAULTS.notReadyAfterRetryingMs,
    },
    warnings,
  };
}
