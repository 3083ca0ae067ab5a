// Options of the OTLP/HTTP logs exporter and their resolution against the standard environment
// variables (OTel spec `protocol/exporter.md`): explicit > OTEL_EXPORTER_OTLP_LOGS_* >
// OTEL_EXPORTER_OTLP_* > default. An invalid explicit value throws; an invalid environment value
// is warned about and ignored (the next layer applies). Header values never appear in messages.

import type { AttrValue } from '../../model/records.ts';
import {
  appendLogsPath,
  checkHeader,
  parseCompression,
  parseHttpUrl,
  parseKeyValueList,
  parsePositiveInt,
  parseProtocol,
} from './parse-values.ts';
import type { Parsed } from './parse-values.ts';
import { EXPORTER_NAME, EXPORTER_VERSION } from './version.ts';

export type OtlpProtocol = 'http/protobuf' | 'http/json';
export type OtlpCompression = 'gzip' | 'none';

export interface OtlpTlsOptions {
  /** PEM file with the CA(s) that sign the collector's certificate (replaces Node's default CAs). */
  caFile?: string;
  /** PEM client certificate (mTLS); needs `keyFile`. */
  certFile?: string;
  /** PEM client private key (mTLS); needs `certFile`. */
  keyFile?: string;
  /** Do not verify the collector's certificate. For tests only. */
  insecureSkipVerify?: boolean;
}

export interface OtlpHttpOptions {
  /** Exporter name in logs, metrics and the dead letter. Default `otlp_http`. */
  name?: string;
  /** Base URL; `/v1/logs` is appended (like OTEL_EXPORTER_OTLP_ENDPOINT). */
  endpoint?: string;
  /** Full logs URL, used as is (like OTEL_EXPORTER_OTLP_LOGS_ENDPOINT). Wins over `endpoint`. */
  logsEndpoint?: string;
  /** Extra request headers (e.g. authorization). Merged per name over the env headers. */
  headers?: Record<string, string>;
  compression?: OtlpCompression;
  /** Whole-request deadline in ms (connect + upload + response). */
  timeoutMs?: number;
  protocol?: OtlpProtocol;
  tls?: OtlpTlsOptions;
  /** `service.name` of the resource. Default `tracee`. */
  serviceName?: string;
  /** Extra resource attributes for every workload resource (operator-set: they win over the mapper's). */
  resourceAttributes?: Record<string, AttrValue>;
  /** A batch whose encoding is larger is split over several requests. Default 4 MiB. */
  maxRequestBytes?: number;
  /** Response bodies are read up to this size. Default 64 KiB. */
  maxResponseBytes?: number;
}

export interface ResolvedOtlpTls {
  readonly caFile: string | undefined;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly insecureSkipVerify: boolean;
}

export interface ResolvedOtlpOptions {
  readonly url: string;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly compression: OtlpCompression;
  readonly timeoutMs: number;
  readonly protocol: OtlpProtocol;
  readonly tls: ResolvedOtlpTls;
  /** Used only when the workload resource does not set the key (e.g. the default `service.name`). */
  readonly resourceDefaults: Readonly<Record<string, AttrValue>>;
  /** Configured by the operator (explicit, OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME): win over the workload's. */
  readonly resourceOverrides: Readonly<Record<string, AttrValue>>;
  readonly maxRequestBytes: number;
  readonly maxResponseBytes: number;
  readonly userAgent: string;
}

export type Env = Readonly<Record<string, string | undefined>>;
export type WarnFn = (message: string) => void;

// Defaults. `service.name` is `tracee`: the service that produces these events is the Tracee sensor
// (semconv: the logical name of the service emitting the telemetry; Falco's own exporter likewise
// says `falco`), and backends group security data by it. tracee-exporter only converts and ships:
// it names itself in the instrumentation scope (`tracee-exporter` + version) and the User-Agent,
// not in the resource. The workload resource may set its own service.name; operators override both.
// Compression is gzip like the Collector's otlphttp exporter (the spec leaves it to the exporter).
export const OTLP_DEFAULTS = {
  url: 'http://localhost:4318/v1/logs',
  compression: 'gzip' as OtlpCompression,
  timeoutMs: 10_000,
  protocol: 'http/protobuf' as OtlpProtocol,
  serviceName: 'tracee',
  maxRequestBytes: 4 * 1024 * 1024,
  maxResponseBytes: 64 * 1024,
};

const MIN_REQUEST_BYTES = 1024;

export class OtlpOptionsError extends Error {
  readonly code = 'OTLP_OPTIONS';
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string) {
    super(`otlp_http.${path}: ${reason}`);
    this.name = 'OtlpOptionsError';
    this.path = path;
    this.reason = reason;
  }
}

