// `type: forward`: Fluent Forward (Fluent Bit / Fluentd `forward` output) over TCP or TLS (docs/sources/forward.md).

import { checkReadable } from '../tls-files.ts';
import { countedLine, type PushSourceKind } from '../types.ts';
import { parseListen } from '../webhook/config.ts';
import { FORWARD_DEFAULTS } from './config.ts';
import { forwardSourceSchema, type ForwardSourceConfig } from './schema.ts';
import { createForwardSource, type ForwardSource } from './server.ts';

export const forwardSource: PushSourceKind<ForwardSourceConfig, ForwardSource> = {
  mode: 'push',
  schema: forwardSourceSchema,
  check(s, chk) {
    const listen = s.listen ?? FORWARD_DEFAULTS.listen;
    chk.attempt([], () => parseListen(listen, 'listen'));
    checkReadable(s.tls, chk);
    return `forward on ${s.tls ? 'tls' : 'tcp'}://${listen}${s.tag ? ` (tag ${s.tag})` : ''}${s.shared_key ? ' (shared key handshake)' : ''}`;
  },
  create: (s, ctx) =>
    createForwardSource({ ...s, type: 'forward' }, { ingest: ctx.ingest, log: ctx.log, where: ctx.where }),
  listening(src, address, telemetry) {
    telemetry.forward(new URL(address).host, () => src.stats());
    return { list: 'forwards', handle: { address, stats: () => src.stats() } };
  },
  closingLine(src, address) {
    const st = src.stats();
    return `forward ${address}: closed after ${st.connections.accepted} connection(s) (${countedLine(st.connections.closed)}${st.connections.refused ? `, refused ${st.connections.refused}: ${countedLine(st.connections.refusedBy as Record<string, number>)}` : ''}); messages ${countedLine(st.messages)}; acks ${st.acks}; events accepted ${st.events.accepted}, rejected ${st.events.rejected}, refused ${st.events.refused}`;
  },
};
