// The Forward protocol pieces without sockets: the framer (exact message boundaries and limits on
// hand-built byte streams), the carrier modes (hand-built with @msgpack/msgpack encode), record →
// input record, and the handshake digests (checked against the formula of the v1 spec).

import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { tagMatcher } from '../../../src/sources/forward/config.ts';
import { FrameError, MsgpackFramer } from '../../../src/sources/forward/framer.ts';
import { createHandshake } from '../../../src/sources/forward/handshake.ts';
import {
  decodeFrame,
  EventTimeValue,
  extensionCodec,
  parseMessage,
  ProtocolError,
} from '../../../src/sources/forward/protocol.ts';
import { toInputRecord } from '../../../src/sources/forward/records.ts';

const enc = (v: unknown) => Buffer.from(encode(v, { extensionCodec }));
const LIMITS = { maxBytes: 1 << 20 };
const parse = (v: unknown) => {
  const f = enc(v);
  return parseMessage(decodeFrame(f, LIMITS.maxBytes), f, LIMITS);
};
const rec = (i: number) => ({ event: JSON.stringify({ eventName: 'execve', n: i }) });

/** EventTime ext type 0, built by hand: fixext8 (0xd7), type 0, uint32 seconds, uint32 nanoseconds. */
function eventTimeBytes(s: number, ns: number): Buffer {
  const b = Buffer.alloc(10);
  b[0] = 0xd7;
  b[1] = 0x00;
  b.writeUInt32BE(s, 2);
  b.writeUInt32BE(ns, 6);
  return b;
}

describe('MsgpackFramer', () => {
  it('splits a stream into whole messages whatever the chunking, one byte at a time included', () => {
    const msgs = [
      ['a', 1, { x: 'y' }],
      ['b', [[1, { k: 'v'.repeat(300) }]]],
      null,
      ['c', new Uint8Array(70_000), { size: 1 }],
    ];
    const stream = Buffer.concat(msgs.map(enc));
    for (const step of [1, 7, 4096, stream.length]) {
      const f = new MsgpackFramer(1 << 20);
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += step) {
        f.push(stream.subarray(i, i + step));
        for (let m = f.next(); m; m = f.next()) out.push(m);
      }
      expect(out.map((b) => b.toString('hex'))).toEqual(msgs.map((m) => enc(m).toString('hex')));
      expect(f.pendingBytes).toBe(0);
    }
  });

  it('leaves a truncated message pending (the connection reports it at the end)', () => {
    const f = new MsgpackFramer(1 << 20);
    const m = enc(['tracee', 1, rec(1)]);
    f.push(m.subarray(0, m.length - 3));
    expect(f.next()).toBeUndefined();
    expect(f.pendingBytes).toBe(m.length - 3);
  });

  it('refuses a declared length over the limit at once, without buffering it', () => {
    const f = new MsgpackFramer(1024);
    // bin32 declaring 4 GiB, and an array32 declaring 2^32-1 elements
    f.push(Buffer.from([0x92, 0xa1, 0x74, 0xc6, 0xff, 0xff, 0xff, 0xff]));
    expect(() => f.next()).toThrow(FrameError);
    const g = new MsgpackFramer(1024);
    g.push(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]));
    expect(() => g.next()).toThrow(/larger than 1024 bytes/);
    const h = new MsgpackFramer(1024); // many small parts add up too
    h.push(enc(['t', Array.from({ length: 200 }, () => 'xxxxxx')]));
    expect(() => h.next()).toThrow(expect.objectContaining({ code: 'too_large' }));
  });

  it('a byte that is no msgpack type (0xc1) is malformed', () => {
    const f = new MsgpackFramer(1024);
    f.push(Buffer.from([0x93, 0xc1]));
    expect(() => f.next()).toThrow(expect.objectContaining({ code: 'malformed_msgpack' }));
  });
});

