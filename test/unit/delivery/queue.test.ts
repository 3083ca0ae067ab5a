import { describe, expect, it } from 'vitest';
import { createItemQueue } from '../../../src/delivery/queue.ts';
import { makeItem } from '../../helpers/fake-exporter.ts';
import type { EcsRecord } from '../../../src/model/records.ts';

const ids = (items: { record: { id: string } }[]) => items.map((i) => i.record.id);

describe('createItemQueue', () => {
  it('is bounded by items', () => {
    const q = createItemQueue<EcsRecord>(3, 1000);
    for (let i = 0; i < 3; i++) {
      expect(q.fits(10)).toBe(true);
      q.add(makeItem(i), 10);
    }
    expect(q.fits(10)).toBe(false);
    expect(q.length).toBe(3);
    expect(q.bytes).toBe(30);
  });

  it('is bounded by bytes, but an oversized item fits an empty queue', () => {
    const q = createItemQueue<EcsRecord>(100, 50);
    expect(q.fits(500)).toBe(true);
    q.add(makeItem(0), 500);
    expect(q.fits(1)).toBe(false);
    q.take(10, 1000);
    q.add(makeItem(1), 40);
    expect(q.fits(10)).toBe(true);
    expect(q.fits(11)).toBe(false);
  });

  it('takes FIFO by count and by bytes, at least one item', () => {
    const q = createItemQueue<EcsRecord>(100, 10_000);
    for (let i = 0; i < 10; i++) q.add(makeItem(i), 100);
    expect(ids(q.take(3, 10_000).items)).toEqual(['e0', 'e1', 'e2']);
    const byBytes = q.take(100, 250);
    expect(ids(byBytes.items)).toEqual(['e3', 'e4']);
    expect(byBytes.bytes).toBe(200);
    expect(ids(q.take(100, 1).items)).toEqual(['e5']); // one item even if larger than the limit
    expect(q.length).toBe(4);
    expect(q.bytes).toBe(400);
  });

  it('numbers items: headSeq moves with takes and counts accepted items', () => {
    const q = createItemQueue<EcsRecord>(100, 10_000);
    expect(q.headSeq).toBe(0);
    for (let i = 0; i < 5; i++) q.add(makeItem(i), 1);
    expect(q.headSeq).toBe(0);
    q.take(2, 100);
    expect(q.headSeq).toBe(2);
    q.take(10, 100);
    expect(q.headSeq).toBe(5);
    q.add(makeItem(5), 1);
    expect(q.headSeq).toBe(5);
  });

  it('keeps order across compaction', () => {
    const q = createItemQueue<EcsRecord>(20_000, 1e9);
    let next = 0;
    const out: string[] = [];
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) q.add(makeItem(next++), 1);
      for (const it of q.take(250, 1e9).items) out.push(it.record.id);
    }
    for (const it of q.drain()) out.push(it.record.id);
    expect(out).toEqual(Array.from({ length: next }, (_, i) => `e${i}`));
    expect(q.length).toBe(0);
    expect(q.bytes).toBe(0);
  });
});
