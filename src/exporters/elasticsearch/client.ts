// Creates the @elastic/elasticsearch client from resolved options: node(s) or Cloud ID, API key / basic /
// bearer auth, TLS CA file / fingerprint / explicit insecure mode, an explicit request timeout (client 9 has
// none), no client-side retries (the delivery layer retries) and secret redaction in client errors.

import { readFileSync } from 'node:fs';
import { Client, type ClientOptions } from '@elastic/elasticsearch';
import { ElasticsearchConfigError, type ResolvedElasticsearchOptions } from './config.ts';

/** `pinnedCa`: the PEM fetched for tls.caFingerprint (see ca-fingerprint.ts). */
export function createEsClient(o: ResolvedElasticsearchOptions, pinnedCa?: string): Client {
  const opts: ClientOptions = {
    requestTimeout: o.requestTimeoutMs,
    maxRetries: 0,
    compression: o.compression,
    redaction: { type: 'replace', additionalKeys: ['apiKey', 'password', 'bearer'] },
    name: `tracee-exporter/${o.name}`,
  };
  if (o.cloudId) opts.cloud = { id: o.cloudId };
  else opts.nodes = [...o.endpoints];
  const a = o.auth;
  if (a) {
    if ('apiKey' in a) opts.auth = { apiKey: a.apiKey };
    else if ('bearer' in a) opts.auth = { bearer: a.bearer };
    else opts.auth = { username: a.username, password: a.password };
  }
  const tls: NonNullable<ClientOptions['tls']> = {};
  let hasTls = false;
  if (o.tls.caFile) {
    try {
      tls.ca = readFileSync(o.tls.caFile);
    } catch (err) {
      throw new ElasticsearchConfigError('tls.caFile', `cannot read ${o.tls.caFile}: ${(err as Error).message}`);
    }
    hasTls = true;
  }
  if (pinnedCa) {
    tls.ca = pinnedCa;
    hasTls = true;
  }
  if (o.tls.insecureSkipVerify) {
    tls.rejectUnauthorized = false;
    hasTls = true;
  }
  if (hasTls) opts.tls = tls;
  // The transport's own caFingerprint check runs on top of normal verification; it stays as a second check.
  if (o.tls.caFingerprint) opts.caFingerprint = o.tls.caFingerprint;
  return new Client(opts);
}
