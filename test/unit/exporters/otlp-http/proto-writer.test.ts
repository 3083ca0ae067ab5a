import { describe, expect, it } from 'vitest';
import { ProtoWriter } from '../../../../src/exporters/otlp-http/proto-writer.ts';

describe('ProtoWriter.fixed64: 8 bytes little-endian, modulo 2^64', () => {
  it('writes what writeBigUInt64LE writes for the value modulo 2^64, at any position', () => {
    const values = [0n, 1n, 255n, 256n, (1n << 53n) + 1n, 1_732_795_200_123_456_789n, (1n << 64n) - 1n];
    const edge = [1n << 64n, (1n << 70n) + 5n, -1n, -(1n << 63n), -5n];
    const w = new ProtoWriter(16);
    w.byte(0x59);
    for (const v of [...values, ...edge]) w.fixed64(v);
    const expected = Buffer.alloc(1 + 8 * (values.length + edge.length));
    expected[0] = 0x59;
    const all = [...values, ...edge];
    for (let i = 0; i < all.length; i++) expected.writeBigUInt64LE(BigInt.asUintN(64, all[i]), 1 + 8 * i);
    expect(Buffer.from(w.take())).toEqual(expected);
  });
});
