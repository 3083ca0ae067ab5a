import { describe, expect, it } from 'vitest';
import {
  createFakeExporter,
  fakeFlakyExporter,
  fakeHangingExporter,
  fakeManualExporter,
  fakeOkExporter,
  fakePartialExporter,
  fakeRejectingExporter,
  fakeThrowingExporter,
} from '../../helpers/fake-exporter.ts';
import { createDelivery } from '../../../src/delivery/delivery.ts';
import { createFakeClock } from '../../helpers/fake-clock.ts';
import { ids, setup, track } from '../../helpers/delivery-setup.ts';

describe('delivery: batching', () => {
  it('cuts batches by count at once and sends the rest after flushIntervalMs', async () => {
    const fake = fakeOkExporter();
    const { delivery, clock, pushRange, acks } = setup(fake, { maxBatchItems: 10 });
    pushRange(0, 25);
    await clock.settle();
    expect(fake.calls.map((c) => c.ids.length)).toEqual([10, 10]);
    await clock.advance(999);
    expect(fake.calls).toHaveLength(2);
    await clock.advance(1);
    expect(fake.calls.map((c) => c.ids)).toEqual([ids(10), ids(10, 10), ids(5, 20)]);
    expect(acks.count('delivered')).toBe(25);
    expect(delivery.stats()).toMatchObject({
      received: 25,
      delivered: 25,
      batchesSent: 3,
      queuedItems: 0,
      inFlightItems: 0,
    });
  });

  it('cuts batches by bytes', async () => {
    const fake = fakeOkExporter();
    const { clock, pushRange } = setup(fake, { maxBatchItems: 100, maxBatchBytes: 300, sizeOf: () => 100 });
    pushRange(0, 7);
    await clock.settle();
    expect(fake.calls.map((c) => c.ids.length)).toEqual([3, 3]);
    await clock.advance(1000);
    expect(fake.calls.map((c) => c.ids.length)).toEqual([3, 3, 1]);
  });

  it('keeps at most `concurrency` batches in flight', async () => {
    const fake = fakeManualExporter();
    const { delivery, clock, pushRange } = setup(fake, { maxBatchItems: 5, concurrency: 2 });
    pushRange(0, 20);
    await clock.settle();
    expect(fake.waiting).toBe(2);
    expect(delivery.stats()).toMatchObject({ inFlightBatches: 2, inFlightItems: 10, queuedItems: 10 });
    fake.answer({ status: 'ok' });
    await clock.settle();
    expect(fake.calls.map((c) => c.ids)).toEqual([ids(5), ids(5, 5), ids(5, 10)]);
    expect(fake.waiting).toBe(2);
  });

  it('flush sends a partial batch at once and resolves when those items are settled', async () => {
    const fake = fakeManualExporter();
    const { delivery, clock, pushRange } = setup(fake, { maxBatchItems: 10 });
    pushRange(0, 3);
    const flushed = track(delivery.flush());
    await clock.settle();
    expect(fake.calls.map((c) => c.ids)).toEqual([ids(3)]);
    pushRange(3, 5); // after the flush: must not delay it
    fake.answer({ status: 'ok' });
    await clock.settle();
    expect(flushed.done).toBe(true);
    expect(delivery.stats().queuedItems).toBe(2);
  });

  it('flush with nothing pending resolves at once', async () => {
    const { delivery } = setup(fakeOkExporter());
    await expect(delivery.flush()).resolves.toBeUndefined();
  });
});