describe('carrier modes', () => {
  it('Message: [tag, time, record, option] with an integer time or an EventTime, chunk kept', () => {
    expect(parse(['tracee', 1700000000, rec(1)])).toEqual({
      tag: 'tracee',
      mode: 'message',
      entries: [{ time: 1700000000, record: rec(1) }],
    });
    // what IBM/fluent-forward-go sends without requireAck: option nil
    expect(parse(['tracee', 1700000000, rec(1), null]).chunk).toBeUndefined();
    const withExt = Buffer.concat([
      Buffer.from([0x94]),
      enc('tracee'),
      eventTimeBytes(1700000000, 123456789),
      enc(rec(2)),
      enc({ chunk: 'abc==' }),
    ]);
    const m = parseMessage(decodeFrame(withExt, 1 << 20), withExt, LIMITS);
    expect(m.mode).toBe('message');
    expect(m.chunk).toBe('abc==');
    expect(m.entries[0].time).toEqual(new EventTimeValue(1700000000, 123456789));
    expect(m.entries[0].record).toEqual(rec(2));
  });

  it('Forward: [tag, [[time, record], …], option]', () => {
    const m = parse([
      'tracee',
      [
        [1, rec(1)],
        [new EventTimeValue(2, 5), rec(2)],
      ],
      { size: 2, chunk: 'c1' },
    ]);
    expect(m).toEqual({
      tag: 'tracee',
      mode: 'forward',
      entries: [
        { time: 1, record: rec(1) },
        { time: new EventTimeValue(2, 5), record: rec(2) },
      ],
      chunk: 'c1',
    });
  });

  it('PackedForward: bin of concatenated entries (and str, as v0 clients send it)', () => {
    const packed = Buffer.concat([enc([1, rec(1)]), enc([new EventTimeValue(2, 0), rec(2)]), enc([3, rec(3)])]);
    const m = parse(['tracee', packed, { size: 3 }]);
    expect(m.mode).toBe('packed_forward');
    expect(m.entries.map((e) => e.record)).toEqual([rec(1), rec(2), rec(3)]);
    // as str: 0xdb + length + the same bytes (which are not valid UTF-8)
    const asStr = Buffer.concat([Buffer.from([0x92]), enc('tracee'), Buffer.from([0xdb, 0, 0, 0, 0]), packed]);
    asStr.writeUInt32BE(packed.length, 1 + enc('tracee').length + 1);
    expect(parseMessage(decodeFrame(asStr, 1 << 20), asStr, LIMITS).entries.map((e) => e.record)).toEqual([
      rec(1),
      rec(2),
      rec(3),
    ]);
  });

  it('CompressedPackedForward: gzip (several members concatenated too), bounded once decompressed', () => {
    const a = Buffer.concat([enc([1, rec(1)]), enc([2, rec(2)])]);
    const b = enc([3, rec(3)]);
    const m = parse([
      'tracee',
      Buffer.concat([zlib.gzipSync(a), zlib.gzipSync(b)]),
      { compressed: 'gzip', size: 3, chunk: 'z' },
    ]);
    expect(m).toMatchObject({ mode: 'compressed_packed_forward', chunk: 'z' });
    expect(m.entries.map((e) => e.record)).toEqual([rec(1), rec(2), rec(3)]);
    // a zip bomb: 64 KiB of compressed zeros → far over the decompressed limit
    const bomb = zlib.gzipSync(Buffer.alloc(4 << 20));
    expect(() =>
      parseMessage(
        decodeFrame(enc(['t', bomb, { compressed: 'gzip' }]), 1 << 20),
        enc(['t', bomb, { compressed: 'gzip' }]),
        LIMITS,
      ),
    ).toThrow(expect.objectContaining({ code: 'too_large' }));
    expect(() => parse(['t', Buffer.from('not gzip'), { compressed: 'gzip' }])).toThrow(/not valid gzip/);
    expect(() => parse(['t', a, { compressed: 'zstd' }])).toThrow(/unsupported option.compressed/);
  });

  it('wrong types are protocol errors with a reason', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ tag: 'x' }, /expected a message array/],
      ['tracee', /expected a message array/],
      [['tracee'], /2 to 4 elements/],
      [[42, 1, rec(1)], /tag must be a string/],
      [['t', true, rec(1)], /second element must be/],
      [['t', 1, 'not a map'], /record must be a map/],
      [['t', 1, rec(1), 'opt'], /option must be a map/],
      [['t', 1, rec(1), { chunk: 5 }], /option.chunk must be a string/],
      [['t', [[1, rec(1)], [1]]], /entry 2: expected an entry/],
      [['t', [['now', rec(1)]]], /time must be an integer or an EventTime/],
      [['t', Buffer.from([0x92, 0x01])], /invalid msgpack after 0 entries/],
    ];
    for (const [v, re] of bad) expect(() => parse(v), JSON.stringify(v)).toThrow(re);
    // EventTime of the wrong size
    const badExt = Buffer.concat([Buffer.from([0x93]), enc('t'), Buffer.from([0xd6, 0x00, 1, 2, 3, 4]), enc(rec(1))]);
    expect(() => decodeFrame(badExt, 1 << 20)).toThrow(ProtocolError);
  });
});

