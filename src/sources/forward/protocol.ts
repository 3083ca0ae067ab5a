// Fluent Forward protocol v1, the transport phase: one decoded msgpack message → its tag, its
// entries (time + record) and its options. The carrier mode is told by the second element:
//   Message                  [tag, time, record, option?]
//   Forward                  [tag, [[time, record], …], option?]
//   PackedForward            [tag, bin(entry entry …), option?]   (str accepted, as v0 clients send)
//   CompressedPackedForward  the same with option.compressed = "gzip" (gzip members, concatenated)
// time is an integer (seconds) or an EventTime (ext type 0: uint32 seconds, uint32 nanoseconds).
// Anything else is a protocol error: the caller closes the connection.

import zlib from 'node:zlib';
import { decode, decodeMulti, ExtensionCodec } from '@msgpack/msgpack';

export class ProtocolError extends Error {
  readonly code: 'malformed_msgpack' | 'too_large';
  constructor(message: string, code: 'malformed_msgpack' | 'too_large' = 'malformed_msgpack') {
    super(message);
    this.code = code;
    this.name = 'ProtocolError';
  }
}

export interface EventTime {
  seconds: number;
  nanoseconds: number;
}

export type Mode = 'message' | 'forward' | 'packed_forward' | 'compressed_packed_forward';

export interface Entry {
  time: number | bigint | EventTime;
  record: Record<string, unknown>;
}

export interface ForwardMessage {
  tag: string;
  mode: Mode;
  entries: Entry[];
  /** option.chunk: the client wants `{ack: chunk}` once the entries are safe. */
  chunk?: string;
}

const EVENT_TIME = 0;

export const extensionCodec = new ExtensionCodec();
extensionCodec.register({
  type: EVENT_TIME,
  encode: (v: unknown) => {
    if (!isEventTime(v)) return null;
    const b = Buffer.alloc(8);
    b.writeUInt32BE(v.seconds >>> 0, 0);
    b.writeUInt32BE(v.nanoseconds >>> 0, 4);
    return b;
  },
  decode: (data: Uint8Array) => {
    if (data.length !== 8) throw new ProtocolError(`EventTime (ext type 0) of ${data.length} bytes, expected 8`);
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return new EventTimeValue(v.getUint32(0), v.getUint32(4));
  },
});

/** An EventTime as decoded (a distinct class, so a record map with such keys is never taken for one). */
export class EventTimeValue implements EventTime {
  readonly seconds: number;
  readonly nanoseconds: number;
  constructor(seconds: number, nanoseconds: number) {
    this.seconds = seconds;
    this.nanoseconds = nanoseconds;
  }
}

export function isEventTime(v: unknown): v is EventTime {
  return v instanceof EventTimeValue;
}

export interface DecodeLimits {
  /** Largest decompressed entries of a CompressedPackedForward message. */
  maxBytes: number;
}

/** Bounds on what the msgpack decoder will build (the framer already bounds the bytes). */
function decoderOptions(maxBytes: number) {
  return {
    extensionCodec,
    useBigInt64: true,
    maxStrLength: maxBytes,
    maxBinLength: maxBytes,
    maxExtLength: maxBytes,
    maxArrayLength: maxBytes,
    maxMapLength: maxBytes,
  };
}

/** Decode one framed msgpack object (a message, or a handshake PING). Throws ProtocolError. */
export function decodeFrame(frame: Uint8Array, maxBytes: number): unknown {
  try {
    return decode(frame, decoderOptions(maxBytes));
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(`invalid msgpack: ${(err as Error).message}`);
  }
}

const describe = (v: unknown): string =>
  v === null
    ? 'nil'
    : Array.isArray(v)
      ? 'an array'
      : v instanceof Uint8Array
        ? 'bin'
        : typeof v === 'object'
          ? 'a map'
          : typeof v;

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !isEventTime(v);
}