describe('delivery: retries', () => {
  it('retries a retryable batch with exponential backoff and full jitter until it succeeds', async () => {
    const times: number[] = [];
    const { clock, pushRange, acks, delivery } = setup(
      createFakeExporter('fake-flaky', (_b, call) => {
        times.push(clock.now());
        return call < 3 ? { status: 'retryable', reason: 'HTTP 503' } : { status: 'ok' };
      }),
      { maxBatchItems: 4 },
    );
    pushRange(0, 4);
    await clock.runUntil(() => acks.count('delivered') === 4);
    // random() = 0.5 → half of 100, 200, 400
    expect(times.map((t) => t - times[0])).toEqual([0, 50, 150, 350]);
    expect(delivery.stats()).toMatchObject({
      delivered: 4,
      retries: 3,
      retriedItems: 12,
      batchesSent: 4,
      state: 'healthy',
    });
  });

  it('honours Retry-After as a lower bound', async () => {
    const fake = fakeFlakyExporter(1, 5_000);
    const { clock, pushRange, acks } = setup(fake, { maxBatchItems: 2 });
    pushRange(0, 2);
    await clock.advance(4_999);
    expect(fake.calls).toHaveLength(1);
    await clock.advance(1);
    expect(fake.calls).toHaveLength(2);
    expect(acks.count('delivered')).toBe(2);
  });

  it('reports health transitions and counts consecutive failures', async () => {
    const fake = fakeFlakyExporter(3);
    const { delivery, clock, pushRange, states } = setup(fake, { maxBatchItems: 1 });
    pushRange(0, 1);
    await clock.settle();
    expect(delivery.stats()).toMatchObject({
      state: 'retrying',
      consecutiveFailures: 1,
      lastError: 'HTTP 503 (call 0)',
    });
    await clock.runUntil(() => delivery.stats().delivered === 1);
    expect(states).toEqual([
      ['retrying', { consecutiveFailures: 1, lastError: 'HTTP 503 (call 0)' }],
      ['healthy', { consecutiveFailures: 0, lastError: 'HTTP 503 (call 2)' }],
    ]);
  });

  it('gives up after maxRetries: dead letter with retries_exhausted and the last reason', async () => {
    const fake = fakeFlakyExporter(Infinity);
    const { delivery, clock, pushRange, acks, deadLetter } = setup(fake, { maxBatchItems: 3, maxRetries: 2 });
    pushRange(0, 3);
    await clock.runUntil(() => acks.count('dead_lettered') === 3);
    expect(fake.calls).toHaveLength(3);
    expect(deadLetter.entries().map((e) => e.reason)).toEqual(Array(3).fill('retries_exhausted: HTTP 503 (call 2)'));
    expect(delivery.stats()).toMatchObject({ deadLettered: 3, retries: 2, inFlightItems: 0 });
  });

  it('gives up when the next retry would start after maxElapsedMs', async () => {
    const fake = fakeFlakyExporter(Infinity);
    const { clock, pushRange, acks, deadLetter } = setup(fake, {
      maxBatchItems: 1,
      maxElapsedMs: 1_000,
      random: () => 0.999,
    });
    pushRange(0, 1);
    await clock.runUntil(() => acks.count('dead_lettered') === 1);
    // delays ~100, 200, 400 (cumulative 699), the next (~800) would pass 1000 ms
    expect(fake.calls).toHaveLength(4);
    expect(deadLetter.entries()[0].reason).toBe('retries_exhausted: HTTP 503 (call 3)');
  });

  it('treats a throwing send as retryable with the error message', async () => {
    const fake = fakeThrowingExporter(2);
    const { delivery, clock, pushRange, acks } = setup(fake, { maxBatchItems: 2 });
    pushRange(0, 2);
    await clock.settle();
    expect(delivery.stats().lastError).toBe('ECONNRESET (call 0)');
    await clock.runUntil(() => acks.count('delivered') === 2);
    expect(delivery.stats()).toMatchObject({ retries: 2, delivered: 2 });
  });

  it('times out a hanging send through the AbortSignal and retries it', async () => {
    const fake = fakeHangingExporter(1);
    const { delivery, clock, pushRange, acks } = setup(fake, { maxBatchItems: 2, sendTimeoutMs: 2_000 });
    pushRange(0, 2);
    await clock.advance(1_999);
    expect(fake.calls[0].signal?.aborted).toBe(false);
    await clock.advance(1);
    expect(fake.calls[0].signal?.aborted).toBe(true);
    expect(delivery.stats()).toMatchObject({ timeouts: 1, lastError: 'send timed out after 2000 ms' });
    await clock.runUntil(() => acks.count('delivered') === 2);
    expect(fake.calls).toHaveLength(2);
  });

  it('treats a malformed outcome as retryable', async () => {
    let call = 0;
    const fake = createFakeExporter('fake-buggy', () =>
      call++ === 0 ? { status: 'partial', items: [] } : { status: 'ok' },
    );
    const { delivery, clock, pushRange, acks } = setup(fake, { maxBatchItems: 2 });
    pushRange(0, 2);
    await clock.runUntil(() => acks.count('delivered') === 2);
    expect(delivery.stats().retries).toBe(1);
  });
});

