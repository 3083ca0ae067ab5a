// The webhook source attacked as a client on the same network would: half-header sockets
// (slowloris), a trickled body, a 100 MB body, a connection flood from one address, and mTLS.
// Real pipeline, real sockets on 127.0.0.1 / 127.0.0.2 (another loopback address = another client).

import type { WebhookSourceConfig } from '../../../src/sources/webhook/schema.ts';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../../src/config/run-config.ts';
import { createPipeline, type RunSummary } from '../../../src/pipeline/pipeline.ts';
import { createWebhookSource, type WebhookStats } from '../../../src/sources/webhook/index.ts';
import { ROOT } from '../../helpers/samples.ts';

const SAMPLES = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').trim().split('\n');
type Source = WebhookSourceConfig;

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(source: Partial<Source> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-hard-'));
  const out = path.join(dir, 'out.ndjson');
  const config: RunConfig = {
    version: 1,
    sources: [{ type: 'webhook', listen: '127.0.0.1:0', path: '/events', ...source }],
    dead_letter: { path: path.join(dir, 'dl.ndjson') },
    exporters: [{ type: 'console', path: out, delivery: { flush_interval_ms: 5 } }],
  };
  const logs: string[] = [];
  const p = createPipeline(
    config,
    { stdin: Readable.from([]), log: (l) => logs.push(l) },
    { shutdownTimeoutMs: 5_000 },
  );
  const done = p.run();
  let stopped: Promise<RunSummary> | undefined;
  const stop = () => (stopped ??= (p.stop(), done));
  cleanups.push(stop);
  const { webhooks } = await p.ready();
  const url = new URL(webhooks[0].url);
  return { url: webhooks[0].url, port: Number(url.port), stats: webhooks[0].stats as () => WebhookStats, logs, stop };
}

/** A socket from `from` (a loopback address) that sends half a request header and then nothing. */
function halfHeader(port: number, from: string): Promise<{ socket: net.Socket; closed: Promise<string> }> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    let got = '';
    socket.on('data', (d) => {
      got += d.toString();
    });
    socket.on('error', () => {});
    const closed = new Promise<string>((r) => socket.once('close', () => r(got)));
    cleanups.push(() => {
      socket.destroy();
    });
    socket.once('connect', () => {
      socket.write('POST /events HTTP/1.1\r\nHost: x\r\nContent-Ty');
      resolve({ socket, closed });
    });
    socket.once('close', () => resolve({ socket, closed }));
  });
}

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const r = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', connection: 'close', ...headers },
  });
  return { status: r.status, body: await r.text() };
}

describe('webhook source under attack', () => {
  it('slowloris from another address: 64 half-header sockets do not lock out a real client; they are refused over the per-client cap and cut at the header timeout', async () => {
    const w = await start({ header_timeout_ms: 800 });
    const attack = await Promise.all(Array.from({ length: 64 }, () => halfHeader(w.port, '127.0.0.2')));
    // the real client is served while the attack sockets are open
    expect((await post(w.url, SAMPLES[0])).status).toBe(200);
    // every attack socket is closed by the server: 48 at once (over 16 per client), 16 at the header timeout (408)
    const answers = await Promise.all(attack.map((a) => a.closed));
    expect(answers.filter((a) => a.startsWith('HTTP/1.1 408'))).toHaveLength(16);
    expect(w.stats().refusedBy).toEqual({ per_client: 48, header_timeout: 16 });
    expect(w.stats().connectionsRefused).toBe(64);
    // a flood is a few log lines, not one per connection
    expect(w.logs.filter((l) => /refused/.test(l)).length).toBeLessThanOrEqual(2);
  });

  it('slowloris from the same address as the real client: it is served once the header timeout cut the attack sockets', async () => {
    const w = await start({ header_timeout_ms: 600, max_connections: 64 });
    const attack = await Promise.all(Array.from({ length: 64 }, () => halfHeader(w.port, '127.0.0.1')));
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = await post(w.url, SAMPLES[0]).then(
        (r) => r.status,
        () => 0,
      );
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    await Promise.all(attack.map((a) => a.closed)); // all of them destroyed by the server, none left open
    expect(w.stats().refusedBy.header_timeout).toBe(16);
  });

  it('a body trickled slower than request_timeout_ms: the request is cut and counted', async () => {
    const w = await start({ header_timeout_ms: 400, request_timeout_ms: 800 });
    const socket = net.connect(w.port, '127.0.0.1');
    socket.on('error', () => {});
    cleanups.push(() => {
      socket.destroy();
    });
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(`POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: ${SAMPLES[0].length}\r\n\r\n`);
    const timer = setInterval(() => socket.write(SAMPLES[0][0]), 100);
    cleanups.push(() => clearInterval(timer));
    await new Promise<void>((r) => socket.once('close', () => r()));
    clearInterval(timer);
    expect(w.stats().refusedBy.request_timeout).toBe(1);
  });

  it('a 100 MB chunked body: 413, and the connection is cut long before the 100 MB are sent', async () => {
    const w = await start();
    const socket = net.connect(w.port, '127.0.0.1');
    socket.on('error', () => {});
    cleanups.push(() => {
      socket.destroy();
    });
    await new Promise<void>((r) => socket.once('connect', () => r()));
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString();
    });
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.write('POST /events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    let sent = 0;
    let isClosed = false;
    void closed.then(() => {
      isClosed = true;
    });
    while (!isClosed && sent < 100 * chunk.length) {
      socket.write(`${chunk.length.toString(16)}\r\n`);
      socket.write(chunk);
      const ok = socket.write('\r\n');
      sent += chunk.length;
      if (!ok) await Promise.race([new Promise((r) => socket.once('drain', r)), closed]);
    }
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(sent).toBeLessThan(50 * chunk.length);
    expect(w.stats().responses[413]).toBe(1);
  });

  it('bytes that are not HTTP: 400, the socket destroyed, counted as bad_request', async () => {
    const w = await start();
    const socket = net.connect(w.port, '127.0.0.1');
    socket.on('error', () => {});
    cleanups.push(() => {
      socket.destroy();
    });
    let got = '';
    socket.on('data', (d) => {
      got += d.toString();
    });
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.write('\x16\x03\x01 not http at all\r\n\r\n');
    await closed; // closed by the server (the client never ends its side)
    expect(got).toMatch(/^HTTP\/1\.1 400 /);
    expect(w.stats().refusedBy).toEqual({ bad_request: 1 });
  });

  it('max_connections_per_client: connections over it are closed at once and counted; another address is still served', async () => {
    const w = await start({ max_connections_per_client: 2, header_timeout_ms: 5_000 });
    const held = await Promise.all(Array.from({ length: 5 }, () => halfHeader(w.port, '127.0.0.2')));
    await Promise.all(held.slice(2).map((h) => h.closed));
    expect(w.stats().refusedBy).toEqual({ per_client: 3 });
    expect((await post(w.url, SAMPLES[0])).status).toBe(200);
  });
});

