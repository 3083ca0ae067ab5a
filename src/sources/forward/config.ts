// The forward source's defaults and tag matching; its config model (schema, type) is ./schema.ts.

export type { ForwardSourceConfig } from './schema.ts';

export const FORWARD_DEFAULTS = {
  listen: '127.0.0.1:24224',
  maxMessageBytes: 8 * 1024 * 1024,
  maxConnections: 64,
  idleTimeoutMs: 300_000,
  maxConnectionsPerClient: 16,
  // Tracee writes one small message at a time: 30 s for one message is generous, and bounds how
  // long a slowloris client (a message trickled a byte at a time) holds a slot
  messageTimeoutMs: 30_000,
  /** How long close() waits for connections to finish their message before cutting them. */
  closeGraceMs: 5_000,
} as const;

/** A tag pattern → a test. Fluentd's match syntax, reduced: `a.*` one part, `a.**` any parts. */
export function tagMatcher(pattern: string | undefined): (tag: string) => boolean {
  if (pattern === undefined) return () => true;
  const re = pattern
    .split('.')
    .map((part) => (part === '**' ? '.*' : part.split('*').map(escapeRe).join('[^.]*')))
    .join('\\.')
    .replace(/\\\.\.\*$/, '(?:\\..*)?')
    .replace(/^\.\*\\\./, '(?:.*\\.)?');
  const compiled = new RegExp(`^${re}$`);
  return (tag) => compiled.test(tag);
}

function escapeRe(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