describe('delivery: rejections and partial outcomes', () => {
  it('dead-letters every item of a rejected batch, with origin and reason', async () => {
    const fake = fakeRejectingExporter('HTTP 400: invalid body');
    const { delivery, clock, pushRange, acks, deadLetter, states } = setup(fake, { maxBatchItems: 3 });
    pushRange(0, 3);
    await clock.settle();
    expect(acks.count('dead_lettered')).toBe(3);
    expect(deadLetter.entries().map((e) => [e.exporter, e.reason, e.origin])).toEqual([
      ['fake-rejecting', 'HTTP 400: invalid body', { source: 'test', line: 0 }],
      ['fake-rejecting', 'HTTP 400: invalid body', { source: 'test', line: 1 }],
      ['fake-rejecting', 'HTTP 400: invalid body', { source: 'test', line: 2 }],
    ]);
    expect(delivery.stats()).toMatchObject({ deadLettered: 3, delivered: 0, retries: 0, state: 'healthy' });
    expect(states).toEqual([]);
  });

  it('settles a partial outcome item by item and retries only the retryable items', async () => {
    const kind = (n: number) => ['ok', 'duplicate', 'retryable', 'rejected'][n % 4];
    const fake = fakePartialExporter((item, call) => {
      const n = (item.record.doc as { n: number }).n;
      const k = kind(n);
      if (k === 'retryable' && call === 0) return { status: 'retryable', reason: 'es 429', retryAfterMs: 300 };
      if (k === 'rejected') return { status: 'rejected', reason: 'mapper_parsing_exception' };
      if (k === 'duplicate') return { status: 'duplicate' };
      return { status: 'ok' };
    });
    const { delivery, clock, pushRange, acks, deadLetter } = setup(fake, { maxBatchItems: 8 });
    pushRange(0, 8);
    await clock.settle();
    expect(delivery.stats()).toMatchObject({ delivered: 2, duplicates: 2, deadLettered: 2, inFlightItems: 2 });
    await clock.advance(299);
    expect(fake.calls).toHaveLength(1);
    await clock.advance(1);
    expect(fake.calls.map((c) => c.ids)).toEqual([ids(8), ['e2', 'e6']]);
    expect(delivery.stats()).toMatchObject({
      delivered: 4,
      duplicates: 2,
      deadLettered: 2,
      retries: 1,
      retriedItems: 2,
      inFlightItems: 0,
    });
    expect(acks.results.get('e2')).toEqual(['delivered']);
    expect(acks.results.get('e1')).toEqual(['duplicate']);
    expect(acks.results.get('e3')).toEqual(['dead_lettered']);
    expect(deadLetter.entries().map((e) => e.origin.line)).toEqual([3, 7]);
  });

  it('counts OTLP partial success as dropped with its reason and does not retry', async () => {
    const fake = createFakeExporter('fake-otlp', () => ({
      status: 'ok',
      rejected: 2,
      rejectedReason: 'timestamp too old',
    }));
    const { delivery, clock, pushRange, acks, drops } = setup(fake, { maxBatchItems: 5 });
    pushRange(0, 5);
    await clock.settle();
    expect(drops).toEqual([{ reason: 'partial_success: timestamp too old', count: 2, id: undefined }]);
    expect(delivery.stats()).toMatchObject({
      received: 5,
      delivered: 3,
      droppedTotal: 2,
      dropped: { 'partial_success: timestamp too old': 2 },
      retries: 0,
    });
    expect(acks.count('delivered')).toBe(5); // no item identity: all acked delivered (see ledger.ts)
  });
});

