// One HTTP(S) POST with a whole-request deadline, over a keep-alive agent. Never throws for
// network trouble: the result is either the response (status, headers, body up to a cap) or a
// transport error with its code, for classify.ts to judge. Never retries.

import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

export interface TransportTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
}

export interface TransportOptions {
  url: string;
  timeoutMs: number;
  maxResponseBytes: number;
  tls?: TransportTls;
}

export interface HttpResponseResult {
  kind: 'response';
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body was longer than maxResponseBytes; `body` holds the first part. */
  truncated: boolean;
}

export interface HttpErrorResult {
  kind: 'error';
  /** Node error code (ECONNREFUSED, ECONNRESET, ...), or TIMEOUT / ABORTED. */
  code: string;
  message: string;
  /** The response status, when the failure happened while reading the response body. */
  status?: number;
}

export type HttpResult = HttpResponseResult | HttpErrorResult;

export interface Transport {
  post(body: Uint8Array, headers: Record<string, string>, signal?: AbortSignal): Promise<HttpResult>;
  close(): void;
}

class TransportAbort extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export function createTransport(opts: TransportOptions): Transport {
  const url = new URL(opts.url);
  const isHttps = url.protocol === 'https:';
  const agent = isHttps
    ? new https.Agent({
        keepAlive: true,
        ca: opts.tls?.ca,
        cert: opts.tls?.cert,
        key: opts.tls?.key,
        rejectUnauthorized: opts.tls?.rejectUnauthorized ?? true,
      })
    : new http.Agent({ keepAlive: true });
  const request = isHttps ? https.request : http.request;

  function post(body: Uint8Array, headers: Record<string, string>, signal?: AbortSignal): Promise<HttpResult> {
    return new Promise<HttpResult>((resolve) => {
      let settled = false;
      let status: number | undefined;
      // Why we destroyed the request ourselves (timeout, caller abort): wins over the socket error it causes.
      let ownAbort: TransportAbort | undefined;
      const finish = (r: HttpResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const fail = (err: unknown): void => {
        const e = (ownAbort ?? err) as NodeJS.ErrnoException;
        finish({ kind: 'error', code: e?.code ?? 'EUNKNOWN', message: e?.message ?? String(err), status });
      };
      const req = request(url, {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': String(body.byteLength) },
      });
      const abort = (a: TransportAbort): void => {
        ownAbort ??= a;
        req.destroy(a);
      };
      const timer = setTimeout(
        () => abort(new TransportAbort('TIMEOUT', `no complete answer within ${opts.timeoutMs} ms`)),
        opts.timeoutMs,
      );
      const onAbort = (): void => abort(new TransportAbort('ABORTED', 'send aborted by the caller'));
      if (signal?.aborted) {
        onAbort();
      } else signal?.addEventListener('abort', onAbort, { once: true });

      req.on('error', fail);
      req.on('response', (res) => {
        status = res.statusCode;
        const parts: Buffer[] = [];
        let size = 0;
        let truncated = false;
        res.on('data', (chunk: Buffer) => {
          if (truncated) return;
          if (size + chunk.length > opts.maxResponseBytes) {
            parts.push(chunk.subarray(0, opts.maxResponseBytes - size));
            size = opts.maxResponseBytes;
            truncated = true;
            finish(response());
            res.destroy(); // stop reading an oversized answer; the connection is not reused
            return;
          }
          parts.push(chunk);
          size += chunk.length;
        });
        const response = (): HttpResponseResult => ({
          kind: 'response',
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers: res.headers,
          body: Buffer.concat(parts, size),
          truncated,
        });
        res.on('end', () => finish(response()));
        res.on('error', fail);
        // A reset after the headers but before the end of the body ends here without 'end'.
        res.on('close', () => {
          if (!res.complete)
            fail(
              Object.assign(new Error('connection closed before the response body was complete'), {
                code: 'ECONNRESET',
              }),
            );
        });
      });
      req.end(body);
    });
  }

  return {
    post,
    close: () => agent.destroy(),
  };
}
