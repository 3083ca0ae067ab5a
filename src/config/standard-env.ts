// The Elastic-style ELASTICSEARCH_* variables, for every elasticsearch exporter that leaves the
// setting out (the config file and TRACEE_EXPORTER_* win; like OTEL_* for otlp_http, which the
// exporter resolves itself in src/exporters/otlp-http/options.ts).

import type { EnvOrigins } from './env-overlay.ts';

export const ELASTICSEARCH_ENV = {
  url: 'ELASTICSEARCH_URL',
  cloudId: 'ELASTICSEARCH_CLOUD_ID',
  apiKey: 'ELASTICSEARCH_API_KEY',
  username: 'ELASTICSEARCH_USERNAME',
  password: 'ELASTICSEARCH_PASSWORD',
  bearer: 'ELASTICSEARCH_BEARER_TOKEN',
  caFile: 'ELASTICSEARCH_CA_FILE',
  caFingerprint: 'ELASTICSEARCH_CA_FINGERPRINT',
} as const;

type Json = Record<string, unknown>;

export function applyElasticsearchEnv(
  data: Json,
  env: NodeJS.ProcessEnv,
  origins: EnvOrigins,
  interpolate: (s: string, variable: string) => string = (s) => s,
): void {
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : interpolate(v.trim(), name);
  };
  const exporters = Array.isArray(data.exporters) ? data.exporters : [];
  exporters.forEach((e: unknown, i) => {
    if (e === null || typeof e !== 'object' || (e as Json).type !== 'elasticsearch') return;
    const ex = e as Json;
    const set = (key: string, value: unknown, variable: string) => {
      ex[key] = value;
      origins.set(`exporters.${i}.${key}`, variable);
    };
    const E = ELASTICSEARCH_ENV;
    if (ex.endpoints === undefined && ex.cloud_id === undefined) {
      const cloud = get(E.cloudId);
      const url = get(E.url);
      if (cloud !== undefined) set('cloud_id', cloud, E.cloudId);
      else if (url !== undefined) {
        const list = url
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        set('endpoints', list.length === 1 ? list[0] : list, E.url);
      }
    }
    if (ex.auth === undefined) {
      const apiKey = get(E.apiKey);
      const username = get(E.username);
      const bearer = get(E.bearer);
      if (apiKey !== undefined) set('auth', { api_key: apiKey }, E.apiKey);
      else if (username !== undefined) set('auth', { username, password: get(E.password) ?? '' }, E.username);
      else if (bearer !== undefined) set('auth', { bearer }, E.bearer);
    }
    const tls = (ex.tls ?? {}) as Json;
    if (tls.ca_file === undefined && tls.ca_fingerprint === undefined && tls.insecure_skip_verify === undefined) {
      const caFile = get(E.caFile);
      const fp = get(E.caFingerprint);
      if (caFile !== undefined) {
        ex.tls = { ...tls, ca_file: caFile };
        origins.set(`exporters.${i}.tls.ca_file`, E.caFile);
      } else if (fp !== undefined) {
        ex.tls = { ...tls, ca_fingerprint: fp };
        origins.set(`exporters.${i}.tls.ca_fingerprint`, E.caFingerprint);
      }
    }
  });
}
