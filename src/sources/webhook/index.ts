export { createWebhookSource } from './server.ts';
export type { WebhookDeps, WebhookSource, WebhookStats } from './server.ts';
export { WEBHOOK_DEFAULTS, parseListen } from './config.ts';
export type { WebhookSourceConfig } from './config.ts';
