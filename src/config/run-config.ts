// Load and check a run configuration (YAML). `${env:NAME}` and `${env:NAME:-default}` are
// replaced in string values; errors name the file, the line and the key.

import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import { parseListen, type WebhookSourceConfig } from '../sources/webhook/config.ts';
import { TELEMETRY_DEFAULTS, TELEMETRY_LISTEN_ENV, type ResolvedTelemetryConfig, type TelemetryConfig } from '../telemetry/config.ts';

export interface RunConfig {
  version: 1;
  node?: { name?: string; cluster_name?: string; host_id?: string; tracee_version?: string };
  sources?: Array<{
    type: 'stdin' | 'file' | 'webhook';
    /** file: the file to read; webhook: the one path accepted (omitted: any path). */
    path?: string;
    follow?: boolean; start_at?: 'beginning' | 'end'; max_line_bytes?: number;
    // webhook (see src/sources/webhook/config.ts)
    listen?: string; max_body_bytes?: number; max_queue_wait_ms?: number;
    auth?: WebhookSourceConfig['auth']; tls?: WebhookSourceConfig['tls'];
  }>;
  mapping?: { files?: string[]; overrides?: Record<string, unknown> };
  dead_letter?: { path: string };
  delivery?: Record<string, unknown>;
  telemetry?: TelemetryConfig;
  exporters: Array<{ type: string; name?: string; delivery?: Record<string, unknown>; [k: string]: unknown }>;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG';
  constructor(message: string) { super(message); this.name = 'ConfigError'; }
}

const schema = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'run-config.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: false, strict: false }).compile(schema);

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}/g;

export function interpolateEnv(s: string, env: NodeJS.ProcessEnv, where: string): string {
  return s.replace(ENV_REF, (_m, name: string, dflt: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (dflt !== undefined) return dflt;
    throw new ConfigError(`${where}: environment variable ${name} is not set (use \${env:${name}:-default} for a default)`);
  });
}

export function loadRunConfig(file: string, env: NodeJS.ProcessEnv = process.env): RunConfig {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (err) { throw new ConfigError(`${file}: cannot read: ${(err as Error).message}`); }
  return parseRunConfig(text, file, env);
}

export function parseRunConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): RunConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = lines.linePos(e.pos[0]);
    throw new ConfigError(`${file}:${pos.line}: ${e.message.split('\n')[0]}`);
  }
  const lineOf = (p: Array<string | number>): string => {
    const node = doc.getIn(p, true) as { range?: [number, number, number] } | undefined;
    const at = node?.range?.[0] ?? (p.length > 0 ? (doc.getIn(p.slice(0, -1), true) as { range?: [number] } | undefined)?.range?.[0] : undefined);
    return at === undefined ? '' : `:${lines.linePos(at).line}`;
  };
  // interpolate env references in every scalar string, reporting where a variable is missing
  const visit = (v: unknown, p: Array<string | number>): unknown => {
    if (typeof v === 'string') return interpolateEnv(v, env, `${file}${lineOf(p)} (${p.join('.')})`);
    if (Array.isArray(v)) return v.map((x, i) => visit(x, [...p, i]));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = visit(x, [...p, k]);
      return out;
    }
    return v;
  };
  const data = visit(doc.toJS(), []);
  if (!validate(data)) {
    const e = validate.errors![0];
    const p = e.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    const key = p.join('.') || '(top level)';
    const extra = e.params && 'additionalProperty' in e.params ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : e.params && 'allowedValues' in e.params ? `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : '';
    throw new ConfigError(`${file}${lineOf(p)}: ${key}: ${e.message}${extra}`);
  }
  return data as RunConfig;
}

/**
 * The telemetry settings with defaults applied. TRACEE_EXPORTER_TELEMETRY_LISTEN, when set and not
 * empty, wins over `telemetry.listen` (and turns the server on without a `telemetry:` section); an
 * invalid value is reported in `warnings` and ignored.
 */
export function resolveTelemetryConfig(config: RunConfig, env: NodeJS.ProcessEnv = process.env): { telemetry: ResolvedTelemetryConfig; warnings: string[] } {
  const warnings: string[] = [];
  const t = config.telemetry ?? {};
  let listen: ResolvedTelemetryConfig['listen'];
  if (t.listen !== undefined) {
    try { listen = { ...parseListen(t.listen, 'telemetry.listen'), text: t.listen }; } catch (err) { throw new ConfigError((err as Error).message); }
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
