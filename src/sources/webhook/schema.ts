// The config model of `type: webhook` (docs/sources/webhook.md): Tracee's webhook output POSTs here.

import { schema, type FromSchema } from '../../util/schema-type.ts';
import { LISTEN_PATTERN, listenerTlsSchema } from '../listener-schema.ts';
import { WEBHOOK_DEFAULTS } from './config.ts';

const W = WEBHOOK_DEFAULTS;
export const webhookSourceSchema = schema({
  type: 'object',
  required: ['type'],
  description: "An HTTP(S) endpoint for Tracee's webhook output (docs/sources/webhook.md).",
  properties: {
    type: { const: 'webhook' },
    listen: {
      type: 'string',
      pattern: LISTEN_PATTERN,
      default: W.listen,
      description: 'host:port, [ipv6]:port or :port (0.0.0.0:8080 in a pod)',
    },
    path: {
      type: 'string',
      pattern: '^/',
      description: 'The one URL path accepted, query string ignored (omitted: any path)',
    },
    max_body_bytes: {
      type: 'integer',
      minimum: 1024,
      default: W.maxBodyBytes,
      description: 'Largest request body; larger → 413',
    },
    max_queue_wait_ms: {
      type: 'integer',
      minimum: 1,
      default: W.maxQueueWaitMs,
      description:
        "How long a request waits for room in full exporter queues before 503 + Retry-After (keep it below Tracee's ?timeout=, default 10s)",
    },
    max_connections: {
      type: 'integer',
      minimum: 1,
      default: W.maxConnections,
      description: 'Connections served at once; more are closed at once and counted',
    },
    max_connections_per_client: {
      type: 'integer',
      minimum: 0,
      default: W.maxConnectionsPerClient,
      description:
        'Connections one client address may hold at once (0 = no cap besides max_connections); more are closed at once and counted (reason per_client)',
    },
    header_timeout_ms: {
      type: 'integer',
      minimum: 100,
      default: W.headerTimeoutMs,
      description:
        'Request line and headers must arrive within this, else 408 and the socket is destroyed (also the TLS handshake timeout)',
    },
    request_timeout_ms: {
      type: 'integer',
      minimum: 100,
      default: W.requestTimeoutMs,
      description: 'The whole request, body included, must arrive within this, else the socket is destroyed',
    },
    keep_alive_timeout_ms: {
      type: 'integer',
      minimum: 100,
      default: W.keepAliveTimeoutMs,
      description: 'A kept-alive connection with no new request for this long is closed',
    },
    auth: {
      type: 'object',
      additionalProperties: false,
      description:
        'Require a bearer token, or basic credentials (username + password; Tracee: http://user:pass@host:port/path), not both. Use ${env:…}.',
      properties: {
        bearer_token: { type: 'string', minLength: 1 },
        username: { type: 'string', minLength: 1 },
        password: { type: 'string', minLength: 1 },
      },
      minProperties: 1,
      dependencies: {
        username: ['password'],
        password: ['username'],
        bearer_token: { properties: { username: false, password: false } },
      },
    },
    tls: listenerTlsSchema,
  },
});
export type WebhookSourceConfig = FromSchema<typeof webhookSourceSchema>;
