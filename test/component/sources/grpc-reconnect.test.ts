// The gRPC source when the stream goes away: Tracee closing the stream (OK or an error status),
// Tracee stopping (the server disappears) and coming back. The source reconnects with backoff,
// the events of the next connection arrive, each disconnect is logged once with its status and
// the reconnection is logged; nothing throws.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { InputRecord } from '../../../src/sources/read-records.ts';
import { streamTraceeEvents } from '../../../src/sources/grpc/index.ts';
import { grpcSamples } from '../../helpers/tracee-grpc-samples.ts';
import {
  startTraceeGrpcServer,
  type StreamCall,
  type TraceeGrpcTestServer,
} from '../../helpers/tracee-grpc-test-server.ts';

const samples = grpcSamples(1);
const servers: TraceeGrpcTestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const nameOf = (r: InputRecord) => (r.kind === 'value' ? (r.value as { name: string }).name : `error ${r.kind}`);

/** Read records from the source until `until` says stop (or 10 s). */
async function read(
  address: string,
  logs: string[],
  until: (got: InputRecord[]) => boolean,
  onRecord?: (got: InputRecord[]) => Promise<void>,
  states?: string[],
): Promise<InputRecord[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 10_000);
  const got: InputRecord[] = [];
  const report =
    states === undefined ? {} : { onConnected: () => states.push('up'), onDisconnected: () => states.push('down') };
  try {
    for await (const r of streamTraceeEvents({
      address,
      signal: ac.signal,
      log: (m) => logs.push(m),
      reconnectInitialMs: 20,
      reconnectMaxMs: 80,
      ...report,
    })) {
      got.push(r);
      await onRecord?.(got);
      if (until(got)) break;
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return got;
}

describe('gRPC source: reconnect', () => {
  it("the server ends the stream (OK, then an error status): reconnects, the next connection's events arrive, each end logged once", async () => {
    const calls: StreamCall[] = [];
    const server = await startTraceeGrpcServer('127.0.0.1:0', async (call) => {
      calls.push(call);
      if (call.number === 1) {
        await call.send(samples[0].structured);
        await call.send(samples[1].structured);
        call.end();
      } else if (call.number === 2) {
        await call.send(samples[2].structured);
        call.fail(grpc.status.RESOURCE_EXHAUSTED, 'tracee buffer full');
      } else {
        await call.send(samples[3].structured);
        await call.send(samples[4].structured);
      }
    });
    servers.push(server);
    const logs: string[] = [];
    const got = await read(server.address, logs, (g) => g.length >= 5);
    expect(got.map(nameOf)).toEqual([0, 1, 2, 3, 4].map((i) => samples[i].structured.name));
    expect(got.map((r) => [r.origin.line, r.origin.detail])).toEqual([
      [1, 'connection 1, message 1'],
      [2, 'connection 1, message 2'],
      [3, 'connection 2, message 1'],
      [4, 'connection 3, message 1'],
      [5, 'connection 3, message 2'],
    ]);
    expect(server.requests).toHaveLength(3);
    const src = `grpc ${server.address}`;
    expect(logs.filter((l) => l.includes('stream ended'))).toEqual([
      `${src}: stream ended (OK) after 2 message(s); reconnecting. Events Tracee emits until the stream is back are lost (no resume)`,
      `${src}: stream ended (RESOURCE_EXHAUSTED: tracee buffer full) after 1 message(s); reconnecting. Events Tracee emits until the stream is back are lost (no resume)`,
    ]);
    expect(logs.filter((l) => l.includes('reconnected after'))).toHaveLength(2);
    expect(logs[0]).toBe(`${src}: connected, streaming events`);
  });

  it('the server goes away and comes back on the same socket: one disconnect line, retries quietly, reconnects, the new events arrive', async () => {
    const sock = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-rc-')), 'tracee.sock');
    const address = `unix://${sock}`;
    let first = await startTraceeGrpcServer(address, async (call) => {
      await call.send(samples[0].structured);
    });
    servers.push(first);
    const logs: string[] = [];
    let restarted = false;
    const got = await read(
      address,
      logs,
      (g) => g.length >= 3,
      async (g) => {
        if (g.length !== 1 || restarted) return;
        restarted = true;
        // Tracee stops; the socket stays missing for a while (several reconnect attempts), then Tracee is
        // back. Not awaited: the source keeps running (and retrying) meanwhile.
        await first.close();
        fs.rmSync(sock, { force: true });
        setTimeout(() => {
          void startTraceeGrpcServer(address, async (call) => {
            await call.send(samples[1].structured);
            await call.send(samples[2].structured);
          }).then((s) => {
            first = s;
            servers.push(s);
          });
        }, 400);
      },
    );
    expect(got.map(nameOf)).toEqual([0, 1, 2].map((i) => samples[i].structured.name));
    expect(got.map((r) => r.origin.detail)).toEqual([
      'connection 1, message 1',
      expect.stringMatching(/^connection \d+, message 1$/),
      expect.stringMatching(/^connection \d+, message 2$/),
    ]);
    const attempts = Number(/^connection (\d+)/.exec(got[1].origin.detail!)![1]);
    expect(attempts).toBeGreaterThan(2); // it did retry while the server was gone
    const ended = logs.filter((l) => l.includes('stream ended') || l.includes('cannot stream'));
    expect(ended).toHaveLength(1); // one line per disconnect, not one per attempt
    expect(ended[0]).toMatch(/stream ended \((UNAVAILABLE|CANCELLED|INTERNAL)[^)]*\) after 1 message\(s\)/);
    expect(logs.filter((l) => l.includes('reconnected after'))).toEqual([
      expect.stringMatching(
        /reconnected after \d+\.\d s and \d+ failed attempt\(s\); events Tracee emitted meanwhile are lost/,
      ),
    ]);
  });

  it('no server at start: one "cannot stream" line, then the events once it listens', async () => {
    const sock = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-rc-')), 'tracee.sock');
    const address = `unix://${sock}`;
    const logs: string[] = [];
    setTimeout(() => {
      void startTraceeGrpcServer(address, async (call) => {
        await call.send(samples[0].structured);
      }).then((s) => servers.push(s));
    }, 250);
    const got = await read(address, logs, (g) => g.length >= 1);
    expect(got.map(nameOf)).toEqual([samples[0].structured.name]);
    expect(logs.filter((l) => l.includes('cannot stream'))).toEqual([
      expect.stringMatching(
        /^grpc unix:\/\/\/.*tracee\.sock: cannot stream events \(UNAVAILABLE[^)]*\); retrying with backoff up to 80 ms$/,
      ),
    ]);
    expect(logs.join('\n')).not.toMatch(/Resolution note/); // grpc-js's empty trailer is cut
  });

  it('reports each established and each lost stream once (connected gauge, reconnect count), not each failed attempt', async () => {
    const sock = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-rc-')), 'tracee.sock');
    const address = `unix://${sock}`;
    const states: string[] = [];
    let first = await startTraceeGrpcServer(address, async (call) => {
      await call.send(samples[0].structured);
    });
    servers.push(first);
    let restarted = false;
    let statesWhileDown: string[] = [];
    const got = await read(
      address,
      [],
      (g) => g.length >= 2,
      async (g) => {
        if (g.length !== 1 || restarted) return;
        restarted = true;
        await first.close();
        fs.rmSync(sock, { force: true });
        setTimeout(() => {
          statesWhileDown = [...states]; // several failed attempts by now
          void startTraceeGrpcServer(address, async (call) => {
            await call.send(samples[1].structured);
          }).then((s) => {
            first = s;
            servers.push(s);
          });
        }, 400);
      },
      states,
    );
    expect(got).toHaveLength(2);
    expect(statesWhileDown).toEqual(['up', 'down']);
    expect(states).toEqual(['up', 'down', 'up', 'down']); // the last: the consumer stopped reading
  });

  it('a request Tracee refuses at once (an unknown policy) is a failed attempt: never "connected", one line, backoff', async () => {
    const server = await startTraceeGrpcServer('127.0.0.1:0', async (call) => {
      call.fail(grpc.status.UNKNOWN, 'policy nosuch not found');
    });
    servers.push(server);
    const logs: string[] = [];
    const states: string[] = [];
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1500);
    for await (const r of streamTraceeEvents({
      address: server.address,
      signal: ac.signal,
      log: (m) => logs.push(m),
      reconnectInitialMs: 20,
      reconnectMaxMs: 80,
      policies: ['nosuch'],
      onConnected: () => states.push('up'),
      onDisconnected: () => states.push('down'),
    })) {
      throw new Error(`unexpected record ${r.kind}`);
    }
    expect(server.requests.length).toBeGreaterThan(3); // it kept trying, with backoff
    expect(states).toEqual([]);
    expect(logs).toEqual([
      `grpc ${server.address}: cannot stream events (UNKNOWN: policy nosuch not found); retrying with backoff up to 80 ms`,
    ]);
  });

  it('no server at start: nothing reported until the first stream is up', async () => {
    const sock = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-rc-')), 'tracee.sock');
    const address = `unix://${sock}`;
    const states: string[] = [];
    let before: string[] = ['not read'];
    setTimeout(() => {
      before = [...states];
      void startTraceeGrpcServer(address, async (call) => {
        await call.send(samples[0].structured);
      }).then((s) => servers.push(s));
    }, 250);
    await read(address, [], (g) => g.length >= 1, undefined, states);
    expect(before).toEqual([]);
    expect(states).toEqual(['up', 'down']);
  });

  it('stops promptly when the signal aborts while the stream is idle', async () => {
    const server = await startTraceeGrpcServer('127.0.0.1:0', () => {
      /* Tracee with nothing to say */
    });
    servers.push(server);
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 100);
    const got: InputRecord[] = [];
    for await (const r of streamTraceeEvents({ address: server.address, signal: ac.signal })) got.push(r);
    expect(got).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
