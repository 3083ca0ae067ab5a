export { createForwardSource } from './server.ts';
export type { ForwardDeps, ForwardSource } from './server.ts';
export type { ForwardStats, CloseReason } from './connection.ts';
export { FORWARD_DEFAULTS, tagMatcher } from './config.ts';
export type { ForwardSourceConfig } from './config.ts';
