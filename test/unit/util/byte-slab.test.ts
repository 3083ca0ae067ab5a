import { describe, expect, it } from 'vitest';
import { RecyclingSlabs, slabCopy, slabText, slabUtf8 } from '../../../src/util/byte-slab.ts';

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

describe('recycling slabs', () => {
  it('a slab is reused once all its retained pieces are released, never while one is retained', () => {
    const pool = new RecyclingSlabs(4);
    const texts = Array.from({ length: 300 }, (_v, i) => `${i}:${'x'.repeat(900)}`);
    const pieces = texts.map((t) => {
      const p = pool.utf8(t);
      pool.retain(p);
      return p;
    });
    const firstSlabs = new Set(pieces.map((p) => p.buffer));
    // release all but every 10th
    pieces.forEach((p, i) => {
      if (i % 10 !== 0) pool.release(p);
    });
    const more = Array.from({ length: 300 }, (_v, i) => {
      const p = pool.copy(Buffer.from(`more ${i} ${'y'.repeat(900)}`), 906 + String(i).length);
      pool.retain(p);
      return p;
    });
    // every slab of the first round still holds a retained piece (1 in 10, ~70 pieces per slab): none
    // reused; only the one being filled goes on
    const current = pieces[pieces.length - 1].buffer;
    expect(more.filter((p) => firstSlabs.has(p.buffer)).every((p) => p.buffer === current)).toBe(true);
    for (let i = 0; i < pieces.length; i += 10) expect(slabText(pieces[i])).toBe(texts[i]);
    // now release everything of the first round: those slabs are reused (at most 4 kept)
    for (let i = 0; i < pieces.length; i += 10) pool.release(pieces[i]);
    const third = Array.from({ length: 300 }, (_v, i) => pool.utf8(`third ${i} ${'z'.repeat(900)}`));
    const reused = new Set(third.filter((p) => firstSlabs.has(p.buffer)).map((p) => p.buffer));
    expect(reused.size).toBeGreaterThan(0);
    expect(reused.size).toBeLessThanOrEqual(4);
    for (let i = 0; i < more.length; i++) expect(slabText(more[i])).toBe(`more ${i} ${'y'.repeat(900)}`);
    // pieces of other allocators are ignored
    pool.retain(new Uint8Array(4));
    pool.release(new Uint8Array(4));
  });
});