describe('records', () => {
  const origin = { source: 'forward', line: 1 };
  it('{event: "<json>"} → text; event as a map → value (64-bit integers as numbers or bigint); bin → text', () => {
    expect(toInputRecord({ event: '{"a":1}' }, origin)).toEqual({ kind: 'text', text: '{"a":1}', origin });
    expect(toInputRecord({ event: new TextEncoder().encode('{"a":2}') }, origin)).toEqual({
      kind: 'text',
      text: '{"a":2}',
      origin,
    });
    expect(toInputRecord({ event: { eventName: 'x', ts: 5n, big: 2n ** 63n - 1n } }, origin)).toEqual({
      kind: 'value',
      value: { eventName: 'x', ts: 5, big: 2n ** 63n - 1n },
      marked: false,
      origin,
    });
  });

  it('no event key, or an event of another type → wrong_type with the record kept', () => {
    expect(toInputRecord({ log: 'x' }, origin)).toMatchObject({
      kind: 'error',
      code: 'wrong_type',
      reason: expect.stringMatching(/no "event" key .*keys: log/),
      text: '{"log":"x"}',
    });
    expect(toInputRecord({ event: 12 }, origin)).toMatchObject({
      kind: 'error',
      code: 'wrong_type',
      reason: expect.stringMatching(/got number/),
    });
    expect(toInputRecord({ event: [1] }, origin)).toMatchObject({
      kind: 'error',
      code: 'wrong_type',
      reason: expect.stringMatching(/got an array/),
    });
    expect(toInputRecord({ event: new Uint8Array([0xff, 0xfe]) }, origin)).toMatchObject({
      kind: 'error',
      code: 'invalid_utf8',
    });
  });

  it('tag patterns: exact, * one part, ** any parts', () => {
    expect(tagMatcher('tracee')('tracee')).toBe(true);
    expect(tagMatcher('tracee')('tracee.x')).toBe(false);
    expect(tagMatcher('tracee.*')('tracee.node1')).toBe(true);
    expect(tagMatcher('tracee.*')('tracee.a.b')).toBe(false);
    expect(tagMatcher('tracee.**')('tracee')).toBe(true);
    expect(tagMatcher('tracee.**')('tracee.a.b')).toBe(true);
    expect(tagMatcher('tracee.**')('traceex')).toBe(false);
    expect(tagMatcher(undefined)('anything')).toBe(true);
  });
});

describe('handshake', () => {
  const hex = (...parts: Array<string | Uint8Array>) => {
    const h = createHash('sha512');
    for (const p of parts) h.update(p);
    return h.digest('hex');
  };

  it('HELO → PING with sha512(salt + hostname + nonce + key) → PONG with the server digest', () => {
    const hs = createHandshake({ sharedKey: 'k3y', users: [], selfHostname: 'receiver' });
    const { message, state } = hs.helo();
    expect(message).toEqual(['HELO', { nonce: state.nonce, auth: '', keepalive: true }]);
    const ping = ['PING', 'node-1', 'salt', hex('salt', 'node-1', state.nonce, 'k3y'), '', ''];
    expect(hs.checkPing(ping, state)).toEqual({
      ok: true,
      client: 'node-1',
      username: '',
      pong: ['PONG', true, '', 'receiver', hex('salt', 'receiver', state.nonce, 'k3y')],
    });
    // the digest as bin, as IBM/fluent-forward-go sends it
    expect(
      hs.checkPing(
        ['PING', 'node-1', Buffer.from('salt'), Buffer.from(hex('salt', 'node-1', state.nonce, 'k3y')), '', ''],
        state,
      ).ok,
    ).toBe(true);
    expect(
      hs.checkPing(['PING', 'node-1', 'salt', hex('salt', 'node-1', state.nonce, 'wrong'), '', ''], state),
    ).toMatchObject({ ok: false, reason: 'shared_key mismatch', pong: ['PONG', false, 'shared_key mismatch', '', ''] });
    expect(hs.checkPing(['tracee', 1, {}], state)).toMatchObject({ ok: false, reason: /expected PING/ });
    expect(
      hs.checkPing(['PING', 'receiver', 'salt', hex('salt', 'receiver', state.nonce, 'k3y'), '', ''], state),
    ).toMatchObject({ ok: false, reason: /same hostname/ });
  });

  it('users: PING carries username and sha512(auth salt + username + password)', () => {
    const hs = createHandshake({ sharedKey: 'k', users: [{ username: 'tracee', password: 'pw' }], selfHostname: 'r' });
    const { message, state } = hs.helo();
    expect((message[1] as { auth: unknown }).auth).toEqual(state.authSalt);
    const ping = (user: string, pass: string) => [
      'PING',
      'c',
      's',
      hex('s', 'c', state.nonce, 'k'),
      user,
      hex(state.authSalt!, user, pass),
    ];
    expect(hs.checkPing(ping('tracee', 'pw'), state)).toMatchObject({ ok: true, username: 'tracee' });
    expect(hs.checkPing(ping('tracee', 'nope'), state)).toMatchObject({
      ok: false,
      reason: 'username/password mismatch',
    });
    expect(hs.checkPing(ping('other', 'pw'), state)).toMatchObject({ ok: false, reason: 'username/password mismatch' });
  });
});
