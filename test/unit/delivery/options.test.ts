import { describe, expect, it } from 'vitest';
import { DELIVERY_DEFAULTS, resolveDeliveryOptions } from '../../../src/delivery/options.ts';
import { estimateSize } from '../../../src/delivery/size-estimate.ts';
import { systemClock } from '../../../src/delivery/clock.ts';

describe('resolveDeliveryOptions', () => {
  it('fills every field with the defaults', () => {
    const r = resolveDeliveryOptions();
    expect(r).toMatchObject(DELIVERY_DEFAULTS);
    expect(r.sizeOf).toBe(estimateSize);
    expect(r.clock).toBe(systemClock);
    expect(r.random).toBe(Math.random);
    expect(r.maxRetries).toBe(Infinity);
    expect(r.maxElapsedMs).toBe(Infinity);
  });

  it('lowers a default batch limit to an explicit queue limit', () => {
    const r = resolveDeliveryOptions({ maxQueueItems: 100, maxQueueBytes: 1000 });
    expect(r.maxBatchItems).toBe(100);
    expect(r.maxBatchBytes).toBe(1000);
  });

  it.each([
    [{ maxQueueItems: 0 }, 'delivery.max_queue_items: expected a positive integer, got 0'],
    [{ maxQueueItems: 1.5 }, 'delivery.max_queue_items: expected a positive integer, got 1.5'],
    [{ concurrency: NaN }, 'delivery.concurrency: expected a positive integer, got NaN'],
    [{ flushIntervalMs: -1 }, 'delivery.flush_interval_ms: expected a number >= 0, got -1'],
    [{ sendTimeoutMs: 0 }, 'delivery.send_timeout_ms: expected a positive number or Infinity, got 0'],
    [{ backoffMultiplier: 0.5 }, 'delivery.backoff_multiplier: expected >= 1, got 0.5'],
    [
      { initialBackoffMs: 5000, maxBackoffMs: 100 },
      'delivery.initial_backoff_ms: must be <= max_backoff_ms (100), got 5000',
    ],
    [{ maxBatchItems: 20, maxQueueItems: 10 }, 'delivery.max_batch_items: must be <= max_queue_items (10), got 20'],
    [{ maxRetries: 2.5 }, 'delivery.max_retries: expected an integer or Infinity, got 2.5'],
    [{ whenFull: 'drop_oldest' }, 'delivery.when_full: expected "block" or "drop_newest", got "drop_oldest"'],
  ])('rejects %j', (o, message) => {
    let err: unknown;
    try {
      resolveDeliveryOptions(o as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toBe(message);
  });

  it('accepts Infinity where it means "no limit"', () => {
    const r = resolveDeliveryOptions({ sendTimeoutMs: Infinity, maxRetries: Infinity, maxElapsedMs: Infinity });
    expect(r.maxRetries).toBe(Infinity);
    expect(r.sendTimeoutMs).toBe(Infinity);
  });
});

describe('estimateSize', () => {
  const item = (record: unknown) => ({ record, origin: { source: 't' } }) as never;

  it('grows with the content', () => {
    const small = estimateSize(item({ id: 'a', kind: 'event', doc: { a: 1 } }));
    const large = estimateSize(item({ id: 'a', kind: 'event', doc: { a: 'x'.repeat(10_000) } }));
    expect(small).toBeGreaterThan(10);
    expect(small).toBeLessThan(100);
    expect(large).toBeGreaterThan(10_000);
  });

  it('is near JSON length for a typical document', () => {
    const doc = {
      '@timestamp': '2026-11-28T10:00:00.000Z',
      process: { pid: 1234, name: 'bash', args: ['-c', 'id'] },
      event: { kind: 'event', category: ['process'] },
    };
    const est = estimateSize(item({ id: 'abc', kind: 'event', doc }));
    const json = JSON.stringify({ id: 'abc', kind: 'event', doc }).length;
    expect(est / json).toBeGreaterThan(0.7);
    expect(est / json).toBeLessThan(1.5);
  });

  it('skips the shared OTel resource and handles bigint', () => {
    const resource = { key: 'k', attributes: { 'host.name': 'x'.repeat(5000) } };
    const est = estimateSize(item({ resource, timeUnixNano: 1n, attributes: { a: 'b' } }));
    expect(est).toBeLessThan(200);
  });

  it('stops walking after a fixed number of values (a huge array costs what a small one does)', () => {
    const huge = estimateSize(item({ doc: { args: new Array(1_000_000).fill('abcdef') } }));
    const capped = estimateSize(item({ doc: { args: new Array(300).fill('abcdef') } }));
    expect(huge).toBe(capped);
  });
});
