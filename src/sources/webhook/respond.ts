// JSON answers of the webhook source.

import type { ServerResponse } from 'node:http';

/** At most this many rejected lines are listed in an answer (the total is always given). */
export const MAX_LISTED_REJECTIONS = 100;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function listRejections(
  rejected: Array<{ origin: { line?: number }; reason: string }>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    rejected: rejected.slice(0, MAX_LISTED_REJECTIONS).map((r) => ({ line: r.origin.line, reason: r.reason })),
  };
  if (rejected.length > MAX_LISTED_REJECTIONS) out.rejected_total = rejected.length;
  return out;
}
