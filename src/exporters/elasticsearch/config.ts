// Options of the Elasticsearch exporter and their resolution (defaults + validation, clear messages).

import { dataStreamPartError, dataStreamTarget, type DataStreamTargets } from './data-stream.ts';
import type { Logger } from './logger.ts';

export type EsAuth =
  | { apiKey: string } // encoded API key (base64 "id:key") as Kibana shows it
  | { username: string; password: string }
  | { bearer: string };

export interface EsTlsOptions {
  /** PEM file with the CA that signed the server certificate. */
  caFile?: string;
  /** SHA-256 fingerprint of the CA or server certificate ("AA:BB:..."), https only. */
  caFingerprint?: string;
  /** Accept any certificate. Explicit opt-in; logged as a warning at start. */
  insecureSkipVerify?: boolean;
}

export type TemplateMode = 'install' | 'check' | 'skip';
export type ServerMajor = 8 | 9 | 'auto';

export interface ElasticsearchExporterOptions {
  name?: string;
  /** One URL or several (`http(s)://host:port`); or `cloudId` instead. */
  endpoints?: string | string[];
  cloudId?: string;
  auth?: EsAuth;
  tls?: EsTlsOptions;
  /** Per request; client 9 has no default. Default 30 000 ms. */
  requestTimeoutMs?: number;
  /** Gzip request bodies. Default false. */
  compression?: boolean;
  /** 8 or 9 picks the REST compatibility headers; 'auto' (default) starts with 9 and falls back to 8 once. */
  serverMajor?: ServerMajor;
  dataStream?: { eventsDataset?: string; alertsDataset?: string; namespace?: string };
  /** Upper bound of one bulk request body (uncompressed); larger batches are split. Default 5 000 000. */
  maxBulkBytes?: number;
  templates?: TemplateMode;
  logger?: Logger;
}

export interface ResolvedElasticsearchOptions {
  readonly name: string;
  readonly endpoints: readonly string[];
  readonly cloudId: string | undefined;
  readonly auth: EsAuth | undefined;
  readonly tls: EsTlsOptions;
  readonly requestTimeoutMs: number;
  readonly compression: boolean;
  readonly serverMajor: ServerMajor;
  readonly targets: DataStreamTargets;
  readonly maxBulkBytes: number;
  readonly templates: TemplateMode;
}

export class ElasticsearchConfigError extends Error {
  readonly code = 'ES_CONFIG';
  readonly path: string;
  /** The message without the path. */
  readonly reason: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'ElasticsearchConfigError';
    this.path = path;
    this.reason = message;
  }
}

export const DEFAULTS = {
  name: 'elasticsearch',
  requestTimeoutMs: 30_000,
  maxBulkBytes: 5_000_000,
  eventsDataset: 'tracee.events',
  alertsDataset: 'tracee.alerts',
  namespace: 'default',
} as const;

