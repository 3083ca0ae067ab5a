// The webhook source's defaults and `listen` parsing; its config model (schema, type) is ./schema.ts.

import { OptionError } from '../../util/option-error.ts';

export type { WebhookSourceConfig } from './schema.ts';
import type { WebhookSourceConfig } from './schema.ts';
export type WebhookTlsConfig = NonNullable<WebhookSourceConfig['tls']>;

export const WEBHOOK_DEFAULTS = {
  listen: '127.0.0.1:8080',
  maxBodyBytes: 4 * 1024 * 1024,
  // below Tracee's webhook client timeout (`?timeout=`, default 10 s; 5 s in our examples), so
  // Tracee sees our 503 instead of its own timeout
  maxQueueWaitMs: 4_000,
  // Tracee posts one event at a time on one connection; the cap bounds memory (× max_body_bytes)
  maxConnections: 64,
  // Tracee holds one connection; a proxy in front may hold a few. 64 slowloris sockets from one
  // address then take at most 16 of the 64 slots, and only until the header timeout.
  maxConnectionsPerClient: 16,
  headerTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
} as const;

export interface ListenAddress {
  host: string | undefined;
  port: number;
}

/** Parses `host:port`, `[::1]:port`, `:port`. Throws a message naming the key on anything else. */
export function parseListen(s: string, where: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new OptionError([where], `expected host:port, [ipv6]:port or :port, got ${JSON.stringify(s)}`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}
