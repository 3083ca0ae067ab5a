// The webhook source through the real pipeline: real HTTP requests to a server on 127.0.0.1 (an
// ephemeral port), events delivered by the console exporter to a temp file, bad input in the dead
// letter with the request it came in. A blocked destination is the real otlp_http exporter pointed
// at a fake collector that never answers.

import type { WebhookSourceConfig } from '../../../src/sources/webhook/schema.ts';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRunConfig, type RunConfig } from '../../../src/config/run-config.ts';
import { createPipeline, type RunSummary } from '../../../src/pipeline/pipeline.ts';
import type { WebhookStats } from '../../../src/sources/webhook/index.ts';
import { fakeHang, FakeOtlpHttpServer } from '../../helpers/fake-otlp-http-server.ts';
import { ROOT } from '../../helpers/samples.ts';

const SAMPLES = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').trim().split('\n');
type Source = WebhookSourceConfig;

interface Running {
  url: string;
  stats(): WebhookStats;
  logs: string[];
  stop(): Promise<RunSummary>;
  output(): string[];
  deadLetter(): Array<Record<string, any>>;
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function start(
  source: Partial<Source> = {},
  exporters?: RunConfig['exporters'],
  shutdownTimeoutMs = 5_000,
): Promise<Running> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-'));
  const out = path.join(dir, 'out.ndjson');
  const dl = path.join(dir, 'dl.ndjson');
  const config: RunConfig = {
    version: 1,
    node: { name: 'webhook-node' },
    sources: [{ type: 'webhook', listen: '127.0.0.1:0', path: '/events', ...source }],
    dead_letter: { path: dl },
    exporters: exporters ?? [{ type: 'console', path: out, delivery: { flush_interval_ms: 5 } }],
  };
  const logs: string[] = [];
  const p = createPipeline(config, { stdin: Readable.from([]), log: (l) => logs.push(l) }, { shutdownTimeoutMs });
  const done = p.run();
  let stopped: Promise<RunSummary> | undefined;
  const stop = () => (stopped ??= (p.stop(), done));
  cleanups.push(stop);
  const { webhooks } = await p.ready();
  const read = (f: string) =>
    fs.existsSync(f)
      ? fs
          .readFileSync(f, 'utf8')
          .trim()
          .split('\n')
          .filter((l) => l !== '')
      : [];
  return {
    url: webhooks[0].url,
    stats: webhooks[0].stats,
    logs,
    stop,
    output: () => read(out),
    deadLetter: () => read(dl).map((l) => JSON.parse(l)),
  };
}

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: text.startsWith('{') ? JSON.parse(text) : text };
}

const DETAIL = /^POST \/events from 127\.0\.0\.1:\d+ #\d+$/;

