// The forward source over real sockets on 127.0.0.1: the official Fluent Node client
// (@fluent-org/logger) sending the real Tracee samples as Tracee does ({event: "<JSON>"}), with and
// without acks, in every carrier mode; hand-built frames; hostile bytes; the handshake; limits.
// `ingest` here is a recording one that decodes and maps like the pipeline (and can be held, to
// stand for full exporter queues).

import { createHash } from 'node:crypto';
import { getEventListeners } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { decodeMulti, encode } from '@msgpack/msgpack';
import { FluentClient } from '@fluent-org/logger';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeText, decodeValue } from '../../../src/normalize/decode.ts';
import {
  createForwardSource,
  type ForwardSource,
  type ForwardSourceConfig,
} from '../../../src/sources/forward/index.ts';
import { MAX_KEPT_UNFINISHED_BYTES } from '../../../src/sources/forward/connection.ts';
import { EventTimeValue, extensionCodec } from '../../../src/sources/forward/protocol.ts';
import type { InputRecord } from '../../../src/sources/read-records.ts';
import type { Ingest, IngestResult, RecordStream } from '../../../src/sources/types.ts';
import { parseLossless, reviveBigDeep } from '../../../src/util/lossless-json.ts';
import { ROOT, sharedSamples, testMapper } from '../../helpers/samples.ts';

const mapper = testMapper();
const SAMPLES: string[] = sharedSamples(15).flatMap((s) => s.records);
const TLS_DIR = path.join(ROOT, 'test/fixtures/tls');
const enc = (v: unknown) => Buffer.from(encode(v, { extensionCodec, useBigInt64: true }));

/** The ECS document (or the rejection) the pipeline makes of one input record. */
function ecsOf(r: InputRecord): unknown {
  if (r.kind === 'error') return { rejected: r.code };
  const d = r.kind === 'text' ? decodeText(r.text) : decodeValue(r.value, r.marked);
  return d.ok ? mapper.toEcsJson(d.event).doc : { rejected: d.code };
}

interface Recorder {
  ingest: Ingest;
  records: InputRecord[];
  calls: number;
  /** While held, every record waits (like a push into a full queue) until release() or the abort. */
  hold(): void;
  release(): void;
}