function defaultWarn(message: string): void {
  process.emitWarning(message, { code: 'TRACEE_EXPORTER_OTLP_ENV' });
}

/** Reads `OTEL_EXPORTER_OTLP_LOGS_<name>` then `OTEL_EXPORTER_OTLP_<name>`; invalid values are warned and skipped. */
function fromEnv<T>(env: Env, name: string, parse: (raw: string) => Parsed<T>, warn: WarnFn): T | undefined {
  for (const key of [`OTEL_EXPORTER_OTLP_LOGS_${name}`, `OTEL_EXPORTER_OTLP_${name}`]) {
    const raw = env[key];
    if (raw === undefined || raw.trim() === '') continue;
    const r = parse(raw);
    if ('ok' in r) return r.ok;
    warn(`${key} ignored: ${r.error}`);
  }
  return undefined;
}

function explicitValue<T>(path: string, value: unknown, parse: (raw: string) => Parsed<T>): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number')
    throw new OtlpOptionsError(path, `unexpected ${typeof value}`);
  const r = parse(String(value));
  if ('error' in r) throw new OtlpOptionsError(path, r.error);
  return r.ok;
}

function resolveUrl(explicit: OtlpHttpOptions, env: Env, warn: WarnFn): string {
  if (explicit.logsEndpoint !== undefined)
    return explicitValue('logsEndpoint', explicit.logsEndpoint, parseHttpUrl)!.href;
  if (explicit.endpoint !== undefined)
    return appendLogsPath(explicitValue('endpoint', explicit.endpoint, parseHttpUrl)!);
  for (const [key, signalSpecific] of [
    ['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', true],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', false],
  ] as const) {
    const raw = env[key];
    if (raw === undefined || raw.trim() === '') continue;
    const r = parseHttpUrl(raw);
    if ('error' in r) {
      warn(`${key} ignored: ${r.error}`);
      continue;
    }
    return signalSpecific ? r.ok.href : appendLogsPath(r.ok);
  }
  return OTLP_DEFAULTS.url;
}

function lowerCaseKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

function envHeaders(env: Env, key: string, warn: WarnFn): Record<string, string> {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return {};
  const r = parseKeyValueList(raw);
  if ('error' in r) {
    warn(`${key} ignored: ${r.error}`);
    return {};
  }
  for (const [k, v] of Object.entries(r.ok)) {
    const problem = checkHeader(k, v);
    if (problem) {
      warn(`${key} ignored: ${problem}`);
      return {};
    }
  }
  return lowerCaseKeys(r.ok);
}

/** Header names merge case-insensitively: explicit > LOGS env > generic env. */
function resolveHeaders(explicit: OtlpHttpOptions, env: Env, warn: WarnFn): Record<string, string> {
  const merged = {
    ...envHeaders(env, 'OTEL_EXPORTER_OTLP_HEADERS', warn),
    ...envHeaders(env, 'OTEL_EXPORTER_OTLP_LOGS_HEADERS', warn),
  };
  if (explicit.headers !== undefined) {
    if (explicit.headers === null || typeof explicit.headers !== 'object')
      throw new OtlpOptionsError('headers', 'expected an object of name → value');
    for (const [k, v] of Object.entries(explicit.headers)) {
      const problem = checkHeader(k, v);
      if (problem) throw new OtlpOptionsError('headers', problem);
      merged[k.toLowerCase()] = v;
    }
  }
  return merged;
}

function resolveTls(explicit: OtlpHttpOptions, env: Env, warn: WarnFn): ResolvedOtlpTls {
  const t = explicit.tls ?? {};
  const path = (raw: string): Parsed<string> => (raw.trim() === '' ? { error: 'empty path' } : { ok: raw.trim() });
  const pick = (name: keyof OtlpTlsOptions, envName: string): string | undefined =>
    t[name] !== undefined ? explicitValue(`tls.${name}`, t[name], path) : fromEnv(env, envName, path, warn);
  const tls: ResolvedOtlpTls = {
    caFile: pick('caFile', 'CERTIFICATE'),
    certFile: pick('certFile', 'CLIENT_CERTIFICATE'),
    keyFile: pick('keyFile', 'CLIENT_KEY'),
    insecureSkipVerify: t.insecureSkipVerify ?? false,
  };
  if (typeof tls.insecureSkipVerify !== 'boolean')
    throw new OtlpOptionsError('tls.insecureSkipVerify', 'expected a boolean');
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    const msg = 'a client certificate and a client key must be given together';
    if (t.certFile !== undefined || t.keyFile !== undefined) throw new OtlpOptionsError('tls', msg);
    warn(`OTEL_EXPORTER_OTLP_[LOGS_]CLIENT_CERTIFICATE/CLIENT_KEY ignored: ${msg}`);
    return { ...tls, certFile: undefined, keyFile: undefined };
  }
  return tls;
}

