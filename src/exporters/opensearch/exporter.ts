// The OpenSearch exporter (target 'ecs'): the shared bulk send loop (../bulk-common/bulk-exporter.ts) with
// @opensearch-project/opensearch, the templates adapted to OpenSearch (./templates.ts), basic auth or AWS
// SigV4 (./aws-credentials.ts), and OpenSearch's answer to a missing data stream: it stores the item in a
// plain index it creates under the stream's name, which the shared loop detects (`_index` in the answer)
// and repairs (reinstall the templates, delete that plain index, send the items again).

import { readFileSync } from 'node:fs';
import { Client, type ClientOptions } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws';
import { BulkExporterCore, type BulkDialect, type BulkExporter } from '../bulk-common/bulk-exporter.ts';
import { exporterLogger, type EsAnswer, type Redactor } from '../bulk-common/index.ts';
import { awsCredentialSource, type AwsCredentialSource } from './aws-credentials.ts';
import {
  OpenSearchConfigError,
  resolveOpenSearchOptions,
  type OpenSearchExporterOptions,
  type ResolvedOpenSearchOptions,
} from './config.ts';
import { openSearchTemplates } from './templates.ts';

// OpenSearch has no require_data_stream / include_source_on_error bulk parameters (it refuses unknown ones);
// `_index` says whether an item went into the data stream (`.ds-…`) or into a plain index.
const BULK_QUERY = { filter_path: 'errors,items.*.status,items.*.error,items.*._index' };

export interface OpenSearchExporter extends BulkExporter {
  readonly options: ResolvedOpenSearchOptions;
}

export interface OpenSearchExporterDeps {
  client?: Client;
  /** SigV4 credentials (tests); otherwise read from the environment / shared credentials file. */
  awsCredentials?: AwsCredentialSource;
}

export function createOpenSearchClient(o: ResolvedOpenSearchOptions, aws?: AwsCredentialSource): Client {
  const opts: ClientOptions = {
    nodes: [...o.endpoints],
    requestTimeout: o.requestTimeoutMs,
    maxRetries: 0,
    name: `tracee-exporter/${o.name}`,
  };
  if (o.compression) opts.compression = 'gzip';
  const a = o.auth;
  if (a && 'username' in a) opts.auth = { username: a.username, password: a.password };
  if (o.awsSigv4) {
    const creds = aws ?? awsCredentialSource(o.awsSigv4.profile ? { profile: o.awsSigv4.profile } : {});
    Object.assign(
      opts,
      AwsSigv4Signer({ region: o.awsSigv4.region, service: o.awsSigv4.service, getCredentials: creds.get }),
    );
  }
  const ssl: NonNullable<ClientOptions['ssl']> = {};
  let hasSsl = false;
  if (o.tls.caFile) {
    try {
      ssl.ca = readFileSync(o.tls.caFile);
    } catch (err) {
      throw new OpenSearchConfigError('tls.caFile', `cannot read ${o.tls.caFile}: ${(err as Error).message}`);
    }
    hasSsl = true;
  }
  if (o.tls.insecureSkipVerify) {
    ssl.rejectUnauthorized = false;
    hasSsl = true;
  }
  if (hasSsl) opts.ssl = ssl;
  return new Client(opts);
}

/** Throws only what is not an HTTP answer (connection errors, timeouts, aborts). */
async function call(
  c: Client,
  params: { method: string; path: string; body?: unknown; bulkBody?: Buffer; querystring?: Record<string, string> },
  signal?: AbortSignal,
): Promise<EsAnswer> {
  const req = c.transport.request(params as never, { ignore: [404] }) as unknown as Promise<{
    statusCode: number | null;
    body: unknown;
    headers: Record<string, string> | null;
  }> & { abort?: () => void };
  const onAbort = () => req.abort?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const r = await req;
    return { status: r.statusCode ?? 200, body: r.body, headers: r.headers ?? {} };
  } catch (err) {
    const e = err as {
      name?: string;
      meta?: { statusCode?: number; body?: unknown; headers?: Record<string, string> };
    };
    if (e?.name === 'ResponseError' && typeof e.meta?.statusCode === 'number') {
      return { status: e.meta.statusCode, body: e.meta.body, headers: e.meta.headers ?? {} };
    }
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

function osDialect(o: ResolvedOpenSearchOptions, deps: OpenSearchExporterDeps): BulkDialect<Client> {
  const aws = o.awsSigv4
    ? (deps.awsCredentials ?? awsCredentialSource(o.awsSigv4.profile ? { profile: o.awsSigv4.profile } : {}))
    : undefined;
  const client = deps.client ?? createOpenSearchClient(o, aws);
  const path = (kind: 'component' | 'index', name: string) =>
    `/${kind === 'component' ? '_component_template' : '_index_template'}/${encodeURIComponent(name)}`;
  const redact: Redactor | undefined =
    aws &&
    ((t) => {
      let out = t;
      for (const s of aws.secrets) if (s.length >= 4) out = out.split(s).join('***');
      return out;
    });
  return {
    product: 'OpenSearch',
    adapt: openSearchTemplates,
    autoCreatesPlainIndex: true,
    client: async () => client,
    hasClient: () => true,
    bulk: (c, body, signal) =>
      call(c, { method: 'POST', path: '/_bulk', querystring: BULK_QUERY, bulkBody: body }, signal),
    templates: (c) => ({
      put: (kind, name, body) => call(c, { method: 'PUT', path: path(kind, name), body }),
      get: (kind, name) => call(c, { method: 'GET', path: path(kind, name) }),
    }),
    // a data stream of that name answers 404 here (DELETE /<name> resolves indexes and aliases only)
    removePlainIndex: (c, name) =>
      call(c, { method: 'DELETE', path: `/${encodeURIComponent(name)}`, querystring: { expand_wildcards: 'none' } }),
    ...(redact ? { redact } : {}),
    close: () => client.close(),
  };
}

export function createOpenSearchExporter(
  options: OpenSearchExporterOptions,
  deps: OpenSearchExporterDeps = {},
): OpenSearchExporter {
  const o = resolveOpenSearchOptions(options);
  return new BulkExporterCore(o, osDialect(o, deps), exporterLogger(options.logger, o.name)) as OpenSearchExporter;
}