function recorder(): Recorder {
  let gate: { promise: Promise<void>; open(): void } | undefined;
  const r: Recorder = {
    records: [],
    calls: 0,
    hold() {
      let open!: () => void;
      gate = {
        promise: new Promise<void>((res) => {
          open = res;
        }),
        open,
      };
    },
    release() {
      gate?.open();
      gate = undefined;
    },
    async ingest(records, opts = {}) {
      r.calls++;
      const res: IngestResult = {
        accepted: 0,
        rejected: [],
        rejectedCount: 0,
        waiting: 0,
        refused: 0,
        interrupted: false,
      };
      for await (const rec of oneByOne(records)) {
        if (opts.signal?.aborted) {
          res.interrupted = true;
          res.refused++;
          continue;
        }
        if (rec.kind === 'error') {
          res.rejected.push({ origin: rec.origin, reason: rec.reason });
          r.records.push(rec);
          continue;
        }
        if (gate !== undefined) {
          const aborted = new Promise<'aborted'>((res2) =>
            opts.signal?.addEventListener('abort', () => res2('aborted'), { once: true }),
          );
          if ((await Promise.race([gate.promise, aborted])) === 'aborted') {
            res.waiting++;
            res.interrupted = true;
            continue;
          }
        }
        r.records.push(rec);
        const d = rec.kind === 'text' ? decodeText(rec.text) : decodeValue(rec.value, rec.marked);
        if (d.ok) res.accepted++;
        else res.rejected.push({ origin: rec.origin, reason: d.reason });
      }
      return res;
    },
  };
  return r;
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(cfg: Partial<ForwardSourceConfig> = {}, rec = recorder()) {
  const logs: string[] = [];
  const src: ForwardSource = createForwardSource(
    { type: 'forward', listen: '127.0.0.1:0', ...cfg },
    { ingest: rec.ingest, log: (l) => logs.push(l) },
  );
  const address = await src.listen();
  cleanups.push(() => src.close());
  return { src, rec, logs, address, port: Number(new URL(address).port) };
}

async function client(port: number, opts: ConstructorParameters<typeof FluentClient>[1] = {}): Promise<FluentClient> {
  const c = new FluentClient('tracee', {
    eventMode: 'Message',
    ...opts,
    socket: { host: '127.0.0.1', port, disableReconnect: true, ...opts.socket },
  });
  cleanups.push(() => c.disconnect().catch(() => undefined));
  await c.connect(); // no auto-connect when reconnecting is disabled
  return c;
}

async function until(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A raw TCP connection: everything the server answers, and when it closed. */
function raw(port: number) {
  const s = net.connect(port, '127.0.0.1');
  const got: Buffer[] = [];
  s.on('data', (d) => got.push(d));
  s.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
  cleanups.push(async () => {
    s.destroy();
  });
  return {
    socket: s,
    closed,
    ready: new Promise<void>((resolve) => s.once('connect', () => resolve())),
    answers: () => [...decodeMulti(Buffer.concat(got), { extensionCodec })],
  };
}

describe('forward source: the Fluent Node client sending Tracee events', () => {
  it(`${SAMPLES.length} real samples as {event: JSON string} in Message mode map to the same ECS documents as from JSON`, async () => {
    const f = await start();
    expect(f.address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const c = await client(f.port);
    for (const s of SAMPLES) await c.emit({ event: s });
    await until(() => f.rec.records.length === SAMPLES.length, 'every event');
    const got = f.rec.records;
    expect(got.map((r) => (r.kind === 'text' ? r.text : undefined))).toEqual(SAMPLES);
    for (let i = 0; i < SAMPLES.length; i++) {
      expect(got[i].origin).toEqual({
        source: 'forward',
        line: i + 1,
        detail: expect.stringMatching(/^127\.0\.0\.1:\d+ #1 tag tracee$/),
      });
      expect(ecsOf(got[i])).toEqual(ecsOf({ kind: 'text', text: SAMPLES[i], origin: { source: 'json' } }));
    }
    expect(got.filter((r) => ecsOf(r) && !(ecsOf(r) as { rejected?: string }).rejected).length).toBeGreaterThan(
      SAMPLES.length - 3,
    );
    expect(f.src.stats()).toMatchObject({
      messages: { message: SAMPLES.length },
      acks: 0,
      events: { accepted: SAMPLES.length },
    });
  });

  for (const eventMode of ['Message', 'Forward', 'PackedForward', 'CompressedPackedForward'] as const) {
    it(`${eventMode} with acks: each emit resolves once the server acked, after its events were taken`, async () => {
      const f = await start();
      const c = await client(f.port, { eventMode, ack: { ackTimeout: 10_000 } });
      const batch = SAMPLES.slice(0, 6);
      await Promise.all(batch.map((s) => c.emit({ event: s })));
      expect(f.rec.records.map((r) => (r.kind === 'text' ? r.text : ''))).toEqual(batch);
      const st = f.src.stats();
      const mode = {
        Message: 'message',
        Forward: 'forward',
        PackedForward: 'packed_forward',
        CompressedPackedForward: 'compressed_packed_forward',
      }[eventMode];
      expect(Object.keys(st.messages)).toEqual([mode]);
      expect(st.acks).toBe(Object.values(st.messages).reduce((a, b) => a + b!, 0));
      expect(st.events).toMatchObject({ accepted: batch.length, rejected: 0 });
    });
  }

  it('the client with milliseconds: true sends EventTime (ext type 0) times: accepted alike', async () => {
    const f = await start();
    const c = await client(f.port, { eventMode: 'Forward', milliseconds: true, ack: { ackTimeout: 10_000 } });
    await Promise.all(SAMPLES.slice(0, 3).map((s) => c.emit({ event: s })));
    expect(f.rec.records.map((r) => (r.kind === 'text' ? r.text : ''))).toEqual(SAMPLES.slice(0, 3));
  });

  it('full queues: no ack and no further reading until the events are taken (backpressure)', async () => {
    const f = await start();
    f.rec.hold();
    const c = await client(f.port, { ack: { ackTimeout: 20_000 } });
    let acked = 0;
    const sends = SAMPLES.slice(0, 5).map((s) =>
      c.emit({ event: s }).then(() => {
        acked++;
      }),
    );
    await until(() => f.rec.calls === 1, 'the first message in ingest');
    await new Promise((r) => setTimeout(r, 300));
    expect(acked).toBe(0);
    expect(f.rec.calls).toBe(1); // the next messages stay unread while the first one waits
    expect(f.src.stats().acks).toBe(0);
    f.rec.release();
    await Promise.all(sends);
    expect(acked).toBe(5);
    expect(f.src.stats()).toMatchObject({ acks: 5, events: { accepted: 5 } });
  });

  it('one long-lived connection, one event per message (as Tracee sends): no abort listener piles up', async () => {
    // ingest listens to the abort of the signal it is given (once per call): a signal shared by
    // every message of a connection would collect one listener per event for the connection's life
    const signals = new Set<AbortSignal>();
    const inner = recorder();
    const rec: Recorder = {
      ...inner,
      async ingest(records, opts) {
        if (opts?.signal) {
          signals.add(opts.signal);
          opts.signal.addEventListener('abort', () => undefined, { once: true });
        }
        return inner.ingest(records, opts);
      },
    };
    const f = await start({}, rec);
    const c = await client(f.port, { ack: { ackTimeout: 10_000 } });
    for (let i = 0; i < 40; i++) await c.emit({ event: SAMPLES[i % SAMPLES.length] });
    expect(inner.records).toHaveLength(40);
    expect(Math.max(...[...signals].map((s) => getEventListeners(s, 'abort').length))).toBe(1);
  });

  it('shutdown while a message waits: it is refused, not acked; the connection ends', async () => {
    const f = await start();
    f.rec.hold();
    const r = raw(f.port);
    await r.ready;
    r.socket.write(enc(['tracee', 1, { event: SAMPLES[0] }, { chunk: 'c-1' }]));
    await until(() => f.rec.calls === 1, 'the message in ingest');
    await f.src.close();
    await r.closed;
    await until(() => f.src.stats().connections.active === 0, 'the close to be counted');
    expect(r.answers()).toEqual([]);
    expect(f.src.stats()).toMatchObject({
      acks: 0,
      events: { accepted: 0, waiting: 1 },
      connections: { closed: { shutdown: 1 } },
    });
  });

  it('TLS with tls.cert_file / key_file', async () => {
    const f = await start({
      tls: { cert_file: path.join(TLS_DIR, 'server.pem'), key_file: path.join(TLS_DIR, 'server.key') },
    });
    expect(f.address).toMatch(/^tls:\/\//);
    const c = await client(f.port, {
      ack: { ackTimeout: 10_000 },
      socket: { tls: { ca: fs.readFileSync(path.join(TLS_DIR, 'ca.pem')), servername: 'localhost' } },
    });
    await c.emit({ event: SAMPLES[0] });
    expect(f.rec.records).toHaveLength(1);
  });
});

describe('forward source: hand-built frames', () => {
  it('Forward, PackedForward (bin), CompressedPackedForward, EventTime ext; acks for each chunk', async () => {
    const f = await start();
    const r = raw(f.port);
    const ev = (i: number) => ({ event: SAMPLES[i] });
    const t = new EventTimeValue(1_700_000_000, 5);
    r.socket.write(
      Buffer.concat([
        enc(['tracee', t, ev(0), { chunk: 'm' }]),
        enc([
          'tracee',
          [
            [1, ev(1)],
            [t, ev(2)],
          ],
          { chunk: 'f', size: 2 },
        ]),
        enc(['tracee', Buffer.concat([enc([t, ev(3)]), enc([2, ev(4)])]), { chunk: 'p' }]),
        enc([
          'tracee',
          zlib.gzipSync(Buffer.concat([enc([t, ev(5)]), enc([t, ev(6)])])),
          { chunk: 'z', compressed: 'gzip' },
        ]),
        enc(null), // heartbeat-like nil: ignored
      ]),
    );
    await until(() => r.answers().length === 4, 'four acks');
    expect(r.answers()).toEqual([{ ack: 'm' }, { ack: 'f' }, { ack: 'p' }, { ack: 'z' }]);
    expect(f.rec.records.map((x) => (x.kind === 'text' ? x.text : ''))).toEqual(SAMPLES.slice(0, 7));
    expect(f.rec.records.map((x) => x.origin.line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(f.src.stats().messages).toEqual({
      message: 1,
      forward: 1,
      packed_forward: 1,
      compressed_packed_forward: 1,
      heartbeat: 1,
    });
  });

  it('an event sent as a map (already parsed JSON) maps like the JSON text', async () => {
    const f = await start();
    // 64-bit values (timestamps in ns) travel as msgpack int64, as a forwarder that parsed the JSON sends them
    const plain = SAMPLES.slice(0, 10);
    const asMap = (s: string) => {
      const p = parseLossless(s);
      return p.marked ? reviveBigDeep(p.value) : p.value;
    };
    const r = raw(f.port);
    r.socket.write(enc(['tracee', plain.map((s, i) => [i, { event: asMap(s) }]), { chunk: 'v' }]));
    await until(() => r.answers().length === 1, 'the ack');
    expect(f.rec.records.every((x) => x.kind === 'value')).toBe(true);
    for (let i = 0; i < plain.length; i++) {
      expect(ecsOf(f.rec.records[i])).toEqual(ecsOf({ kind: 'text', text: plain[i], origin: { source: 'json' } }));
    }
  });

  it('records without a string event, and tags other than the configured one, are rejected with their origin (and acked)', async () => {
    const f = await start({ tag: 'tracee.**' });
    const r = raw(f.port);
    r.socket.write(
      Buffer.concat([
        enc([
          'tracee.node1',
          [
            [1, { log: 'x' }],
            [1, { event: 42 }],
            [1, { event: SAMPLES[0] }],
          ],
          { chunk: 'a' },
        ]),
        enc(['other', 1, { event: SAMPLES[1] }, { chunk: 'b' }]),
      ]),
    );
    await until(() => r.answers().length === 2, 'two acks');
    const errs = f.rec.records.filter((x) => x.kind === 'error');
    expect(errs).toEqual([
      expect.objectContaining({
        code: 'wrong_type',
        reason: expect.stringMatching(/no "event" key/),
        origin: expect.objectContaining({ line: 1, detail: expect.stringMatching(/tag tracee\.node1$/) }),
      }),
      expect.objectContaining({
        code: 'wrong_type',
        reason: expect.stringMatching(/got number/),
        origin: expect.objectContaining({ line: 2 }),
      }),
      expect.objectContaining({
        code: 'tag_mismatch',
        origin: expect.objectContaining({ line: 4, detail: expect.stringMatching(/tag other$/) }),
      }),
    ]);
    expect(f.src.stats().events).toMatchObject({ accepted: 1, rejected: 3 });
  });
});

describe('forward source: hostile input', () => {
  /** Deterministic "random" bytes. */
  function noise(n: number, seed: string): Buffer {
    const out: Buffer[] = [];
    for (let i = 0; out.length * 32 < n; i++) out.push(createHash('sha256').update(`${seed}${i}`).digest());
    return Buffer.concat(out).subarray(0, n);
  }

  it('garbage, truncated frames, huge declared lengths, wrong types: that connection closes, a rejection is counted, others go on', async () => {
    const f = await start({ max_message_bytes: 64 * 1024 });
    const good = await client(f.port, { ack: { ackTimeout: 10_000 } });
    await good.emit({ event: SAMPLES[0] });
    const msg = enc(['tracee', 1, { event: SAMPLES[1] }]);
    const attacks: Array<[string, Buffer, boolean]> = [
      ['noise-a', noise(4096, 'a'), true],
      ['noise-b', noise(100_000, 'b'), true],
      ['truncated', msg.subarray(0, msg.length - 10), true],
      [
        'huge bin32',
        Buffer.concat([Buffer.from([0x93]), enc('tracee'), Buffer.from([0xc6, 0xff, 0xff, 0xff, 0xf0])]),
        false,
      ],
      ['huge map32', Buffer.from([0xdf, 0x7f, 0xff, 0xff, 0xff]), false],
      ['wrong types', enc([42, 'x', true]), false],
      ['not an array', enc({ hello: 'world' }), false],
      ['0xc1', Buffer.from([0x93, 0xc1, 0x00]), false],
    ];
    for (const [name, bytes, clientEnds] of attacks) {
      const before = f.rec.records.length;
      const r = raw(f.port);
      await r.ready;
      r.socket.write(bytes);
      if (clientEnds) r.socket.end();
      await r.closed;
      const rejected = f.rec.records.slice(before);
      expect(rejected, name).toHaveLength(1);
      expect(rejected[0], name).toMatchObject({
        kind: 'error',
        origin: { source: 'forward', detail: expect.stringMatching(/^127\.0\.0\.1:\d+ #\d+, message after entry 0$/) },
      });
      expect((rejected[0] as { reason: string }).reason, name).toMatch(/connection closed/);
    }
    await until(() => f.src.stats().connections.active === 1, 'the closes to be counted');
    const closed = f.src.stats().connections.closed;
    expect((closed.protocol_error ?? 0) + (closed.too_large ?? 0) + (closed.truncated ?? 0)).toBe(attacks.length);
    expect(closed.truncated).toBeGreaterThanOrEqual(1);
    expect(closed.too_large).toBeGreaterThanOrEqual(2);
    await good.emit({ event: SAMPLES[2] }); // the well-behaved connection was never touched
    expect(f.rec.records.filter((x) => x.kind === 'text').map((x) => (x as { text: string }).text)).toEqual([
      SAMPLES[0],
      SAMPLES[2],
    ]);
    expect(
      f.logs.some((l) => /^forward: 127\.0\.0\.1:\d+ #\d+: closing: message larger than 65536 bytes/.test(l)),
    ).toBe(true);
  });

  it('an event map nested too deeply is one too_deep rejection with its origin; the connection goes on (acked)', async () => {
    const f = await start();
    // {event: {a: {a: … 1}}}, 200k levels (600 KB): msgpack decodes it without recursion, converting it must not overflow the stack
    const depth = 200_000;
    const nested = Buffer.concat([
      Buffer.from([0x81, 0xa5]),
      Buffer.from('event'),
      Buffer.alloc(depth * 3, Buffer.from([0x81, 0xa1, 0x61])),
      Buffer.from([0x01]),
    ]);
    const r = raw(f.port);
    r.socket.write(
      Buffer.concat([
        Buffer.from([0x94]),
        enc('tracee'),
        enc(1),
        nested,
        enc({ chunk: 'deep' }),
        enc(['tracee', 1, { event: SAMPLES[0] }, { chunk: 'next' }]),
      ]),
    );
    await until(() => r.answers().length === 2, 'two acks');
    expect(r.answers()).toEqual([{ ack: 'deep' }, { ack: 'next' }]);
    expect(f.rec.records[0]).toMatchObject({
      kind: 'error',
      code: 'too_deep',
      origin: { source: 'forward', line: 1, detail: expect.stringMatching(/tag tracee$/) },
    });
    expect(f.rec.records[1]).toMatchObject({ kind: 'text', text: SAMPLES[0] });
    expect(f.src.stats().events).toMatchObject({ accepted: 1, rejected: 1 });
    expect(f.src.stats().connections.closed).toEqual({});
  });

  it('max_connections: extra connections are closed at once and counted', async () => {
    const f = await start({ max_connections: 1 });
    const a = raw(f.port);
    await a.ready;
    await until(() => f.src.stats().connections.active === 1, 'the first connection');
    const b = raw(f.port);
    await b.closed;
    expect(f.src.stats().connections).toMatchObject({ accepted: 1, refused: 1, active: 1 });
    a.socket.write(enc(['tracee', 1, { event: SAMPLES[0] }, { chunk: 'ok' }]));
    await until(() => a.answers().length === 1, 'the ack on the first connection');
  });

  it('idle_timeout_ms: a client trickling a message a byte at a time (slowloris) is closed too', async () => {
    const f = await start({ idle_timeout_ms: 300 });
    const r = raw(f.port);
    await r.ready;
    const msg = enc(['tracee', 1, { event: SAMPLES[0] }]);
    let i = 0;
    const drip = setInterval(() => {
      if (i < msg.length - 1 && !r.socket.destroyed) r.socket.write(msg.subarray(i, ++i));
    }, 50);
    cleanups.push(async () => clearInterval(drip));
    const t0 = Date.now();
    await Promise.race([r.closed, new Promise((res) => setTimeout(res, 3_000))]);
    clearInterval(drip);
    expect(Date.now() - t0).toBeLessThan(2_000);
    await until(() => f.src.stats().connections.closed.idle_timeout === 1, 'the close to be counted');
    expect(
      f.logs.some((l) => /closing: no whole message for 300 ms \(\d+ bytes of an unfinished message\)/.test(l)),
    ).toBe(true);
  });

  describe('a connection closed in the middle of a message: one rejection, its first bytes dead-lettered (base64)', () => {
    const unfinished = (f: Awaited<ReturnType<typeof start>>) =>
      f.rec.records.filter((x) => x.kind === 'error') as Array<Extract<InputRecord, { kind: 'error' }>>;

    it('idle timeout', async () => {
      const f = await start({ idle_timeout_ms: 200 });
      const r = raw(f.port);
      await r.ready;
      const part = enc(['tracee', 1, { event: SAMPLES[0] }]).subarray(0, 40);
      r.socket.write(part);
      await r.closed;
      await until(() => f.src.stats().connections.active === 0, 'the close to be counted');
      const rej = unfinished(f);
      expect(rej).toHaveLength(1);
      expect(rej[0]).toMatchObject({
        code: 'malformed_msgpack',
        text: part.toString('base64'),
        origin: {
          source: 'forward',
          line: 1,
          detail: expect.stringMatching(/^127\.0\.0\.1:\d+ #1, message after entry 0$/),
        },
      });
      expect(rej[0].reason).toBe(
        'idle timeout (no whole message for idle_timeout_ms): connection closed in the middle of a message (40 bytes received); they are in the dead letter (base64)',
      );
      expect(f.src.stats()).toMatchObject({ events: { rejected: 1 }, connections: { closed: { idle_timeout: 1 } } });
    });

    it('shutdown, after the whole messages before it were taken', async () => {
      const f = await start();
      const r = raw(f.port);
      await r.ready;
      const next = enc(['tracee', 1, { event: SAMPLES[1], padding: 'x'.repeat(10_000) }]);
      r.socket.write(Buffer.concat([enc(['tracee', 1, { event: SAMPLES[0] }]), next.subarray(0, next.length - 1)]));
      await until(() => f.rec.records.length === 1, 'the whole message');
      await new Promise((res) => setTimeout(res, 300)); // the rest of the write is read (10 KB on loopback)
      await f.src.close();
      const rej = unfinished(f);
      expect(rej).toHaveLength(1);
      expect(rej[0]).toMatchObject({
        code: 'malformed_msgpack',
        origin: { source: 'forward', line: 2, detail: expect.stringMatching(/#1, message after entry 1$/) },
      });
      expect(rej[0].reason).toMatch(
        new RegExp(`^shutdown: connection closed in the middle of a message \\(${next.length - 1} bytes received\\)`),
      );
      // the first MAX_KEPT_UNFINISHED_BYTES bytes, bounded
      expect(next.length - 1).toBeGreaterThan(MAX_KEPT_UNFINISHED_BYTES);
      expect(Buffer.from(rej[0].text!, 'base64')).toEqual(next.subarray(0, MAX_KEPT_UNFINISHED_BYTES));
      expect(rej[0].reason).toContain(`its first ${MAX_KEPT_UNFINISHED_BYTES} bytes are in the dead letter`);
      expect(f.src.stats()).toMatchObject({
        events: { accepted: 1, rejected: 1 },
        connections: { active: 0, closed: { shutdown: 1 } },
      });
    });

    it('the client resets the connection (socket error)', async () => {
      const f = await start();
      const r = raw(f.port);
      await r.ready;
      const part = Buffer.from([0x94, 0xa6, 0x74, 0x72, 0x61]);
      r.socket.write(part);
      await new Promise((res) => setTimeout(res, 200)); // read by the server before the reset
      r.socket.resetAndDestroy();
      await until(() => f.src.stats().connections.active === 0, 'the close to be counted');
      const rej = unfinished(f);
      expect(rej).toHaveLength(1);
      expect(rej[0]).toMatchObject({ code: 'malformed_msgpack', text: part.toString('base64') });
      expect(rej[0].reason).toMatch(/^socket error: connection closed in the middle of a message \(5 bytes received\)/);
      expect(f.src.stats().connections.closed).toEqual({ socket_error: 1 });
    });

    it('a connection closed between messages rejects nothing', async () => {
      const f = await start({ idle_timeout_ms: 150 });
      const r = raw(f.port);
      r.socket.write(enc(['tracee', 1, { event: SAMPLES[0] }]));
      await r.closed;
      await until(() => f.src.stats().connections.active === 0, 'the close to be counted');
      expect(unfinished(f)).toEqual([]);
      expect(f.src.stats().events).toMatchObject({ accepted: 1, rejected: 0 });
    });
  });

  it('idle_timeout_ms: a silent connection is closed', async () => {
    const f = await start({ idle_timeout_ms: 150 });
    const r = raw(f.port);
    await r.closed;
    await until(() => f.src.stats().connections.active === 0, 'the close to be counted');
    expect(f.src.stats().connections.closed).toEqual({ idle_timeout: 1 });
  });
});

describe('forward source: shared key handshake', () => {
  it('the Fluent Node client with shared key and user completes HELO/PING/PONG and sends', async () => {
    const f = await start({
      shared_key: 's3cret',
      users: [{ username: 'tracee', password: 'pw' }],
      self_hostname: 'receiver',
    });
    const c = await client(f.port, {
      security: { clientHostname: 'node-1', sharedKey: 's3cret', username: 'tracee', password: 'pw' },
      ack: { ackTimeout: 10_000 },
    });
    await c.emit({ event: SAMPLES[0] });
    expect(f.rec.records).toHaveLength(1);
    expect(f.src.stats().handshakes).toEqual({ ok: 1, failed: 0 });
  });

  it('a wrong key, a wrong password, or no handshake at all: PONG false and the connection is closed, nothing ingested', async () => {
    const f = await start({
      shared_key: 's3cret',
      users: [{ username: 'tracee', password: 'pw' }],
      self_hostname: 'receiver',
    });
    const hex = (...p: Array<string | Uint8Array>) => {
      const h = createHash('sha512');
      for (const x of p) h.update(x);
      return h.digest('hex');
    };
    const tryPing = async (make: (helo: { nonce: Uint8Array; auth: Uint8Array }) => unknown) => {
      const r = raw(f.port);
      await until(() => r.answers().length === 1, 'HELO');
      const helo = (r.answers()[0] as [string, { nonce: Uint8Array; auth: Uint8Array }])[1];
      r.socket.write(enc(make(helo)));
      await r.closed;
      return r.answers()[1];
    };
    expect(
      await tryPing((h) => [
        'PING',
        'node-1',
        'salt',
        hex('salt', 'node-1', h.nonce, 'wrong'),
        'tracee',
        hex(h.auth, 'tracee', 'pw'),
      ]),
    ).toEqual(['PONG', false, 'shared_key mismatch', '', '']);
    expect(
      await tryPing((h) => [
        'PING',
        'node-1',
        'salt',
        hex('salt', 'node-1', h.nonce, 's3cret'),
        'tracee',
        hex(h.auth, 'tracee', 'bad'),
      ]),
    ).toEqual(['PONG', false, 'username/password mismatch', '', '']);
    expect(await tryPing(() => ['tracee', 1, { event: SAMPLES[0] }])) // what Tracee does: no handshake
      .toEqual(['PONG', false, expect.stringMatching(/expected PING/), '', '']);
    expect(f.rec.records).toEqual([]);
    await until(() => f.src.stats().connections.active === 0, 'the closes to be counted');
    expect(f.src.stats()).toMatchObject({
      handshakes: { ok: 0, failed: 3 },
      connections: { closed: { auth_failed: 3 } },
    });
  });

  it('users without shared_key is a configuration error', () => {
    expect(() =>
      createForwardSource(
        { type: 'forward', users: [{ username: 'a', password: 'b' }] },
        { ingest: recorder().ingest, log: () => undefined },
      ),
    ).toThrow(/set shared_key too/);
  });
});

/** The records of an ingest call one by one (a pull source hands them in batches). */
async function* oneByOne(records: RecordStream): AsyncGenerator<InputRecord> {
  for await (const x of records) {
    if (Array.isArray(x)) yield* x as InputRecord[];
    else yield x as InputRecord;
  }
}
