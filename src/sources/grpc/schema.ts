// The config model of `type: grpc` (docs/sources/grpc.md).

import { schema, type FromSchema } from '../../util/schema-type.ts';

export const grpcSourceSchema = schema({
  type: 'object',
  description: "Tracee's gRPC StreamEvents (tracee --server grpc); reconnects until stop.",
  required: ['type', 'address'],
  properties: {
    type: { const: 'grpc' },
    address: {
      type: 'string',
      pattern: '^(unix:(//)?/.+|tcp:(.+:)?[0-9]{1,5}|(\\[[^\\]]+\\]|[^:/\\[\\]]+):[0-9]{1,5})$',
      description:
        "Where Tracee's gRPC server listens: unix:///var/run/tracee.sock (Tracee's default), unix:/path, host:port or tcp:[host:]port (docs/sources/grpc.md)",
    },
    policies: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      description: 'Stream only the events of these Tracee policies (default: every policy)',
    },
    mask: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      description:
        'Field mask, proto field names of the Event to keep (e.g. name, timestamp, workload.process.pid); default: the whole event',
    },
    reconnect_initial_ms: {
      type: 'integer',
      minimum: 1,
      description:
        'First delay before reconnecting after the stream ended (default 500), doubled per failed attempt, with jitter',
    },
    reconnect_max_ms: {
      type: 'integer',
      minimum: 1,
      description: 'Longest delay between reconnect attempts (default 30000)',
    },
  },
});
export type GrpcSourceConfig = FromSchema<typeof grpcSourceSchema>;
