// Options of the OpenSearch exporter: the Elasticsearch exporter's options minus what OpenSearch has no use
// for (cloudId, apiKey / bearer auth, caFingerprint, serverMajor), resolved by the same validation.

import { resolveElasticsearchOptions, type ResolvedElasticsearchOptions } from '../bulk-common/index.ts';
import type { Logger } from '../bulk-common/index.ts';

export interface OpenSearchExporterOptions {
  name?: string;
  /** One URL or several (`http(s)://host:port`). */
  endpoints?: string | string[];
  /**
   * HTTP basic auth (the security plugin's internal users, or a proxy), or AWS SigV4 (Amazon OpenSearch
   * Service `es`, Serverless `aoss`) with keys from the environment or the shared credentials file.
   */
  auth?: { username?: string; password?: string; awsSigv4?: AwsSigv4Options };
  tls?: { caFile?: string; insecureSkipVerify?: boolean };
  requestTimeoutMs?: number;
  compression?: boolean;
  dataStream?: { eventsDataset?: string; alertsDataset?: string; namespace?: string };
  maxBulkBytes?: number;
  templates?: 'install' | 'check' | 'skip';
  logger?: Logger;
}

export interface AwsSigv4Options {
  /** AWS region; default AWS_REGION, else AWS_DEFAULT_REGION. */
  region?: string;
  /** `es` (OpenSearch Service, default) or `aoss` (OpenSearch Serverless). */
  service?: 'es' | 'aoss';
  /** Profile of the shared credentials file when the keys are not in the environment (default AWS_PROFILE, else `default`). */
  profile?: string;
}

export interface ResolvedAwsSigv4 {
  region: string;
  service: 'es' | 'aoss';
  profile?: string;
}

export type ResolvedOpenSearchOptions = ResolvedElasticsearchOptions & { readonly awsSigv4?: ResolvedAwsSigv4 };

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

function resolveSigv4(v: unknown, at: string, env: NodeJS.ProcessEnv): ResolvedAwsSigv4 {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new OpenSearchConfigError(at, 'must be an object ({} takes the region from AWS_REGION)');
  const s = v as Record<string, unknown>;
  for (const k of Object.keys(s))
    if (k !== 'region' && k !== 'service' && k !== 'profile')
      throw new OpenSearchConfigError(
        `${at}.${k}`,
        'unknown key (region, service, profile); the keys come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the shared credentials file, never from this file',
      );
  const region = s.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (typeof region !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region))
    throw new OpenSearchConfigError(
      `${at}.region`,
      region === undefined ? 'give region, or set AWS_REGION' : `not an AWS region: ${JSON.stringify(region)}`,
    );
  const service = s.service ?? 'es';
  if (service !== 'es' && service !== 'aoss')
    throw new OpenSearchConfigError(`${at}.service`, 'es (OpenSearch Service) or aoss (OpenSearch Serverless)');
  if (s.profile !== undefined && (typeof s.profile !== 'string' || s.profile === ''))
    throw new OpenSearchConfigError(`${at}.profile`, 'must be a non-empty string');
  return { region, service, ...(s.profile ? { profile: s.profile as string } : {}) };
}

export function resolveOpenSearchOptions(
  o: OpenSearchExporterOptions,
  at = 'exporters.opensearch',
  env: NodeJS.ProcessEnv = process.env,
): ResolvedOpenSearchOptions {
  const raw = o as Record<string, unknown>;
  for (const [k, why] of NOT_FOR_OPENSEARCH)
    if (raw[k] !== undefined) throw new OpenSearchConfigError(`${at}.${k}`, `not an opensearch option (${why})`);
  const a = raw.auth as Record<string, unknown> | undefined;
  let awsSigv4: ResolvedAwsSigv4 | undefined;
  if (a !== null && typeof a === 'object' && 'awsSigv4' in a) {
    if (Object.keys(a).length !== 1)
      throw new OpenSearchConfigError(`${at}.auth`, 'aws_sigv4 goes alone (no username / password with it)');
    awsSigv4 = resolveSigv4(a.awsSigv4, `${at}.auth.awsSigv4`, env);
  } else if (
    a !== undefined &&
    (a === null ||
      typeof a !== 'object' ||
      !('username' in a) ||
      Object.keys(a).some((k) => k !== 'username' && k !== 'password'))
  ) {
    throw new OpenSearchConfigError(`${at}.auth`, 'give username + password (basic auth), or aws_sigv4');
  }
  const tls = raw.tls as Record<string, unknown> | undefined;
  if (tls && 'caFingerprint' in tls)
    throw new OpenSearchConfigError(`${at}.tls.caFingerprint`, 'not an opensearch option: give tls.ca_file');
  if (o.endpoints === undefined || (Array.isArray(o.endpoints) && o.endpoints.length === 0))
    throw new OpenSearchConfigError(`${at}.endpoints`, 'give at least one URL');
  if (
    awsSigv4 &&
    o.endpoints !== undefined &&
    [o.endpoints].flat().some((e) => typeof e === 'string' && !e.startsWith('https:'))
  ) {
    throw new OpenSearchConfigError(`${at}.endpoints`, 'aws_sigv4 needs https endpoints');
  }
  try {
    const { auth, ...rest } = o;
    const r = resolveElasticsearchOptions(
      {
        ...rest,
        ...(awsSigv4 ? {} : { auth: auth as { username: string; password: string } | undefined }),
        name: o.name ?? 'opensearch',
        serverMajor: 'auto',
      },
      at,
    );
    return awsSigv4 ? { ...r, awsSigv4 } : r;
  } catch (err) {
    const e = err as { path?: string; message: string };
    throw new OpenSearchConfigError(e.path ?? at, (e as { reason?: string }).reason ?? e.message);
  }
}
