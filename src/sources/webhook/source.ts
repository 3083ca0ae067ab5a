// `type: webhook`: Tracee's webhook output POSTs events here (docs/sources/webhook.md).

import { checkReadable } from '../tls-files.ts';
import { countedLine, type PushSourceKind } from '../types.ts';
import { createAuthenticator } from './auth.ts';
import { parseListen, WEBHOOK_DEFAULTS } from './config.ts';
import { webhookSourceSchema, type WebhookSourceConfig } from './schema.ts';
import { createWebhookSource, type WebhookSource } from './server.ts';

export const webhookSource: PushSourceKind<WebhookSourceConfig, WebhookSource> = {
  mode: 'push',
  schema: webhookSourceSchema,
  check(s, chk) {
    const listen = s.listen ?? WEBHOOK_DEFAULTS.listen;
    chk.attempt([], () => parseListen(listen, 'listen'));
    chk.attempt([], () => createAuthenticator(s.auth));
    checkReadable(s.tls, chk);
    return `webhook on ${s.tls ? 'https' : 'http'}://${listen}${s.path ?? '/*'}${s.auth ? ` (auth: ${s.auth.bearer_token ? 'bearer' : 'basic'})` : ''}`;
  },
  create: (s, ctx) =>
    createWebhookSource({ ...s, type: 'webhook' }, { ingest: ctx.ingest, log: ctx.log, where: ctx.where }),
  listening(src, url, telemetry) {
    const u = new URL(url);
    telemetry.webhook(`${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`, () => src.stats());
    return { list: 'webhooks', handle: { url, stats: () => src.stats() } };
  },
  closingLine(src, url) {
    const st = src.stats();
    return `webhook ${url}: closed after ${st.requests} request(s) (${countedLine(st.responses)}${st.clientGone ? `, client gone ${st.clientGone}` : ''}); events accepted ${st.events.accepted}, rejected ${st.events.rejected}, refused ${st.events.refused}${st.connectionsRefused ? `; connections refused ${st.connectionsRefused} (${countedLine(st.refusedBy as Record<string, number>)})` : ''}`;
  },
};