export function resolveElasticsearchOptions(
  o: ElasticsearchExporterOptions,
  at = 'exporters.elasticsearch',
): ResolvedElasticsearchOptions {
  const fail = (p: string, m: string): never => {
    throw new ElasticsearchConfigError(`${at}.${p}`, m);
  };
  const endpoints = o.endpoints === undefined ? [] : Array.isArray(o.endpoints) ? o.endpoints : [o.endpoints];
  if (endpoints.length === 0 && !o.cloudId) fail('endpoints', 'give at least one URL or a cloud_id');
  if (endpoints.length > 0 && o.cloudId) fail('cloudId', 'give either endpoints or cloud_id, not both');
  endpoints.forEach((e, i) => {
    let u: URL | undefined;
    try {
      u = new URL(e);
    } catch {
      /* reported below */
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
      fail(`endpoints[${i}]`, `expected an http(s) URL, got ${JSON.stringify(redactUrl(e))}`);
  });
  if (o.cloudId !== undefined && !/^[^:]*:[A-Za-z0-9+/=]+$/.test(o.cloudId))
    fail('cloudId', 'expected "<name>:<base64>" as shown in Elastic Cloud');
  const a = o.auth as Record<string, unknown> | undefined;
  if (a) {
    const kinds = ['apiKey', 'username', 'bearer'].filter((k) => k in a);
    if (kinds.length !== 1) fail('auth', 'give exactly one of api_key, username+password, bearer');
    if ('username' in a && typeof a.password !== 'string') fail('auth.password', 'required with username');
    for (const k of ['apiKey', 'username', 'bearer'] as const)
      if (k in a && (typeof a[k] !== 'string' || a[k] === '')) fail(`auth.${k}`, 'must be a non-empty string');
  }
  const tls = o.tls ?? {};
  if (tls.caFingerprint !== undefined && endpoints.some((e) => e.startsWith('http:')))
    fail('tls.caFingerprint', 'only applies to https endpoints');
  if (tls.caFingerprint !== undefined && !/^([0-9a-f]{2}:?){31}[0-9a-f]{2}$/i.test(tls.caFingerprint))
    fail('tls.caFingerprint', 'expected a SHA-256 fingerprint, 32 hex bytes ("AA:BB:..." or "aabb...")');
  if (tls.caFingerprint !== undefined && o.cloudId)
    fail('tls.caFingerprint', 'not used with cloud_id (Elastic Cloud has publicly trusted certificates)');
  if (tls.caFingerprint !== undefined && tls.caFile)
    fail('tls.caFingerprint', 'give either ca_file or ca_fingerprint, not both');
  if (tls.insecureSkipVerify && (tls.caFile || tls.caFingerprint))
    fail('tls.insecureSkipVerify', 'cannot be combined with ca_file or ca_fingerprint');
  const timeout = o.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
  if (!Number.isInteger(timeout) || timeout <= 0)
    fail('requestTimeoutMs', `expected a positive integer, got ${timeout}`);
  const maxBulkBytes = o.maxBulkBytes ?? DEFAULTS.maxBulkBytes;
  if (!Number.isInteger(maxBulkBytes) || maxBulkBytes < 1024)
    fail('maxBulkBytes', `expected an integer >= 1024, got ${maxBulkBytes}`);
  const serverMajor = o.serverMajor ?? 'auto';
  if (serverMajor !== 8 && serverMajor !== 9 && serverMajor !== 'auto')
    fail('serverMajor', `expected 8, 9 or "auto", got ${JSON.stringify(serverMajor)}`);
  const templates = o.templates ?? 'install';
  if (!['install', 'check', 'skip'].includes(templates))
    fail('templates', `expected install, check or skip, got ${JSON.stringify(templates)}`);
  const ds = o.dataStream ?? {};
  const eventsDataset = ds.eventsDataset ?? DEFAULTS.eventsDataset;
  const alertsDataset = ds.alertsDataset ?? DEFAULTS.alertsDataset;
  const namespace = ds.namespace ?? DEFAULTS.namespace;
  const dsErr = (p: string, m: string | undefined) => {
    if (m) fail(`dataStream.${p}`, m);
  };
  dsErr('eventsDataset', dataStreamPartError('dataset', eventsDataset));
  dsErr('alertsDataset', dataStreamPartError('dataset', alertsDataset));
  dsErr('namespace', dataStreamPartError('namespace', namespace));
  if (eventsDataset === alertsDataset) fail('dataStream.alertsDataset', 'must differ from events_dataset');
  return {
    name: o.name ?? DEFAULTS.name,
    endpoints,
    cloudId: o.cloudId,
    auth: o.auth,
    tls,
    requestTimeoutMs: timeout,
    compression: o.compression ?? false,
    serverMajor,
    targets: { event: dataStreamTarget(eventsDataset, namespace), alert: dataStreamTarget(alertsDataset, namespace) },
    maxBulkBytes,
    templates,
  };
}

/** `https://user:pass@host` → `https://***@host`. */
export function redactUrl(u: string): string {
  return u.replace(/\/\/[^/@\s]*@/g, '//***@');
}
