import { describe, expect, it } from 'vitest';
import { slabCopy, slabText, slabUtf8 } from '../../../src/util/byte-slab.ts';

describe('byte slabs', () => {
  it('texts and copies share slabs, keep their own bytes, and large ones get their own buffer', () => {
    const texts = Array.from({ length: 400 }, (_v, i) => `${i}:${'é😀a'.repeat(i % 97)}`);
    const pieces = texts.map((t) => slabUtf8(t));
    const src = Buffer.from('0123456789'.repeat(100));
    const copies = Array.from({ length: 100 }, (_v, i) => slabCopy(src, i * 10));
    for (let i = 0; i < texts.length; i++) expect(slabText(pieces[i])).toBe(texts[i]);
    for (let i = 0; i < copies.length; i++) expect(Buffer.from(copies[i]).equals(src.subarray(0, i * 10))).toBe(true);
    const buffers = new Set([...pieces, ...copies].map((p) => p.buffer));
    expect(buffers.size).toBeGreaterThan(1);
    expect(buffers.size).toBeLessThan(30);
    const big = 'z'.repeat(20_000);
    const own = slabUtf8(big);
    expect(own.byteLength).toBe(20_000);
    expect(slabText(own)).toBe(big);
    expect(slabText(slabUtf8(''))).toBe('');
  });
});
