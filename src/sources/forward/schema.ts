// The config model of `type: forward` (docs/sources/forward.md): Fluent Forward over TCP or TLS.

import { schema, type FromSchema } from '../../util/schema-type.ts';
import { LISTEN_PATTERN, listenerTlsSchema } from '../listener-schema.ts';
import { FORWARD_DEFAULTS } from './config.ts';

const F = FORWARD_DEFAULTS;
export const forwardSourceSchema = schema({
  type: 'object',
  required: ['type'],
  description: "A Fluent Forward server (Tracee's forward output, Fluent Bit / Fluentd forward outputs).",
  dependencies: { users: ['shared_key'] },
  properties: {
    type: { const: 'forward' },
    listen: {
      type: 'string',
      pattern: LISTEN_PATTERN,
      default: F.listen,
      description: 'host:port, [ipv6]:port or :port (0.0.0.0:24224 in a pod)',
    },
    tls: listenerTlsSchema,
    tag: {
      type: 'string',
      minLength: 1,
      description:
        'Only messages with this tag (Tracee ?tag=, default tracee); * one dot-separated part, ** any parts; others are rejected. Omitted: any tag',
    },
    max_message_bytes: {
      type: 'integer',
      minimum: 1024,
      default: F.maxMessageBytes,
      description:
        'Largest message on the wire and largest decompressed entries; larger → connection closed, rejection counted',
    },
    max_connections: {
      type: 'integer',
      minimum: 1,
      default: F.maxConnections,
      description: 'Connections served at once; more are closed at once and counted',
    },
    max_connections_per_client: {
      type: 'integer',
      minimum: 0,
      default: F.maxConnectionsPerClient,
      description:
        'Connections one client address may hold at once (0 = no cap besides max_connections); more are closed at once and counted (reason per_client)',
    },
    message_timeout_ms: {
      type: 'integer',
      minimum: 0,
      default: F.messageTimeoutMs,
      description:
        'A message whose first byte arrived must be complete within this, else the connection is closed (also the TLS handshake timeout; 0 = never)',
    },
    idle_timeout_ms: {
      type: 'integer',
      minimum: 0,
      default: F.idleTimeoutMs,
      description:
        'Close a connection that completes no message for this long (a byte-at-a-time sender included; 0 = never)',
    },
    shared_key: {
      type: 'string',
      minLength: 1,
      description:
        "Require the Forward v1 handshake (HELO/PING/PONG) with this shared key. Tracee's forward output does not do the handshake: leave it unset for Tracee. Use ${env:…}",
    },
    self_hostname: {
      type: 'string',
      minLength: 1,
      description: "The server hostname sent in PONG (default: the machine's hostname)",
    },
    users: {
      type: 'array',
      minItems: 1,
      description: 'With shared_key: also require one of these users in the handshake (sha512 password digest)',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['username', 'password'],
        properties: { username: { type: 'string', minLength: 1 }, password: { type: 'string', minLength: 1 } },
      },
    },
  },
});
export type ForwardSourceConfig = FromSchema<typeof forwardSourceSchema>;
