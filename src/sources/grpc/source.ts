// `type: grpc`: Tracee's StreamEvents; reconnects until stop(). Events Tracee emits while
// disconnected are lost (no resume).

import { parseGrpcAddress } from './address.ts';
import type { PullSourceKind } from '../types.ts';

export type { GrpcSourceConfig } from './schema.ts';
import { grpcSourceSchema, type GrpcSourceConfig } from './schema.ts';

export const grpcSource: PullSourceKind<GrpcSourceConfig> = {
  mode: 'pull',
  schema: grpcSourceSchema,
  label: (s) => `grpc ${s.address.trim()}`,
  check(s, chk) {
    const address = s.address ?? '';
    chk.attempt([], () => parseGrpcAddress(address, 'address'));
    return `grpc ${address}`;
  },
  async run(s, ctx) {
    const stream = ctx.telemetry.grpc(s.address.trim());
    // loaded here: gRPC and protobuf (a third of the bundle) only for a config with a grpc source
    const { streamTraceeEvents } = await import('./stream.ts');
    const records = streamTraceeEvents({
      address: s.address,
      policies: s.policies,
      mask: s.mask,
      reconnectInitialMs: s.reconnect_initial_ms,
      reconnectMaxMs: s.reconnect_max_ms,
      signal: ctx.signal,
      log: ctx.log,
      onConnected: () => stream.connected(),
      onDisconnected: () => stream.disconnected(),
    });
    await ctx.ingest(records, { signal: ctx.signal, listRejections: false });
  },
};
