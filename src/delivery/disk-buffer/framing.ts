// One record on disk: [u32 LE payload length][u32 LE crc32 of the payload][payload]. The checksum
// finds bit rot and the length finds a torn tail (a write cut short by a crash): either way the
// record is reported, never decoded.

import { crc32 } from 'node:zlib';

export const FRAME_HEADER_BYTES = 8;
/** No record is this large (a webhook body is capped at a few MiB): a larger length is corruption. */
export const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

/** A frame for a payload of `payloadBytes` still to be written at FRAME_HEADER_BYTES; then sealFrame. */
export function allocFrame(payloadBytes: number): Buffer {
  return Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadBytes);
}

/** Writes the length and checksum of the payload already in `frame`. */
export function sealFrame(frame: Buffer): Buffer {
  const payload = frame.subarray(FRAME_HEADER_BYTES);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  return frame;
}

export function encodeFrame(payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export type Frame =
  /** A whole record whose checksum matches. */
  | { kind: 'record'; payload: Buffer; start: number; end: number }
  /** A whole frame whose checksum does not match: skip it, the next frame starts at `end`. */
  | { kind: 'bad_checksum'; start: number; end: number }
  /** The bytes from `start` on are not a frame (impossible length): nothing after can be trusted. */
  | { kind: 'bad_length'; start: number; length: number }
  /** The buffer ends inside the frame: a torn tail, or (while reading live) not all read yet. */
  | { kind: 'partial'; start: number };

/** The frame at `start` of `buf`, looking no further than `end` (exclusive). */
export function readFrame(buf: Buffer, start: number, end = buf.length): Frame {
  if (end - start < FRAME_HEADER_BYTES) return { kind: 'partial', start };
  const length = buf.readUInt32LE(start);
  if (length === 0 || length > MAX_PAYLOAD_BYTES) return { kind: 'bad_length', start, length };
  const frameEnd = start + FRAME_HEADER_BYTES + length;
  if (frameEnd > end) return { kind: 'partial', start };
  const payload = buf.subarray(start + FRAME_HEADER_BYTES, frameEnd);
  if (crc32(payload) !== buf.readUInt32LE(start + 4)) return { kind: 'bad_checksum', start, end: frameEnd };
  return { kind: 'record', payload, start, end: frameEnd };
}
