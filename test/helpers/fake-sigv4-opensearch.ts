// A FAKE Amazon OpenSearch Service endpoint (HTTPS, test/fixtures/tls): every request must carry a valid AWS
// SigV4 signature (checked by the independent verifier in ./sigv4-verify.ts, with the x-amz-security-token
// the key's session requires), else 403 as AWS answers. It understands just enough of the API for the exporter:
// template PUT/GET (acknowledged / 404), `_bulk` `create` (201 into a `.ds-` backing index, 409 for an `_id`
// seen before), and GET /. `reflect: true` makes its 403 body echo the request headers, like a careless proxy,
// to prove that nothing the exporter logs carries a secret from them.

import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { verifySigV4, type Verdict } from './sigv4-verify.ts';
import { ROOT } from './samples.ts';

export interface FakeKey {
  secret: string;
  sessionToken?: string;
}

export interface FakeSigV4OpenSearch {
  readonly url: string;
  readonly caFile: string;
  /** Every request's verdict, in order, with its method and path. */
  readonly seen: Array<{ method: string; path: string; verdict: Verdict }>;
  /** The `_id`s stored by `_bulk`. */
  readonly stored: Set<string>;
  close(): Promise<void>;
}

export async function startFakeSigV4OpenSearch(
  keys: Record<string, FakeKey>,
  opts: { region: string; service: 'es' | 'aoss'; reflect?: boolean },
): Promise<FakeSigV4OpenSearch> {
  const tls = path.join(ROOT, 'test/fixtures/tls');
  const seen: FakeSigV4OpenSearch['seen'] = [];
  const stored = new Set<string>();
  const server = https.createServer(
    { cert: fs.readFileSync(path.join(tls, 'server.pem')), key: fs.readFileSync(path.join(tls, 'server.key')) },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers))
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
        let verdict = verifySigV4(
          { method: req.method ?? 'GET', url: req.url ?? '/', headers, body: raw },
          (id) => keys[id]?.secret,
          { now: new Date(), requirePayloadHeader: true },
        );
        if (verdict.ok && (verdict.region !== opts.region || verdict.service !== opts.service))
          verdict = {
            ...verdict,
            ok: false,
            why: `scope ${verdict.region}/${verdict.service}, this endpoint is ${opts.region}/${opts.service}`,
          };
        const token = verdict.accessKeyId ? keys[verdict.accessKeyId]?.sessionToken : undefined;
        if (verdict.ok && token !== undefined && headers['x-amz-security-token'] !== token)
          verdict = { ...verdict, ok: false, why: 'x-amz-security-token missing or wrong' };
        const p = (req.url ?? '/').split('?')[0];
        seen.push({ method: req.method ?? '', path: p, verdict });
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (!verdict.ok) {
          const echo = opts.reflect ? ` request_headers: ${JSON.stringify(headers)}` : '';
          send(403, {
            message: `The request signature we calculated does not match the signature you provided. (${verdict.why})${echo}`,
          });
          return;
        }
        const body = headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        if (req.method === 'GET' && p === '/')
          return send(200, { version: { distribution: 'opensearch', number: '2.19.1' } });
        if (p.startsWith('/_component_template/') || p.startsWith('/_index_template/')) {
          return req.method === 'PUT'
            ? send(200, { acknowledged: true })
            : send(404, { error: { type: 'resource_not_found_exception', reason: 'not found' }, status: 404 });
        }
        if (req.method === 'POST' && p === '/_bulk') {
          const lines = body.toString('utf8').split('\n').filter(Boolean);
          const items: unknown[] = [];
          for (let i = 0; i < lines.length; i += 2) {
            const a = JSON.parse(lines[i]).create as { _index: string; _id: string };
            const dup = stored.has(a._id);
            stored.add(a._id);
            items.push({
              create: {
                _index: `.ds-${a._index}-000001`,
                status: dup ? 409 : 201,
                ...(dup
                  ? {
                      error: {
                        type: 'version_conflict_engine_exception',
                        reason: `[${a._id}]: version conflict, document already exists (current version [1])`,
                      },
                    }
                  : {}),
              },
            });
          }
          return send(200, {
            errors: items.some((x) => (x as { create: { status: number } }).create.status !== 201),
            items,
          });
        }
        send(404, {
          error: { type: 'illegal_argument_exception', reason: `no handler for ${req.method} ${p}` },
          status: 404,
        });
      });
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caFile: path.join(tls, 'ca.pem'),
    seen,
    stored,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
