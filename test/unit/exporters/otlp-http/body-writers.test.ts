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
