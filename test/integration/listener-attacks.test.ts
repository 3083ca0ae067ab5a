// The listeners attacked through the real CLI (`node src/cli/main.ts run`), as someone on the same
// network would (#15), and the webhook's 503 as a refusal (#14.3) against the real collector:
//  - slowloris: 64 half-header sockets from one address; a real POST from another is served at once,
//    the 64 are refused (per-client cap) or cut at the header timeout, counted in /metrics and the summary;
//  - a 100 MB chunked body: 413, the connection cut after a few MB, peak RSS measured;
//  - a connection flood from 12 addresses over max_connections: refused by reason, a real client served;
//  - a bad-line flood: stderr stays a few lines, every line counted and dead-lettered;
//  - 503 with a never-retrying and a retrying sender, the collector behind a FAKE outage proxy
//    (down, then slow): the collector gets exactly the events answered 200, each once.
// Loopback addresses 127.0.0.2… stand for other hosts (Linux routes all of 127/8 to lo).

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { decode, encode } from '@msgpack/msgpack';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  COLLECTOR_OTLP_HTTP_URL,
  collectorOutputSize,
  readCollectorOutput,
  recordsWithResourceAttribute,
  uniqueTestId,
} from '../helpers/collector.ts';
import { createFakeOutageProxy } from '../helpers/fake-outage-proxy.ts';
import { parsePromText, sumOf } from '../helpers/prom-text.ts';
import { ROOT } from '../helpers/samples.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'listener-attacks-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const BASE = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').split('\n')[0],
);
/** Event n: the sample with its own timestamp (n ms later), to tell events apart at the destination. */
const event = (n: number) => JSON.stringify({ ...BASE, timestamp: BASE.timestamp + n * 1_000_000 });

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Run {
  child: ChildProcess;
  stderr(): string;
  waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  metrics(): Promise<ReturnType<typeof parsePromText>>;
  /** The webhook URL, or the forward source's tcp:// address. */
  webhook: string;
  peakRssMb(): number;
  /** SIGTERM, wait for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

async function run(name: string, yaml: string): Promise<Run> {
  const cfg = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(cfg, yaml);
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'src/cli/main.ts'), 'run', '--config', cfg, '--shutdown-timeout', '10000'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        // a V8 heap cap (src/cli/main.ts directly: the bin's caps from memory_limit_mib do not apply);
        // the flag the image used to set; the 400 MB RSS bound below was set with it in place
        NODE_OPTIONS: '--max-old-space-size=192',
        TRACEE_EXPORTER_TELEMETRY_LISTEN: '127.0.0.1:0',
      },
    },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => {
    stderr += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let peak = 0;
  const sampler = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch {
      /* gone */
    }
  }, 50);
  const stop = async () => {
    clearInterval(sampler);
    if (child.exitCode === null) child.kill('SIGTERM');
    return exited;
  };
  cleanups.push(stop);
  const waitFor = async (re: RegExp, ms = 60_000): Promise<RegExpExecArray> => {
    for (const t0 = Date.now(); Date.now() - t0 < ms; ) {
      const m = re.exec(stderr);
      if (m) return m;
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}:\n${stderr.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${re}:\n${stderr.slice(-3000)}`);
  };
  const base = (await waitFor(/telemetry: listening on (http:\/\/\S+)/))[1];
  const webhook = (await waitFor(/(?:webhook|forward): listening on ((?:http|tcp):\/\/\S+)/))[1];
  return {
    child,
    stderr: () => stderr,
    waitFor,
    webhook,
    stop,
    peakRssMb: () => peak,
    metrics: async () => parsePromText(await (await fetch(`${base}/metrics`)).text()),
  };
}

const webhookYaml = (
  source: string,
  exporters = `  - { type: console, format: ecs, path: ${dir}/out-${Math.random().toString(36).slice(2)}.ndjson, delivery: { flush_interval_ms: 20 } }`,
) => `version: 1
sources:
  - { type: webhook, listen: "127.0.0.1:0", path: /events, ${source} }
dead_letter: { path: ${dir}/dl-${Math.random().toString(36).slice(2)}.ndjson }
telemetry: { log_interval_ms: 0 }
exporters:
${exporters}
`;

/** A socket from `from` that sends half a request header and then nothing; resolves what it got when closed. */
function halfHeader(port: number, from: string): Promise<{ closed: Promise<string> }> {
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
      resolve({ closed });
    });
    socket.once('close', () => resolve({ closed }));
  });
}

const post = (url: string, body: string) =>
  fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', connection: 'close' } }).then(
    async (r) => {
      await r.text();
      return r.status;
    },
  );

describe('listeners attacked through `run`', () => {
  it('slowloris: 64 half-header sockets do not lock out a real client; refused and cut, counted in /metrics and the summary', async () => {
    const r = await run('slowloris', webhookYaml('header_timeout_ms: 1000'));
    const port = Number(new URL(r.webhook).port);
    const attack = await Promise.all(Array.from({ length: 64 }, () => halfHeader(port, '127.0.0.2')));
    expect(await post(r.webhook, event(0))).toBe(200);
    const answers = await Promise.all(attack.map((a) => a.closed));
    expect(answers.filter((a) => a.startsWith('HTTP/1.1 408 '))).toHaveLength(16);
    const m = await r.metrics();
    expect(
      sumOf(m, 'tracee_exporter_listener_connections_refused_total', { source: 'webhook', reason: 'per_client' }),
    ).toBe(48);
    expect(
      sumOf(m, 'tracee_exporter_listener_connections_refused_total', { source: 'webhook', reason: 'header_timeout' }),
    ).toBe(16);
    expect(await r.stop()).toBe(0);
    expect(r.stderr()).toMatch(
      /events accepted 1, rejected 0, refused 0; connections refused 64 \(per_client×48, header_timeout×16\)/,
    );
  });

  it('a 100 MB chunked body: 413, cut after a few MB; RSS stays bounded', async () => {
    const r = await run('huge-body', webhookYaml(''));
    const socket = net.connect(Number(new URL(r.webhook).port), '127.0.0.1');
    socket.on('error', () => {});
    cleanups.push(() => {
      socket.destroy();
    });
    await new Promise<void>((res) => socket.once('connect', () => res()));
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString();
    });
    let isClosed = false;
    const closed = new Promise<void>((res) =>
      socket.once('close', () => {
        isClosed = true;
        res();
      }),
    );
    socket.write('POST /events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    let sent = 0;
    while (!isClosed && sent < 100 * chunk.length) {
      socket.write(`${chunk.length.toString(16)}\r\n`);
      socket.write(chunk);
      const ok = socket.write('\r\n');
      sent += chunk.length;
      if (!ok) await Promise.race([new Promise((res) => socket.once('drain', res)), closed]);
    }
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(sent).toBeLessThan(50 * chunk.length);
    const rss = r.peakRssMb();
    console.log(
      `100 MB body: cut after ${(sent / 1048576).toFixed(0)} MB sent; peak RSS of the exporter ${rss.toFixed(0)} MB`,
    );
    expect(rss).toBeLessThan(400);
    expect(await r.stop()).toBe(1); // the 413 body is one rejected input
    expect(r.stderr()).toMatch(/413×1/);
  });

  it('connection flood from 12 addresses over max_connections: refused by reason, counted; a real client is served', async () => {
    const r = await run(
      'flood',
      webhookYaml('max_connections: 40, max_connections_per_client: 4, header_timeout_ms: 1500'),
    );
    const port = Number(new URL(r.webhook).port);
    const flood: Array<{ closed: Promise<string> }> = [];
    for (let a = 2; a < 14; a++) for (let k = 0; k < 6; k++) flood.push(await halfHeader(port, `127.0.0.${a}`));
    // a real client: served once the header timeout freed slots (polled: no timing asserted)
    let status = 0;
    for (let i = 0; i < 200 && status !== 200; i++) {
      status = await post(r.webhook, event(1)).catch(() => 0);
      if (status !== 200) await new Promise((res) => setTimeout(res, 50));
    }
    expect(status).toBe(200);
    const answers = await Promise.all(flood.map((f) => f.closed));
    const cut = answers.filter((a) => a.startsWith('HTTP/1.1 408 ')).length;
    expect(cut).toBeGreaterThan(0);
    expect(cut).toBeLessThanOrEqual(40);
    const m = await r.metrics();
    const by = (reason: string) =>
      sumOf(m, 'tracee_exporter_listener_connections_refused_total', { source: 'webhook', reason });
    expect(by('header_timeout')).toBe(cut);
    expect(by('per_client')).toBeGreaterThan(0);
    expect(by('max_connections')).toBeGreaterThan(0);
    // every flood socket is accounted for; a refused attempt of the real client may add max_connections
    expect(by('header_timeout') + by('per_client') + by('max_connections')).toBeGreaterThanOrEqual(72);
    expect(await r.stop()).toBe(0);
    const total = by('header_timeout') + by('per_client') + by('max_connections');
    expect(r.stderr()).toContain(`connections refused ${total} (`);
    // a flood is a few log lines, not one per connection
    expect(
      r
        .stderr()
        .split('\n')
        .filter((l) => /connection from .* refused/.test(l)).length,
    ).toBeLessThanOrEqual(6);
  });

  it('a bad-line flood: stderr stays small, every line counted and dead-lettered', async () => {
    const dl = path.join(dir, 'flood-dl.ndjson');
    const r = await run(
      'bad-lines',
      `version: 1
sources:
  - { type: webhook, listen: "127.0.0.1:0", path: /events, max_body_bytes: 16777216 }
dead_letter: { path: ${dl} }
telemetry: { log_interval_ms: 0 }
exporters:
  - { type: console, format: ecs, path: ${dir}/bad-lines-out.ndjson }
`,
    );
    const bodies = 10;
    const perBody = 10_000;
    for (let b = 0; b < bodies; b++) {
      const body = Array.from({ length: perBody }, (_v, i) => `{not json ${b}-${i}`).join('\n');
      expect(await post(r.webhook, body)).toBe(400);
    }
    const m = await r.metrics();
    expect(sumOf(m, 'tracee_exporter_events_rejected_total', { source: 'webhook' })).toBe(bodies * perBody);
    expect(sumOf(m, 'tracee_exporter_client_rejections_total', { source: 'webhook', client: '127.0.0.1' })).toBe(
      bodies * perBody,
    );
    expect(await r.stop()).toBe(1);
    const lines = r.stderr().split('\n');
    console.log(
      `bad-line flood: ${bodies * perBody} bad lines → ${lines.length} stderr lines, ${r.stderr().length} bytes`,
    );
    expect(lines.length).toBeLessThan(100);
    expect(
      lines.filter((l) =>
        /^\S+Z WARN {2}tracee-exporter: webhook:1 \(POST \/events from 127\.0\.0\.1:\d+ #1\): rejected: /.test(l),
      ),
    ).toHaveLength(1);
    expect(r.stderr()).toMatch(
      /rejected input from 127\.0\.0\.1: \d+ more not logged one by one \(malformed_json×\d+\)/,
    );
    expect(r.stderr()).toMatch(new RegExp(`rejected ${bodies * perBody}`));
    const entries = fs
      .readFileSync(dl, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    expect(entries).toHaveLength(bodies * perBody);
  });
});

describe('forward source attacked through `run`', () => {
  it('slowloris: 64 sockets holding half a message do not lock out Tracee; refused and cut, counted in /metrics and the summary', async () => {
    const r = await run(
      'forward-slowloris',
      `version: 1
sources:
  - { type: forward, listen: "127.0.0.1:0", message_timeout_ms: 1000 }
dead_letter: { path: ${dir}/forward-dl.ndjson }
telemetry: { log_interval_ms: 0 }
exporters:
  - { type: console, format: ecs, path: ${dir}/forward-out.ndjson, delivery: { flush_interval_ms: 20 } }
`,
    );
    const port = Number(new URL(r.webhook).port);
    const msg = (chunk: string) =>
      Buffer.from(encode(['tracee', Math.floor(Date.now() / 1000), { event: event(7) }, { chunk }]));
    const attack = await Promise.all(
      Array.from(
        { length: 64 },
        () =>
          new Promise<Promise<void>>((resolve) => {
            const socket = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
            socket.on('error', () => {});
            cleanups.push(() => {
              socket.destroy();
            });
            const closed = new Promise<void>((res) => socket.once('close', () => res()));
            socket.once('connect', () => {
              socket.write(msg('x').subarray(0, 20));
              resolve(closed);
            });
            socket.once('close', () => resolve(closed));
          }),
      ),
    );
    // Tracee (requireAck=true) from another address: its message is acked while the attack holds
    const ack = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      cleanups.push(() => {
        socket.destroy();
      });
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('closed before the ack (refused)')));
      socket.once('data', (d) => {
        resolve((decode(d) as { ack: string }).ack);
        socket.end();
      });
      socket.write(msg('tracee-1'));
    });
    expect(ack).toBe('tracee-1');
    await Promise.all(attack);
    const m = await r.metrics();
    expect(
      sumOf(m, 'tracee_exporter_listener_connections_refused_total', { source: 'forward', reason: 'per_client' }),
    ).toBe(48);
    expect(
      sumOf(m, 'tracee_exporter_listener_connections_refused_total', { source: 'forward', reason: 'message_timeout' }),
    ).toBe(16);
    expect(await r.stop()).toBe(1); // each cut message is one rejected input (dead-lettered with its first bytes)
    expect(r.stderr()).toMatch(
      /refused 64: per_client×48, message_timeout×16\); messages message×1; acks 1; events accepted 1, rejected 16/,
    );
  });
});

describe('webhook 503 is a refusal, against the real collector (#14.3)', () => {
  it('a never-retrying and a retrying sender under overload: the collector gets exactly the events answered 200, each once', async () => {
    const proxy = await createFakeOutageProxy(
      { host: '127.0.0.1', port: Number(new URL(COLLECTOR_OTLP_HTTP_URL).port) },
      { up: false },
    );
    cleanups.push(() => proxy.close());
    const id = uniqueTestId('refusal');
    const from = collectorOutputSize();
    const r = await run(
      'refusal',
      `version: 1
node: { name: ${id} }
sources:
  - { type: webhook, listen: "127.0.0.1:0", path: /events, max_queue_wait_ms: 300 }
dead_letter: { path: ${dir}/refusal-dl.ndjson }
telemetry: { log_interval_ms: 0 }
exporters:
  - type: otlp_http
    endpoint: ${proxy.url}
    delivery: { max_queue_items: 5, max_batch_items: 2, concurrency: 1, flush_interval_ms: 5, initial_backoff_ms: 50, max_backoff_ms: 200, send_timeout_ms: 10000 }
`,
    );
    const answered = new Map<number, number[]>(); // event n → statuses it got
    const send = async (n: number) => {
      const s = await post(r.webhook, event(n));
      answered.set(n, [...(answered.get(n) ?? []), s]);
      return s;
    };
    // 1. the destination is down: a never-retrying sender (Tracee) posts until a few 503s came back
    let n = 0;
    for (let refusedCount = 0; refusedCount < 5 && n < 200; n++) if ((await send(n)) === 503) refusedCount++;
    const neverRetried = [...answered].filter(([, s]) => s[0] === 503).map(([k]) => k);
    expect(neverRetried).toHaveLength(5);
    // 2. 8 retrying senders post 200 events at once, each until it gets 200; the destination is
    //    still down (every post is a 503) until 40 of them were refused, then back but slow
    const retried = Array.from({ length: 200 }, (_v, i) => 1000 + i);
    const queue = [...retried];
    let phase2refused = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let k = queue.shift(); k !== undefined; k = queue.shift()) {
          for (let tries = 0; (await send(k)) !== 200; tries++) {
            if (++phase2refused >= 40 && !proxy.isUp) {
              proxy.up();
              proxy.slow(10);
            }
            if (tries > 400) throw new Error(`event ${k} never accepted`);
            await new Promise((res) => setTimeout(res, 50));
          }
        }
      }),
    );
    const overload503 = retried.reduce((s, k) => s + answered.get(k)!.filter((x) => x === 503).length, 0);
    console.log(
      `503 as a refusal: ${neverRetried.length} refused once (never retried), ${overload503} 503s to the retrying senders`,
    );
    expect(overload503).toBeGreaterThan(0); // it was an overload
    proxy.slow(0);
    expect(await r.stop()).toBe(1); // the refusals count as rejected input

    const ok = [...answered].filter(([, s]) => s.includes(200)).map(([k]) => k);
    const stamps = (ks: number[]) => ks.map((k) => String(BASE.timestamp + k * 1_000_000).slice(0, 13)).sort();
    let records: ReturnType<typeof recordsWithResourceAttribute> = [];
    for (let i = 0; i < 100 && records.length < ok.length; i++) {
      records = recordsWithResourceAttribute('host.name', id, readCollectorOutput(from));
      await new Promise((res) => setTimeout(res, 100));
    }
    // timeUnixNano of each record: exactly the events answered 200, each once (no duplicate, no loss)
    const got = records.map((x) => String(x.record.timeUnixNano).slice(0, 13)).sort();
    expect(got).toEqual(stamps(ok));
    expect(got.length).toBe(ok.length);
    const refusedTotal = [...answered.values()].flat().filter((s) => s === 503).length;
    expect(r.stderr()).toMatch(new RegExp(`503×${refusedTotal}\\b`));
  });
});