function isTime(v: unknown): v is Entry['time'] {
  return (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'bigint' || isEventTime(v);
}

function entryOf(v: unknown, where: string): Entry {
  if (!Array.isArray(v) || v.length !== 2)
    throw new ProtocolError(
      `${where}: expected an entry [time, record], got ${describe(v)}${Array.isArray(v) ? ` of ${v.length}` : ''}`,
    );
  if (!isTime(v[0]))
    throw new ProtocolError(`${where}: time must be an integer or an EventTime, got ${describe(v[0])}`);
  if (!isMap(v[1])) throw new ProtocolError(`${where}: record must be a map, got ${describe(v[1])}`);
  return { time: v[0], record: v[1] };
}

/**
 * A decoded transport-phase message → tag, entries, chunk. `frame` is the raw message, re-read
 * only when PackedForward entries come as str (their bytes must not go through UTF-8).
 */
export function parseMessage(msg: unknown, frame: Uint8Array, limits: DecodeLimits): ForwardMessage {
  if (!Array.isArray(msg)) throw new ProtocolError(`expected a message array [tag, …], got ${describe(msg)}`);
  if (msg.length < 2 || msg.length > 4)
    throw new ProtocolError(`expected a message array of 2 to 4 elements, got ${msg.length}`);
  const [tag, second] = msg;
  if (typeof tag !== 'string') throw new ProtocolError(`tag must be a string, got ${describe(tag)}`);
  if (isTime(second)) {
    if (msg.length < 3) throw new ProtocolError('Message mode: no record');
    const e = entryOf([second, msg[2]], 'Message mode');
    return { tag, mode: 'message', entries: [e], ...options(msg[3]) };
  }
  if (msg.length > 3) throw new ProtocolError(`Forward modes take [tag, entries, option?], got ${msg.length} elements`);
  const opt = options(msg[2]);
  if (Array.isArray(second)) {
    return {
      tag,
      mode: 'forward',
      entries: second.map((e, i) => entryOf(e, `Forward mode entry ${i + 1}`)),
      chunk: opt.chunk,
    };
  }
  if (typeof second === 'string' || second instanceof Uint8Array) {
    let packed = second instanceof Uint8Array ? second : rawSecond(frame, limits.maxBytes);
    const compressed = opt.compressed;
    if (compressed !== undefined && compressed !== 'text' && compressed !== 'gzip')
      throw new ProtocolError(`unsupported option.compressed ${JSON.stringify(compressed)} (only gzip)`);
    if (compressed === 'gzip') {
      try {
        packed = zlib.gunzipSync(packed, { maxOutputLength: limits.maxBytes });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ERR_BUFFER_TOO_LARGE')
          throw new ProtocolError(
            `compressed entries larger than ${limits.maxBytes} bytes once decompressed`,
            'too_large',
          );
        throw new ProtocolError(`compressed entries are not valid gzip: ${e.message}`);
      }
    }
    const mode: Mode = compressed === 'gzip' ? 'compressed_packed_forward' : 'packed_forward';
    const entries: Entry[] = [];
    try {
      for (const e of decodeMulti(packed, decoderOptions(limits.maxBytes)))
        entries.push(
          entryOf(
            e,
            `${mode === 'packed_forward' ? 'PackedForward' : 'CompressedPackedForward'} entry ${entries.length + 1}`,
          ),
        );
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError(
        `packed entries: invalid msgpack after ${entries.length} entries: ${(err as Error).message}`,
      );
    }
    return { tag, mode, entries, chunk: opt.chunk };
  }
  throw new ProtocolError(
    `second element must be a time (Message), an array (Forward) or bin (PackedForward), got ${describe(second)}`,
  );
}

function options(v: unknown): { chunk?: string; compressed?: unknown } {
  if (v === undefined || v === null) return {};
  if (!isMap(v)) throw new ProtocolError(`option must be a map, got ${describe(v)}`);
  const chunk = v.chunk;
  if (chunk !== undefined && chunk !== null && typeof chunk !== 'string')
    throw new ProtocolError(`option.chunk must be a string, got ${describe(chunk)}`);
  return {
    ...(typeof chunk === 'string' && chunk !== '' ? { chunk } : {}),
    ...(v.compressed !== undefined ? { compressed: v.compressed } : {}),
  };
}

/** The second element of the message as raw bytes (PackedForward entries sent as str). */
function rawSecond(frame: Uint8Array, maxBytes: number): Uint8Array {
  const m = decode(frame, { ...decoderOptions(maxBytes), rawStrings: true }) as unknown[];
  return m[1] as Uint8Array;
}