describe('webhook mTLS', () => {
  let dir = '';
  beforeAll(() => {
    // a CA, a server certificate for 127.0.0.1, a client certificate signed by the CA, and one signed by another CA
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-mtls-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    for (const ca of ['ca', 'other-ca'])
      ssl(
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${ca}.key`,
        '-out',
        `${ca}.pem`,
        '-days',
        '2',
        '-subj',
        `/CN=${ca}`,
      );
    const leaf = (name: string, ca: string, ext: string) => {
      ssl(
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
        '-subj',
        `/CN=${name}`,
      );
      fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
      ssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${ca}.pem`,
        '-CAkey',
        `${ca}.key`,
        '-CAcreateserial',
        '-out',
        `${name}.pem`,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
      );
    };
    leaf('server', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    leaf('client', 'ca', 'extendedKeyUsage=clientAuth\n');
    leaf('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  });
  const f = (n: string) => path.join(dir, n);
  const tlsCfg = (client_auth: 'required' | 'optional') => ({
    cert_file: f('server.pem'),
    key_file: f('server.key'),
    client_ca_file: f('ca.pem'),
    client_auth,
  });

  function postTls(url: string, cert?: string, headers: Record<string, string> = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method: 'POST',
          ca: fs.readFileSync(f('ca.pem')),
          agent: false,
          ...(cert ? { cert: fs.readFileSync(f(`${cert}.pem`)), key: fs.readFileSync(f(`${cert}.key`)) } : {}),
          headers: { 'content-type': 'application/json', ...headers },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        },
      );
      req.on('error', reject);
      req.end(SAMPLES[0]);
    });
  }

  it('client_auth required: a client without a valid certificate is refused at the handshake (counted); with one it is served', async () => {
    const w = await start({ tls: tlsCfg('required') });
    expect(await postTls(w.url, 'client')).toBe(200);
    await expect(postTls(w.url)).rejects.toThrow();
    await expect(postTls(w.url, 'stranger')).rejects.toThrow();
    expect(w.stats().refusedBy).toEqual({ tls_handshake: 2 });
    expect(w.stats().responses).toEqual({ 200: 1 });
  });

  it('client_auth optional: a valid certificate or the bearer token', async () => {
    const w = await start({ tls: tlsCfg('optional'), auth: { bearer_token: 'tok-123' } });
    expect(await postTls(w.url, 'client')).toBe(200);
    expect(await postTls(w.url, undefined, { authorization: 'Bearer tok-123' })).toBe(200);
    expect(await postTls(w.url)).toBe(401);
    expect(await postTls(w.url, 'stranger')).toBe(401);
  });

  it('over TLS, a connection over the per-client cap is refused before the handshake and counted once', async () => {
    const w = await start({
      tls: { cert_file: f('server.pem'), key_file: f('server.key') },
      max_connections_per_client: 1,
    });
    const held = net.connect({ port: w.port, host: '127.0.0.1', localAddress: '127.0.0.2' }); // sends nothing: held
    held.on('error', () => {});
    cleanups.push(() => {
      held.destroy();
    });
    const heldClosed = new Promise<void>((r) => held.once('close', () => r()));
    await new Promise<void>((r) => held.once('connect', () => r()));
    const second = await halfHeader(w.port, '127.0.0.2');
    await second.closed;
    await new Promise((r) => setTimeout(r, 100));
    expect(w.stats().refusedBy).toEqual({ per_client: 1 });
    held.write('GET / HTTP/1.1\r\n\r\n'); // not TLS: the handshake fails, counted once
    await heldClosed;
    await expect.poll(() => w.stats().refusedBy).toEqual({ per_client: 1, tls_handshake: 1 });
    expect(await postTls(w.url, 'client')).toBe(200);
  });

  it('client_auth needs client_ca_file; optional needs auth', () => {
    const deps = {
      ingest: async () => {
        throw new Error('unused');
      },
      log: () => {},
    };
    expect(() =>
      createWebhookSource(
        { type: 'webhook', tls: { cert_file: f('server.pem'), key_file: f('server.key'), client_auth: 'required' } },
        deps,
      ),
    ).toThrow(/client_ca_file/);
    expect(() => createWebhookSource({ type: 'webhook', tls: tlsCfg('optional') }, deps)).toThrow(/set auth too/);
  });
});
