import { describe, expect, it } from 'vitest';
import { sendAttempt } from '../../../src/delivery/send-attempt.ts';
import type { SendOutcome } from '../../../src/model/exporter.ts';
import { createFakeClock } from '../../helpers/fake-clock.ts';
import { createFakeExporter, makeItem } from '../../helpers/fake-exporter.ts';
import { track } from '../../helpers/delivery-setup.ts';

const batch = [makeItem(0), makeItem(1)];

describe('sendAttempt', () => {
  it('passes a valid outcome through', async () => {
    const fake = createFakeExporter('fake-ok', () => ({ status: 'ok' }));
    const r = await sendAttempt(fake, batch, 1000, createFakeClock(), new AbortController());
    expect(r).toEqual({ outcome: { status: 'ok' }, timedOut: false });
    expect(fake.calls[0].signal).toBeInstanceOf(AbortSignal);
  });

  it('turns a synchronous throw into retryable', async () => {
    const fake = {
      ...createFakeExporter('fake-sync-throw', () => ({ status: 'ok' })),
      send: () => {
        throw new TypeError('boom');
      },
    };
    const r = await sendAttempt(fake, batch, 1000, createFakeClock(), new AbortController());
    expect(r.outcome).toEqual({ status: 'retryable', reason: 'boom' });
  });

  it('turns a rejection (even a non-Error) into retryable', async () => {
    const fake = createFakeExporter('fake-reject', () => Promise.reject('socket hang up'));
    const r = await sendAttempt(fake, batch, 1000, createFakeClock(), new AbortController());
    expect(r.outcome).toEqual({ status: 'retryable', reason: 'socket hang up' });
  });

  it('times out, aborts the signal with a reason, and ignores a late rejection', async () => {
    const clock = createFakeClock();
    let fail: (e: Error) => void = () => {};
    const fake = createFakeExporter(
      'fake-slow',
      () =>
        new Promise<SendOutcome>((_r, reject) => {
          fail = reject;
        }),
    );
    const abort = new AbortController();
    const result = sendAttempt(fake, batch, 250, clock, abort);
    const done = track(result);
    await clock.advance(249);
    expect(done.done).toBe(false);
    await clock.advance(1);
    expect(await result).toEqual({
      outcome: { status: 'retryable', reason: 'send timed out after 250 ms' },
      timedOut: true,
    });
    expect(abort.signal.aborted).toBe(true);
    expect(String(abort.signal.reason)).toMatch(/timed out/);
    fail(new Error('late')); // must not surface as an unhandled rejection
    await clock.settle();
    expect(clock.timers).toBe(0);
  });

  it('clears its timer when the send answers first', async () => {
    const clock = createFakeClock();
    const fake = createFakeExporter('fake-ok', () => ({ status: 'ok' }));
    await sendAttempt(fake, batch, 60_000, clock, new AbortController());
    expect(clock.timers).toBe(0);
  });

  it('returns at once when the caller aborts (shutdown), without counting a timeout', async () => {
    const clock = createFakeClock();
    const fake = createFakeExporter('fake-hang', () => new Promise<SendOutcome>(() => {}));
    const abort = new AbortController();
    const result = sendAttempt(fake, batch, 60_000, clock, abort);
    await clock.settle();
    abort.abort();
    expect(await result).toEqual({ outcome: { status: 'retryable', reason: 'send aborted' }, timedOut: false });
  });

  it('has no timer with sendTimeoutMs = Infinity', async () => {
    const clock = createFakeClock();
    const fake = createFakeExporter('fake-ok', async () => {
      await clock.sleep(1e9);
      return { status: 'ok' };
    });
    const result = sendAttempt(fake, batch, Infinity, clock, new AbortController());
    await clock.settle();
    expect(clock.timers).toBe(1); // only the fake's own sleep
    await clock.advance(1e9);
    expect((await result).outcome).toEqual({ status: 'ok' });
  });

  it.each([
    ['undefined', undefined],
    ['an unknown status', { status: 'maybe' }],
    ['a partial of the wrong length', { status: 'partial', items: [{ status: 'ok' }] }],
  ])('treats %s as retryable', async (_name, bad) => {
    const fake = createFakeExporter('fake-buggy', () => bad as unknown as SendOutcome);
    const r = await sendAttempt(fake, batch, 1000, createFakeClock(), new AbortController());
    expect(r.outcome.status).toBe('retryable');
    expect((r.outcome as { reason: string }).reason).toMatch(/^exporter fake-buggy returned an invalid outcome/);
  });
});
