// Read a request body into memory, up to a limit. Over the limit: stop keeping bytes and report it
// at once and stop reading (the caller answers 413 and destroys the connection: the rest is never read).

import type { IncomingMessage } from 'node:http';

export type BodyResult = { ok: true; body: Buffer } | { ok: false; why: 'too_large' | 'aborted' };

export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: BodyResult) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      resolve(r);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        parts.length = 0;
        finish({ ok: false, why: 'too_large' });
        req.pause();
        return;
      }
      parts.push(c);
    };
    req.on('data', onData);
    req.on('end', () => finish({ ok: true, body: parts.length === 1 ? parts[0] : Buffer.concat(parts) }));
    req.on('error', () => finish({ ok: false, why: 'aborted' }));
    req.on('close', () => finish({ ok: false, why: 'aborted' }));
  });
}
