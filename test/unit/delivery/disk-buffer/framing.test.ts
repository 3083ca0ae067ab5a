import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FRAME_HEADER_BYTES, readFrame } from '../../../../src/delivery/disk-buffer/framing.ts';

describe('disk buffer framing', () => {
  it('writes length + crc32 + payload and reads it back', () => {
    const payload = Buffer.from('{"o":{"source":"t"},"i":"x"}');
    const frame = encodeFrame(payload);
    expect(frame.length).toBe(FRAME_HEADER_BYTES + payload.length);
    expect(frame.readUInt32LE(0)).toBe(payload.length);
    expect(frame.readUInt32LE(4)).toBe(crc32(payload));
    const f = readFrame(frame, 0);
    expect(f.kind).toBe('record');
    if (f.kind === 'record') {
      expect(f.payload.equals(payload)).toBe(true);
      expect(f.end).toBe(frame.length);
    }
  });

  it('reads consecutive frames', () => {
    const buf = Buffer.concat([
      encodeFrame(Buffer.from('a')),
      encodeFrame(Buffer.from('bb')),
      encodeFrame(Buffer.from('ccc')),
    ]);
    const out: string[] = [];
    for (let pos = 0; pos < buf.length; ) {
      const f = readFrame(buf, pos);
      if (f.kind !== 'record') throw new Error(f.kind);
      out.push(f.payload.toString());
      pos = f.end;
    }
    expect(out).toEqual(['a', 'bb', 'ccc']);
  });

  it('a flipped payload bit is a checksum mismatch, and the next frame is still found', () => {
    const first = encodeFrame(Buffer.from('hello world'));
    first[FRAME_HEADER_BYTES + 3] ^= 0x01;
    const buf = Buffer.concat([first, encodeFrame(Buffer.from('next'))]);
    const f = readFrame(buf, 0);
    expect(f).toEqual({ kind: 'bad_checksum', start: 0, end: first.length });
    const g = readFrame(buf, first.length);
    expect(g.kind === 'record' && g.payload.toString()).toBe('next');
  });

  it('a frame cut short (torn tail) is partial, whatever the cut point', () => {
    const frame = encodeFrame(Buffer.from('a record that was being written'));
    for (const cut of [1, 4, FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + 5, frame.length - 1]) {
      expect(readFrame(frame.subarray(0, cut), 0).kind).toBe('partial');
    }
  });

  it('an impossible length (zeros, huge) is bad_length', () => {
    expect(readFrame(Buffer.alloc(32), 0)).toEqual({ kind: 'bad_length', start: 0, length: 0 });
    const huge = Buffer.alloc(16);
    huge.writeUInt32LE(0xffffffff, 0);
    expect(readFrame(huge, 0).kind).toBe('bad_length');
  });
});
