// Delivery.reserve (push sources, #14.3): room is held in line with blocked pushes; a reservation
// still waiting when its signal aborts is withdrawn (nothing of the item stays); held room counts
// as used until commit() adds the item or cancel() gives the room back.

import { describe, expect, it } from 'vitest';
import { PushWithdrawn } from '../../../src/delivery/types.ts';
import { fakeManualExporter } from '../../helpers/fake-exporter.ts';
import { setup, track } from '../../helpers/delivery-setup.ts';

describe('push reservations', () => {
  it('held room counts as used; commit adds the item, cancel frees the room for the next in line', async () => {
    const fake = fakeManualExporter();
    const { delivery, item } = setup(fake, { maxQueueItems: 2, maxBatchItems: 1, concurrency: 1 });
    const a = await delivery.reserve!(item(0));
    const b = await delivery.reserve!(item(1));
    const blockedPush = track(delivery.push(item(2))); // no room: both slots are held
    await Promise.resolve();
    expect(blockedPush.done).toBe(false);
    expect(delivery.stats()).toMatchObject({ received: 0, queuedItems: 0, waitingPushes: 1 });
    b.cancel(); // room back: the blocked push is admitted
    await Promise.resolve();
    expect(blockedPush.done).toBe(true);
    await a.commit();
    expect(delivery.stats().received).toBe(2);
  });

  it('a reservation waiting for room is withdrawn when its signal aborts: never accepted, never sent', async () => {
    const fake = fakeManualExporter();
    const { delivery, item } = setup(fake, { maxQueueItems: 1, maxBatchItems: 1, concurrency: 1 });
    await delivery.push(item(0)); // in flight at the fake (never answered yet)
    await delivery.push(item(1)); // queued: the queue is full
    const abort = new AbortController();
    const waiting = delivery.reserve!(item(2), abort.signal);
    const later = track(delivery.push(item(3)));
    await Promise.resolve();
    expect(delivery.stats().waitingPushes).toBe(2);
    abort.abort();
    await expect(waiting).rejects.toBeInstanceOf(PushWithdrawn);
    expect(delivery.stats().waitingPushes).toBe(1);
    // the destination answers: items 0, 1 and 3 are sent, item 2 never is
    for (let i = 0; i < 3; i++) {
      await expect.poll(() => fake.waiting).toBe(1);
      fake.answer({ status: 'ok' });
    }
    await delivery.flush();
    expect(later.done).toBe(true);
    expect(delivery.stats()).toMatchObject({ received: 3, delivered: 3 });
    expect(fake.accepted).toEqual(['e0', 'e1', 'e3']);
  });

  it('an already aborted signal on a full queue rejects at once', async () => {
    const fake = fakeManualExporter();
    const { delivery, item } = setup(fake, { maxQueueItems: 1, maxBatchItems: 1, concurrency: 1 });
    await delivery.push(item(0));
    await delivery.push(item(1));
    await expect(delivery.reserve!(item(2), AbortSignal.abort())).rejects.toBeInstanceOf(PushWithdrawn);
  });
});
