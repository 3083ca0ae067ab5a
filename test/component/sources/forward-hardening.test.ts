// The forward source attacked as a client on the same network would: sockets that start a message
// and go idle (slowloris), a connection flood from one address, and mTLS. Real sockets on
// 127.0.0.1 / 127.0.0.2 (another loopback address = another client), real pipeline ingest.

import type { ForwardSourceConfig } from '../../../src/sources/forward/schema.ts';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tls from 'node:tls';
import { decode, encode } from '@msgpack/msgpack';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../../src/config/run-config.ts';
import { createPipeline, type RunSummary } from '../../../src/pipeline/pipeline.ts';
import type { ForwardStats } from '../../../src/sources/forward/index.ts';
import { ROOT } from '../../helpers/samples.ts';

const SAMPLE = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').split('\n')[0];
type Source = ForwardSourceConfig;

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(source: Partial<Source> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forward-hard-'));
  const config: RunConfig = {
    version: 1,
    sources: [{ type: 'forward', listen: '127.0.0.1:0', ...source }],
    dead_letter: { path: path.join(dir, 'dl.ndjson') },
    exporters: [{ type: 'console', path: path.join(dir, 'out.ndjson'), delivery: { flush_interval_ms: 5 } }],
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
  const { forwards } = await p.ready();
  return {
    port: Number(new URL(forwards![0].address).port),
    stats: forwards![0].stats as () => ForwardStats,
    logs,
    stop,
  };
}

/** One Message-mode message with a chunk id, as Tracee sends it with requireAck=true. */
const message = (chunk: string) =>
  Buffer.from(encode(['tracee', Math.floor(Date.now() / 1000), { event: SAMPLE }, { chunk }]));

/** A socket that sends the first bytes of a message and then nothing. */
function halfMessage(port: number, from: string): Promise<{ closed: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    socket.on('error', () => {});
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    cleanups.push(() => {
      socket.destroy();
    });
    socket.once('connect', () => {
      socket.write(message('x').subarray(0, 20));
      resolve({ closed });
    });
    socket.once('close', () => resolve({ closed }));
  });
}

/** Sends one message on a new connection and resolves with the ack's chunk (rejects if the connection is refused). */
function sendAndAck(connect: () => net.Socket, chunk: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect();
    cleanups.push(() => {
      socket.destroy();
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed before the ack')));
    socket.once('data', (d) => {
      resolve((decode(d) as { ack: string }).ack);
      socket.end();
    });
    socket.write(message(chunk));
  });
}

describe('forward source under attack', () => {
  it('slowloris: 64 sockets from one address holding half a message do not lock out another client; over the per-client cap they are refused, the rest cut at message_timeout_ms', async () => {
    const f = await start({ message_timeout_ms: 600 });
    const attack = await Promise.all(Array.from({ length: 64 }, () => halfMessage(f.port, '127.0.0.2')));
    expect(await sendAndAck(() => net.connect(f.port, '127.0.0.1'), 'real-1')).toBe('real-1');
    await Promise.all(attack.map((a) => a.closed));
    expect(f.stats().connections.refusedBy).toEqual({ per_client: 48, message_timeout: 16 });
    await expect.poll(() => f.stats().connections.closed.message_timeout).toBe(16); // counted once its rejection is written
    const summary = await f.stop();
    // each cut message is one rejection with its origin (dead-lettered); the real event delivered
    expect(summary.exporters[0].stats.delivered).toBe(1);
    expect(summary.rejected).toBe(16);
  });
});

describe('forward mTLS', () => {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forward-mtls-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=ca',
    );
    for (const [name, ext] of [
      ['server', 'subjectAltName=IP:127.0.0.1\n'],
      ['client', 'extendedKeyUsage=clientAuth\n'],
    ]) {
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
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.pem`,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
      );
    }
  });
  const f = (n: string) => fs.readFileSync(path.join(dir, n));

  it('client_auth required: a client without a certificate is refused at the handshake (counted); with one its message is acked', async () => {
    const fw = await start({
      tls: {
        cert_file: path.join(dir, 'server.pem'),
        key_file: path.join(dir, 'server.key'),
        client_ca_file: path.join(dir, 'ca.pem'),
        client_auth: 'required',
      },
    });
    const connect = (withCert: boolean) => () =>
      tls.connect({
        port: fw.port,
        host: '127.0.0.1',
        ca: f('ca.pem'),
        ...(withCert ? { cert: f('client.pem'), key: f('client.key') } : {}),
      });
    expect(await sendAndAck(connect(true), 'c1')).toBe('c1');
    await expect(sendAndAck(connect(false), 'c2')).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 100));
    expect(fw.stats().connections.refusedBy).toEqual({ tls_handshake: 1 });
    expect(fw.stats().acks).toBe(1);
  });

  it('over TLS, a connection over the per-client cap is counted once (per_client, not also as a TLS failure)', async () => {
    const fw = await start({
      max_connections_per_client: 1,
      tls: { cert_file: path.join(dir, 'server.pem'), key_file: path.join(dir, 'server.key') },
    });
    const held = net.connect(fw.port, '127.0.0.1');
    held.on('error', () => {});
    cleanups.push(() => {
      held.destroy();
    });
    await new Promise<void>((r) => held.once('connect', () => r()));
    const second = net.connect(fw.port, '127.0.0.1');
    second.on('error', () => {});
    await new Promise<void>((r) => second.once('close', () => r()));
    await new Promise((r) => setTimeout(r, 100));
    expect(fw.stats().connections.refusedBy).toEqual({ per_client: 1 });
  });
});