function resolveResource(
  explicit: OtlpHttpOptions,
  env: Env,
  warn: WarnFn,
): Pick<ResolvedOtlpOptions, 'resourceDefaults' | 'resourceOverrides'> {
  const overrides: Record<string, AttrValue> = {};
  const rawAttrs = env.OTEL_RESOURCE_ATTRIBUTES;
  if (rawAttrs !== undefined && rawAttrs.trim() !== '') {
    // Spec (resource/sdk.md): on a decoding error the whole variable is discarded.
    const r = parseKeyValueList(rawAttrs);
    if ('error' in r) warn(`OTEL_RESOURCE_ATTRIBUTES ignored: ${r.error}`);
    else Object.assign(overrides, r.ok);
  }
  const svc = env.OTEL_SERVICE_NAME;
  if (svc !== undefined && svc.trim() !== '') overrides['service.name'] = svc.trim();
  if (explicit.resourceAttributes !== undefined) {
    if (explicit.resourceAttributes === null || typeof explicit.resourceAttributes !== 'object') {
      throw new OtlpOptionsError('resourceAttributes', 'expected an object of attribute → value');
    }
    for (const [k, v] of Object.entries(explicit.resourceAttributes)) {
      if (k === '') throw new OtlpOptionsError('resourceAttributes', 'empty attribute key');
      if (v === undefined || v === null) throw new OtlpOptionsError(`resourceAttributes.${k}`, 'value is missing');
      overrides[k] = v;
    }
  }
  if (explicit.serviceName !== undefined) {
    if (typeof explicit.serviceName !== 'string' || explicit.serviceName.trim() === '') {
      throw new OtlpOptionsError('serviceName', 'expected a non-empty string');
    }
    overrides['service.name'] = explicit.serviceName;
  }
  return { resourceDefaults: { 'service.name': OTLP_DEFAULTS.serviceName }, resourceOverrides: overrides };
}

function explicitPositiveInt(path: string, v: number | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new OtlpOptionsError(path, `expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** A copy safe to log or print: header values (often credentials) replaced. */
export function redactOtlpOptions(o: ResolvedOtlpOptions): ResolvedOtlpOptions {
  const headers: Record<string, string> = {};
  for (const k of Object.keys(o.headers)) headers[k] = '[redacted]';
  const u = new URL(o.url);
  if (u.username || u.password) {
    u.username = '[redacted]';
    u.password = '';
  }
  if (u.search) u.search = '?[redacted]';
  return { ...o, url: u.href, headers };
}

export function resolveOtlpOptions(
  explicit: OtlpHttpOptions = {},
  env: Env = process.env,
  warn: WarnFn = defaultWarn,
): ResolvedOtlpOptions {
  const url = resolveUrl(explicit, env, warn);
  const tls = resolveTls(explicit, env, warn);
  if (url.startsWith('http:') && (tls.caFile || tls.certFile || tls.insecureSkipVerify)) {
    warn(`TLS settings are ignored: the endpoint ${url} is plain http`);
  }
  return {
    url,
    headers: resolveHeaders(explicit, env, warn),
    compression:
      explicitValue('compression', explicit.compression, parseCompression) ??
      fromEnv(env, 'COMPRESSION', parseCompression, warn) ??
      OTLP_DEFAULTS.compression,
    timeoutMs:
      explicitPositiveInt('timeoutMs', explicit.timeoutMs) ??
      fromEnv(env, 'TIMEOUT', parsePositiveInt, warn) ??
      OTLP_DEFAULTS.timeoutMs,
    protocol:
      explicitValue('protocol', explicit.protocol, parseProtocol) ??
      fromEnv(env, 'PROTOCOL', parseProtocol, warn) ??
      OTLP_DEFAULTS.protocol,
    tls,
    ...resolveResource(explicit, env, warn),
    maxRequestBytes:
      explicitPositiveInt('maxRequestBytes', explicit.maxRequestBytes, MIN_REQUEST_BYTES) ??
      OTLP_DEFAULTS.maxRequestBytes,
    maxResponseBytes:
      explicitPositiveInt('maxResponseBytes', explicit.maxResponseBytes, 1024) ?? OTLP_DEFAULTS.maxResponseBytes,
    userAgent: `${EXPORTER_NAME}/${EXPORTER_VERSION}`,
  };
}
