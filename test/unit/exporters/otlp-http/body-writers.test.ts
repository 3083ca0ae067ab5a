import { describe, expect, it } from 'vitest';
import { createBodyWriters } from '../../../../src/exporters/otlp-http/body-writers.ts';

describe('body writers: one per send in progress, reused', () => {
  it('gives back the same writer, reset to its start', () => {
    const pool = createBodyWriters(1 << 20);
    const w = pool.take();
    w.raw(new Uint8Array(100));
    pool.give(w);
    const again = pool.take();
    expect(again).toBe(w);
    expect(again.pos).toBe(0);
  });

  it('sends at the same time get different writers', () => {
    const pool = createBodyWriters(1 << 20);
    const a = pool.take();
    const b = pool.take();
    expect(a).not.toBe(b);
    pool.give(a);
    pool.give(b);
    expect(pool.idle).toBe(2);
  });

  it('drops a writer that grew past the kept size, and keeps at most maxIdle', () => {
    const pool = createBodyWriters(128 * 1024, 2);
    const big = pool.take();
    big.raw(new Uint8Array(200 * 1024));
    pool.give(big);
    expect(pool.idle).toBe(0);
    const ws = [pool.take(), pool.take(), pool.take()];
    for (const w of ws) pool.give(w);
    expect(pool.idle).toBe(2);
  });
});

describe('body writers: the capacity kept', () => {
  it('is the doubling capacity at or above the largest request, whatever the limit', () => {
    const pool = createBodyWriters(5_000_000); // not a power of two: kept up to 8 MiB
    const w = pool.take();
    w.raw(new Uint8Array(4_500_000));
    expect(w.buf.length).toBe(8 * 1024 * 1024);
    pool.give(w);
    expect(pool.idle).toBe(1);
    const big = pool.take();
    big.raw(new Uint8Array(9_000_000));
    pool.give(big);
    expect(pool.idle).toBe(0);
  });
});