describe('delivery: a full queue', () => {
  it('blocks push (backpressure) and admits waiting pushes in order as space frees', async () => {
    const fake = fakeManualExporter();
    const { delivery, clock, pushRange } = setup(fake, { maxBatchItems: 5, maxQueueItems: 10, concurrency: 1 });
    const accepted = pushRange(0, 15).map(track); // 5 in flight, 10 queued
    await clock.settle();
    expect(accepted.every((a) => a.done)).toBe(true);
    const late = pushRange(15, 18).map(track);
    await clock.settle();
    expect(late.map((a) => a.done)).toEqual([false, false, false]);
    expect(delivery.stats()).toMatchObject({ received: 15, queuedItems: 10, inFlightItems: 5, waitingPushes: 3 });
    fake.answer({ status: 'ok' }); // frees a batch slot: 5 leave the queue
    await clock.settle();
    expect(late.map((a) => a.done)).toEqual([true, true, true]);
    expect(delivery.stats()).toMatchObject({ received: 18, delivered: 5, queuedItems: 8, waitingPushes: 0 });
    for (let i = 0; i < 2; i++) {
      fake.answer({ status: 'ok' });
      await clock.settle();
    }
    await clock.advance(1000); // the last 3 go by time
    fake.answer({ status: 'ok' });
    await clock.settle();
    expect(fake.calls.flatMap((c) => c.ids)).toEqual(ids(18));
  });

  it('a full queue sends at once instead of waiting for the interval', async () => {
    const fake = fakeOkExporter();
    const { delivery, clock, pushRange, item } = setup(fake, {
      maxBatchItems: 100,
      maxBatchBytes: 1_000,
      maxQueueBytes: 1_000,
      sizeOf: () => 300,
    });
    pushRange(0, 3); // 900 bytes: below a batch, nothing due
    await clock.settle();
    expect(fake.calls).toHaveLength(0);
    const fourth = track(delivery.push(item(3))); // does not fit: blocks, and makes the batch due
    await clock.settle();
    expect(fake.calls.map((c) => c.ids)).toEqual([ids(3)]);
    expect(fourth.done).toBe(true);
    expect(clock.time).toBe(1_000); // no time passed
  });

  it('a new push waits behind earlier blocked pushes even if it would fit', async () => {
    const fake = fakeManualExporter();
    const { delivery, clock, item } = setup(fake, {
      maxBatchItems: 1,
      maxQueueItems: 2,
      maxQueueBytes: 300,
      concurrency: 1,
      sizeOf: (i) => (i.record.id === 'e3' ? 250 : 100),
    });
    for (let n = 0; n < 3; n++) void delivery.push(item(n)); // e0 in flight, e1 e2 queued
    await clock.settle();
    const big = track(delivery.push(item(3)));
    const small = track(delivery.push(item(4)));
    await clock.settle();
    expect([big.done, small.done]).toEqual([false, false]);
    fake.answer({ status: 'ok' });
    await clock.settle();
    expect(fake.calls.map((c) => c.ids)).toEqual([['e0'], ['e1']]);
    expect([big.done, small.done]).toEqual([false, false]); // e3 (250) does not fit beside e2 (100); e4 waits behind it
    fake.answer({ status: 'ok' });
    await clock.settle();
    expect([big.done, small.done]).toEqual([true, false]);
  });

  it('with drop_newest, counts the item as dropped and resolves at once', async () => {
    const fake = fakeManualExporter();
    const { delivery, clock, pushRange, acks, drops } = setup(fake, {
      maxBatchItems: 5,
      maxQueueItems: 5,
      concurrency: 1,
      whenFull: 'drop_newest',
    });
    pushRange(0, 10);
    await clock.settle();
    const extra = pushRange(10, 12).map(track);
    await clock.settle();
    expect(extra.every((a) => a.done && a.failed === undefined)).toBe(true);
    expect(drops).toEqual([
      { reason: 'queue_full', count: 1, id: 'e10' },
      { reason: 'queue_full', count: 1, id: 'e11' },
    ]);
    expect(acks.results.get('e10')).toEqual(['dropped']);
    expect(delivery.stats()).toMatchObject({
      received: 12,
      droppedTotal: 2,
      dropped: { queue_full: 2 },
      queuedItems: 5,
      waitingPushes: 0,
    });
  });
});

