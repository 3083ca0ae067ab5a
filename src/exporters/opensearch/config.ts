// Options of the OpenSearch exporter: the Elasticsearch exporter's options minus what OpenSearch has no use
// for (cloudId, apiKey / bearer auth, caFingerprint, serverMajor), resolved by the same validation.

import { resolveElasticsearchOptions, type ResolvedElasticsearchOptions } from '../bulk-common/index.ts';
import type { Logger } from '../bulk-common/index.ts';

export interface OpenSearchExporterOptions {
  name?: string;
  /** One URL or several (`http(s)://host:port`). */
  endpoints?: string | string[];
  /** HTTP basic auth (the security plugin's internal users, or a proxy). */
  auth?: { username: string; password: string };
  tls?: { caFile?: string; insecureSkipVerify?: boolean };
  requestTimeoutMs?: number;
  compression?: boolean;
  dataStream?: { eventsDataset?: string; alertsDataset?: string; namespace?: string };
  maxBulkBytes?: number;
  templates?: 'install' | 'check' | 'skip';
  logger?: Logger;
}

export type ResolvedOpenSearchOptions = ResolvedElasticsearchOptions;

export class OpenSearchConfigError extends Error {
  readonly code = 'OS_CONFIG';
  readonly path: string;
  /** The message without the path. */
  readonly reason: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'OpenSearchConfigError';
    this.path = path;
    this.reason = message;
  }
}

const NOT_FOR_OPENSEARCH: ReadonlyArray<[key: string, why: string]> = [
  ['cloudId', 'Elastic Cloud ids are not OpenSearch endpoints: give endpoints'],
  ['serverMajor', 'only for Elasticsearch REST compatibility headers'],
];

export function resolveOpenSearchOptions(o: OpenSearchExporterOptions, at = 'exporters.opensearch'): ResolvedOpenSearchOptions {
  const raw = o as Record<string, unknown>;
  for (const [k, why] of NOT_FOR_OPENSEARCH) if (raw[k] !== undefined) throw new OpenSearchConfigError(`${at}.${k}`, `not an opensearch option (${why})`);
  const a = raw.auth as Record<string, unknown> | undefined;
  if (a !== undefined && (a === null || typeof a !== 'object' || !('username' in a) || Object.keys(a).some((k) => k !== 'username' && k !== 'password'))) {
    throw new OpenSearchConfigError(`${at}.auth`, 'give username + password (basic auth); AWS SigV4 is not supported yet');
  }
  const tls = raw.tls as Record<string, unknown> | undefined;
  if (tls && 'caFingerprint' in tls) throw new OpenSearchConfigError(`${at}.tls.caFingerprint`, 'not an opensearch option: give tls.ca_file');
  if (o.endpoints === undefined || (Array.isArray(o.endpoints) && o.endpoints.length === 0)) throw new OpenSearchConfigError(`${at}.endpoints`, 'give at least one URL');
  try {
    return resolveElasticsearchOptions({ ...o, name: o.name ?? 'opensearch', serverMajor: 'auto' }, at);
  } catch (err) {
    const e = err as { path?: string; message: string };
    throw new OpenSearchConfigError(e.path ?? at, (e as { reason?: string }).reason ?? e.message);
  }
}