describe('webhook source', () => {
  it('one event per POST, as Tracee sends it (query string included): 200 once accepted, then delivered', async () => {
    const w = await start();
    expect(w.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/events$/);
    const r = await post(`${w.url}?timeout=5s`, SAMPLES[0]);
    expect(r).toMatchObject({ status: 200, body: { accepted: 1, rejected: [] } });
    const summary = await w.stop();
    expect(summary).toMatchObject({ received: 1, mapped: 1, rejected: 0, sourceErrors: 0 });
    expect(summary.exporters[0].stats.delivered).toBe(1);
    const docs = w.output().map((l) => JSON.parse(l));
    expect(docs).toHaveLength(1);
    expect(docs[0].host.name).toBe('webhook-node');
    expect(w.stats()).toMatchObject({ requests: 1, responses: { 200: 1 }, events: { accepted: 1, rejected: 0 } });
  });

  it('NDJSON and JSON array bodies, any Content-Type', async () => {
    const w = await start();
    expect((await post(w.url, SAMPLES.join('\n') + '\n', { 'content-type': 'application/x-ndjson' })).body).toEqual({
      accepted: SAMPLES.length,
      rejected: [],
    });
    expect((await post(w.url, `[${SAMPLES.slice(0, 3).join(',\n')}]`, { 'content-type': 'text/plain' })).body).toEqual({
      accepted: 3,
      rejected: [],
    });
    const pretty = JSON.stringify(JSON.parse(SAMPLES[1]), null, 2);
    expect((await post(w.url, pretty, { 'content-type': 'application/vnd.tracee+json' })).body).toEqual({
      accepted: 1,
      rejected: [],
    });
    await w.stop();
    expect(w.output()).toHaveLength(SAMPLES.length + 4);
  });

  it('no valid event: 400 with the reason per line; dead letter and log name the request', async () => {
    const w = await start();
    const r = await post(w.url, 'not json\n{"foo":1}\n');
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      error: 'no valid event in the body',
      accepted: 0,
      rejected: [
        { line: 1, reason: expect.stringMatching(/malformed JSON/) },
        { line: 2, reason: expect.stringMatching(/not a Tracee event/) },
      ],
    });
    expect((await post(w.url, '  \n')).body).toEqual({ error: 'empty body: no event', rejected: [] });
    const summary = await w.stop();
    expect(summary).toMatchObject({ received: 2, mapped: 0, rejected: 2 });
    const dl = w.deadLetter();
    expect(dl).toEqual([
      expect.objectContaining({
        exporter: 'input',
        input: 'not json',
        origin: { source: 'webhook', line: 1, detail: expect.stringMatching(DETAIL) },
      }),
      expect.objectContaining({
        exporter: 'input',
        input: '{"foo":1}',
        origin: { source: 'webhook', line: 2, detail: expect.stringMatching(DETAIL) },
      }),
    ]);
    expect(dl[0].origin.detail).toMatch(/#1$/);
    expect(w.logs.some((l) => /^webhook: POST \/events from 127\.0\.0\.1:\d+ #1: 400 no valid event/.test(l))).toBe(
      true,
    );
    expect(
      w.logs.some((l) => /^webhook:1 \(POST \/events from 127\.0\.0\.1:\d+ #1\): rejected: malformed JSON/.test(l)),
    ).toBe(true);
    expect(w.stats().responses).toEqual({ 400: 2 });
  });

  it('good and bad lines: the good ones are accepted, 200 with the rejected list', async () => {
    const w = await start();
    const r = await post(w.url, [SAMPLES[0], '{"broken":', SAMPLES[1]].join('\n'));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ accepted: 2, rejected: [{ line: 2, reason: expect.stringMatching(/malformed JSON/) }] });
    await w.stop();
    expect(w.output()).toHaveLength(2);
    expect(w.deadLetter()).toEqual([
      expect.objectContaining({ input: '{"broken":', origin: expect.objectContaining({ line: 2 }) }),
    ]);
    expect(w.logs.some((l) => /#1: 200 with 1 of 3 event\(s\) rejected/.test(l))).toBe(true);
  });

  it('too large: 413, by Content-Length and while reading a chunked body', async () => {
    const w = await start({ max_body_bytes: 2048 });
    const big = SAMPLES.join('\n');
    expect(big.length).toBeGreaterThan(2048);
    expect((await post(w.url, big)).status).toBe(413);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(w.url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.write(big.slice(0, 1200));
      req.end(big.slice(1200, 2400));
    });
    expect(chunked).toBe(413);
    expect((await post(w.url, SAMPLES[7])).status).toBe(200); // a body under the limit still passes
    await w.stop();
    expect(w.stats().responses).toEqual({ 413: 2, 200: 1 });
  });

  it('a 413 body is one too_large rejection with its request, counted and dead-lettered (Tracee does not resend it)', async () => {
    const w = await start({ max_body_bytes: 2048 });
    const big = SAMPLES.join('\n');
    expect((await post(w.url, big)).status).toBe(413);
    const summary = await w.stop();
    expect(summary).toMatchObject({ rejected: 1 });
    expect(w.stats().events).toMatchObject({ accepted: 0, rejected: 1 });
    expect(w.deadLetter()).toEqual([
      expect.objectContaining({
        exporter: 'input',
        reason: expect.stringMatching(/body larger than 2048 bytes/),
        origin: { source: 'webhook', detail: expect.stringMatching(DETAIL) },
      }),
    ]);
  });

  it('max_connections: connections over it are closed at once, counted and logged (each may hold max_body_bytes)', async () => {
    const w = await start({ max_connections: 1 });
    const { port } = new URL(w.url);
    const holder = net.connect(Number(port), '127.0.0.1'); // an open connection that sends nothing yet
    await new Promise<void>((resolve) => holder.once('connect', () => resolve()));
    cleanups.push(async () => {
      holder.destroy();
    });
    await new Promise((r) => setTimeout(r, 50));
    await expect(post(w.url, SAMPLES[0])).rejects.toThrow();
    expect(w.stats().connectionsRefused).toBe(1);
    expect(
      w.logs.some((l) =>
        /^webhook: connection from 127\.0\.0\.1:\d+ refused: 1 connection\(s\) already \(max_connections\)$/.test(l),
      ),
    ).toBe(true);
    holder.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect((await post(w.url, SAMPLES[0], { connection: 'close' })).status).toBe(200);
  });

  it('keys of other source types are refused on a webhook (shared_key or users would not protect it)', () => {
    const err = (src: string) => {
      try {
        parseRunConfig(`version: 1\nsources:\n  - ${src}\nexporters: [{ type: console }]\n`, 'c.yaml', {});
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(err('{ type: webhook, shared_key: k-7781 }')).toMatch(/^c\.yaml:3:\d+: sources\[0\]\.shared_key: /);
    expect(err('{ type: webhook, users: [{ username: u, password: p-7781 }] }')).toMatch(
      /^c\.yaml:3:\d+: sources\[0\]\.users: /,
    );
    expect(err('{ type: webhook, shared_key: k-7781 }')).not.toMatch(/k-7781/);
    for (const k of [
      'tag: t',
      'max_message_bytes: 4096',
      'idle_timeout_ms: 5',
      'self_hostname: h',
      'address: "tcp:4466"',
      'follow: true',
    ]) {
      expect(err(`{ type: webhook, ${k} }`), k).toMatch(/^c\.yaml:3:\d+: sources\[0\]\./);
    }
    expect(err('{ type: webhook, max_connections: 8 }')).toBe('');
  });

  it('auth: basic (as Tracee sends it from the URL) and bearer, compared in constant time; 401 with WWW-Authenticate', async () => {
    const w = await start({ auth: { username: 'tracee', password: 's3cret-pw' } });
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    const none = await post(w.url, SAMPLES[0]);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await post(w.url, SAMPLES[0], basic('tracee', 'wrong'))).status).toBe(401);
    expect((await post(w.url, SAMPLES[0], { authorization: 'Bearer s3cret-pw' })).status).toBe(401);
    expect((await post(w.url, SAMPLES[0], basic('tracee', 's3cret-pw'))).status).toBe(200);
    await w.stop();
    expect(w.output()).toHaveLength(1);
    expect(w.logs.join('\n')).not.toContain('s3cret-pw');
    expect(w.logs.filter((l) => /: 401 /.test(l))).toHaveLength(3);

    const b = await start({ auth: { bearer_token: 'tok-123' } });
    const wrong = await post(b.url, SAMPLES[0], { authorization: 'Bearer tok-12' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    expect((await post(b.url, SAMPLES[0], { authorization: 'bearer tok-123' })).status).toBe(200);
  });

  it('404 for another path, 405 for another method', async () => {
    const w = await start();
    expect((await post(w.url.replace('/events', '/other'), SAMPLES[0])).status).toBe(404);
    const get = await fetch(w.url);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    await get.text();
    expect(w.stats().responses).toEqual({ 404: 1, 405: 1 });

    const any = await start({ path: undefined });
    expect(any.url).toMatch(/\/$/);
    expect((await post(any.url.replace(/\/$/, '/whatever/path?x=1'), SAMPLES[0])).status).toBe(200);
  });

  it('queues full longer than max_queue_wait_ms: 503 with Retry-After is a refusal: the waiting event is withdrawn from the queues and never delivered, it and the rest are dead-lettered', async () => {
    const fake = await FakeOtlpHttpServer.start();
    fake.always(fakeHang);
    cleanups.push(() => fake.close());
    const w = await start(
      { max_queue_wait_ms: 300 },
      [
        {
          type: 'otlp_http',
          endpoint: fake.baseUrl,
          delivery: {
            max_queue_items: 1,
            max_batch_items: 1,
            concurrency: 1,
            flush_interval_ms: 1,
            send_timeout_ms: 60_000,
          },
        },
      ],
      300,
    );
    // one event in flight at the fake (never answered), one in the queue, then the queue is full
    const statuses: number[] = [];
    let full: Awaited<ReturnType<typeof post>> | undefined;
    for (let i = 0; i < 5 && full === undefined; i++) {
      const r = await post(w.url, SAMPLES[i]);
      statuses.push(r.status);
      if (r.status === 503) full = r;
      // the first event must be in flight at the fake before the second comes, or both wait in the
      // one-item queue (a loaded machine can take longer than max_queue_wait_ms to send it)
      for (const deadline = Date.now() + 10_000; i === 0 && fake.requests.length === 0 && Date.now() < deadline; )
        await new Promise((r) => setTimeout(r, 10));
    }
    expect(statuses).toEqual([200, 200, 503]);
    expect(full!.headers.get('retry-after')).toBe('1');
    expect(full!.body).toEqual({
      error: 'exporter queues full for 300 ms',
      accepted: 0,
      rejected: [],
      waiting: 0,
      refused: 1,
    });
    // a body of three events while full: the first waits and is withdrawn, the other two are refused unread
    const many = await post(w.url, SAMPLES.slice(3, 6).join('\n'));
    expect(many.status).toBe(503);
    expect(many.body).toMatchObject({ accepted: 0, waiting: 0, refused: 3 });
    expect(w.logs.some((l) => /#4: 503 exporter queues full for 300 ms/.test(l))).toBe(true);
    const summary = await w.stop();
    // nothing is lost silently: the two answered 200 are in flight + queued (dead-lettered at the
    // deadline); the four answered 503 were never queued: dead-lettered as refused input at once
    expect(summary.exporters[0].pendingAtShutdown).toBe(2);
    expect(summary.exporters[0].stats.received).toBe(2);
    expect(summary.rejected).toBe(4);
    const dl = w.deadLetter();
    expect(dl.filter((e) => e.exporter === 'input')).toEqual([
      expect.objectContaining({
        reason: expect.stringMatching(/not accepted: exporter queues full for 300 ms/),
        origin: { source: 'webhook', line: 1, detail: expect.stringMatching(/#3$/) },
      }),
      expect.objectContaining({ origin: expect.objectContaining({ line: 1, detail: expect.stringMatching(/#4$/) }) }),
      expect.objectContaining({ origin: expect.objectContaining({ line: 2 }) }),
      expect.objectContaining({ origin: expect.objectContaining({ line: 3 }) }),
    ]);
    expect(dl.filter((e) => e.exporter === 'otlp_http')).toHaveLength(2);
    expect(w.stats()).toMatchObject({ responses: { 200: 2, 503: 2 }, events: { accepted: 2, waiting: 0, refused: 4 } });
  });

  it('stop(): in-flight requests are answered and delivered, then the server is closed', async () => {
    const w = await start();
    expect((await post(w.url, SAMPLES[0])).status).toBe(200);
    // a request whose body is still arriving when the pipeline stops
    const inFlight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(w.url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.write(SAMPLES[1].slice(0, 100));
      setTimeout(() => req.end(SAMPLES[1].slice(100)), 200);
    });
    await new Promise((r) => setTimeout(r, 50));
    const stopped = w.stop();
    expect(await inFlight).toEqual({ status: 200, body: '{"accepted":1,"rejected":[]}' });
    const summary = await stopped;
    expect(summary).toMatchObject({ received: 2, mapped: 2, rejected: 0 });
    expect(summary.exporters[0]).toMatchObject({ pendingAtShutdown: 0, stats: { delivered: 2 } });
    expect(w.output()).toHaveLength(2);
    await expect(fetch(w.url, { method: 'POST', body: SAMPLES[2] })).rejects.toThrow();
    expect(
      w.logs.some((l) => /^webhook http:\/\/127\.0\.0\.1:\d+\/events: closed after 2 request\(s\) \(200×2\)/.test(l)),
    ).toBe(true);
  });

  it('HTTPS when tls.cert_file / tls.key_file are set', async () => {
    const tlsDir = path.join(ROOT, 'test/fixtures/tls');
    const w = await start({
      tls: { cert_file: path.join(tlsDir, 'server.pem'), key_file: path.join(tlsDir, 'server.key') },
    });
    expect(w.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/events$/);
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        w.url,
        {
          method: 'POST',
          ca: fs.readFileSync(path.join(tlsDir, 'ca.pem')),
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.end(SAMPLES[0]);
    });
    expect(status).toBe(200);
    await w.stop();
    expect(w.output()).toHaveLength(1);
  });

  it('a webhook that cannot listen stops the run with a source error', async () => {
    const w = await start();
    const port = new URL(w.url).port;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-'));
    const logs: string[] = [];
    const p = createPipeline(
      {
        version: 1,
        sources: [{ type: 'webhook', listen: `127.0.0.1:${port}` }, { type: 'stdin' }],
        exporters: [{ type: 'console', path: path.join(dir, 'out.ndjson') }],
      },
      { stdin: Readable.from([SAMPLES[0] + '\n']), log: (l) => logs.push(l) },
    );
    const summary = await p.run();
    expect(summary.sourceErrors).toBe(1);
    expect(summary.received).toBe(0); // the run stopped before reading stdin
    expect(logs).toContain(`sources[0]: cannot listen on 127.0.0.1:${port}: EADDRINUSE`);

    const noCert = createPipeline(
      {
        version: 1,
        sources: [
          {
            type: 'webhook',
            listen: '127.0.0.1:0',
            tls: { cert_file: '/nonexistent/cert.pem', key_file: '/nonexistent/key.pem' },
          },
        ],
        exporters: [{ type: 'console', path: path.join(dir, 'out2.ndjson') }],
      },
      { stdin: Readable.from([]), log: (l) => logs.push(l) },
    );
    expect((await noCert.run()).sourceErrors).toBe(1);
    expect(logs).toContain('sources[0].tls.cert_file: cannot read "/nonexistent/cert.pem": ENOENT');
  });

  it('config: listen, path and auth are checked; secrets come from ${env:…} and stay out of errors', () => {
    const cfg = (src: string, env: Record<string, string> = {}) =>
      parseRunConfig(`version: 1\nsources:\n  - ${src}\nexporters: [{ type: console }]\n`, 'c.yaml', env);
    const err = (src: string) => {
      try {
        cfg(src);
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(
      cfg('{ type: webhook, listen: "0.0.0.0:8080", path: /events, auth: { bearer_token: "${env:TOKEN}" } }', {
        TOKEN: 'tok-9f3',
      }).sources![0],
    ).toEqual({ type: 'webhook', listen: '0.0.0.0:8080', path: '/events', auth: { bearer_token: 'tok-9f3' } });
    expect((cfg('{ type: webhook, listen: "[::1]:8080" }').sources![0] as { listen?: string }).listen).toBe(
      '[::1]:8080',
    );
    expect(err('{ type: webhook, listen: "localhost" }')).toMatch(
      /^c.yaml:3:\d+: sources\[0\]\.listen: must match pattern/,
    );
    expect(err('{ type: webhook, path: events }')).toMatch(
      /^c.yaml:3:\d+: sources\[0\]\.path: must match pattern "\^\/"/,
    );
    expect(err('{ type: webhook, auth: { username: tracee } }')).toMatch(
      /sources\[0\]\.auth: must have property password when property username is present/,
    );
    const both = err('{ type: webhook, auth: { bearer_token: hunter2-secret, username: u, password: hunter2-pw } }');
    expect(both).toMatch(/^c.yaml:3:\d+: sources\[0\]\.auth.username: /);
    expect(both).not.toMatch(/hunter2/);
    expect(err('{ type: webhook, auth: { bearer_token: "${env:NO_TOKEN}" } }')).toMatch(
      /environment variable NO_TOKEN is not set/,
    );
  });
});