describe('delivery: shutdown', () => {
  it('drains everything before the deadline and refuses later pushes', async () => {
    const fake = fakeOkExporter();
    const { delivery, clock, pushRange, item, acks } = setup(fake, { maxBatchItems: 10 });
    pushRange(0, 15);
    const report = delivery.shutdown(5_000);
    await clock.settle();
    await expect(report).resolves.toMatchObject({ drained: true, pending: [] });
    expect(acks.count('delivered')).toBe(15);
    await expect(delivery.push(item(99))).rejects.toThrow('shut down');
    expect(delivery.stats().lifecycle).toBe('closed');
    expect(await delivery.shutdown(1)).toBe(await report); // idempotent
  });

  it('waits for retries during the drain', async () => {
    const fake = fakeFlakyExporter(2);
    const { delivery, clock, pushRange } = setup(fake, { maxBatchItems: 10 });
    pushRange(0, 3);
    const report = track(delivery.shutdown(10_000));
    await clock.runUntil(() => report.done);
    expect((await delivery.shutdown(0)).drained).toBe(true);
    expect(delivery.stats().delivered).toBe(3);
  });

  it('at the deadline hands back pending items unacked, oldest first, and rejects blocked pushes and flushes', async () => {
    const fake = fakeFlakyExporter(Infinity);
    const { delivery, clock, pushRange, acks } = setup(fake, { maxBatchItems: 4, maxQueueItems: 8, concurrency: 1 });
    pushRange(0, 12); // 4 in flight, 8 queued
    await clock.settle();
    const blocked = pushRange(12, 13).map(track);
    const flushing = track(delivery.flush());
    const report = track(delivery.shutdown(3_000));
    await clock.advance(3_000);
    expect(report.done).toBe(true);
    const r = await delivery.shutdown(0);
    expect(r.drained).toBe(false);
    expect(r.pending.map((i) => i.record.id)).toEqual(ids(12));
    expect(acks.results.size).toBe(0);
    expect(r.stats).toMatchObject({
      received: 12,
      returned: 12,
      inFlightItems: 0,
      queuedItems: 0,
      lifecycle: 'closed',
    });
    expect(String(blocked[0].failed)).toMatch(/before the item was accepted/);
    expect(String(flushing.failed)).toMatch(/12 items pending/);
    const calls = fake.calls.length;
    await clock.advance(60_000); // nothing runs after close
    expect(fake.calls).toHaveLength(calls);
    expect(clock.timers).toBe(0);
  });

  it('aborts an in-flight send at the deadline and ignores its late answer', async () => {
    const fake = fakeManualExporter();
    const { delivery, clock, pushRange, acks } = setup(fake, { maxBatchItems: 2, sendTimeoutMs: 60_000 });
    pushRange(0, 2);
    await clock.settle();
    const report = track(delivery.shutdown(1_000));
    await clock.advance(1_000);
    expect(report.done).toBe(true);
    expect(fake.calls[0].signal?.aborted).toBe(true);
    fake.answer({ status: 'ok' });
    await clock.settle();
    expect(acks.results.size).toBe(0);
    expect(delivery.stats()).toMatchObject({ delivered: 0, returned: 2 });
  });
});

describe('delivery: push', () => {
  it('does not allocate a promise per accepted item', async () => {
    const { delivery, item } = setup(fakeOkExporter());
    expect(delivery.push(item(0))).toBe(delivery.push(item(1)));
  });
});

describe('delivery: hooks and acks that throw', () => {
  it('a throwing onDeadLetter is counted and the item still settles', async () => {
    const fake = fakeRejectingExporter();
    const clock = createFakeClock();
    const results: string[] = [];
    const d = createDelivery(
      fake,
      { clock, flushIntervalMs: 0 },
      {
        onDeadLetter: () => {
          throw new Error('disk full');
        },
      },
    );
    await d.push({
      record: { id: 'a', kind: 'event', doc: {} },
      origin: { source: 't' },
      ack: (r) => {
        results.push(r);
      },
    });
    await clock.settle();
    expect(results).toEqual(['dead_lettered']);
    expect(d.stats()).toMatchObject({ deadLettered: 1, hookErrors: 1, lastError: 'onDeadLetter threw: disk full' });
  });

  it('counts the error and keeps every other item going', async () => {
    const fake = fakeOkExporter();
    const { delivery, clock, item } = setup(fake, { maxBatchItems: 3 });
    const seen: string[] = [];
    for (let n = 0; n < 3; n++) {
      const it = item(n);
      it.ack = (r) => {
        seen.push(`e${n}:${r}`);
        if (n === 1) throw new Error('ack bug');
      };
      void delivery.push(it);
    }
    await clock.settle();
    expect(seen).toEqual(['e0:delivered', 'e1:delivered', 'e2:delivered']);
    expect(delivery.stats()).toMatchObject({ delivered: 3, hookErrors: 1, lastError: 'ack threw: ack bug' });
  });
});
