import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../../src/delivery/batcher.ts';
import { createItemQueue } from '../../../src/delivery/queue.ts';
import type { EcsRecord } from '../../../src/model/records.ts';
import { createFakeClock } from '../../helpers/fake-clock.ts';
import { makeItem } from '../../helpers/fake-exporter.ts';

function build(limits = { maxBatchItems: 3, maxBatchBytes: 1000, flushIntervalMs: 100 }) {
  const clock = createFakeClock();
  const queue = createItemQueue<EcsRecord>(100, 10_000);
  let fired = 0;
  const batcher = createBatcher(queue, limits, clock, () => {
    fired++;
  });
  const add = (n: number, size = 10) => {
    queue.add(makeItem(n), size);
    batcher.added();
  };
  return { clock, queue, batcher, add, fired: () => fired };
}

describe('createBatcher', () => {
  it('is ready by count, by bytes, by age, or while hurried', async () => {
    const b = build();
    expect(b.batcher.ready()).toBe(false); // empty
    b.add(0);
    expect(b.batcher.ready()).toBe(false);
    b.add(1);
    b.add(2);
    expect(b.batcher.ready()).toBe(true); // count
    expect(b.batcher.take().items).toHaveLength(3);

    b.add(3, 1000);
    expect(b.batcher.ready()).toBe(true); // bytes
    b.batcher.take();

    b.add(4);
    await b.clock.advance(99);
    expect(b.batcher.ready()).toBe(false);
    await b.clock.advance(1);
    expect(b.batcher.ready()).toBe(true); // age
    const t = b.batcher.take();
    expect(t.firstSeq).toBe(4);

    b.add(5);
    b.batcher.hurryUntil(6);
    expect(b.batcher.ready()).toBe(true); // hurried up to seq 6
    b.batcher.take();
    b.add(6);
    expect(b.batcher.ready()).toBe(false); // seq 6 is past the hurry
  });

  it('arms one timer for the oldest waiting item and can cancel it', async () => {
    const b = build();
    b.batcher.arm();
    expect(b.clock.timers).toBe(0); // nothing waits
    b.add(0);
    await b.clock.advance(40);
    b.add(1);
    b.batcher.arm();
    b.batcher.arm();
    expect(b.clock.timers).toBe(1);
    await b.clock.advance(59);
    expect(b.fired()).toBe(0);
    await b.clock.advance(1);
    expect(b.fired()).toBe(1); // 100 ms after the first item
    b.batcher.arm();
    b.batcher.cancel();
    await b.clock.advance(1000);
    expect(b.fired()).toBe(1);
    expect(b.clock.timers).toBe(0);
  });
});
