// The circuit breaker (src/delivery/health.ts): after circuitFailureThreshold consecutive retryable
// failures the delivery is 'open' and sends one probe batch at a time; the first answer closes it.

import { describe, expect, it } from 'vitest';
import type { SendOutcome } from '../../../src/model/exporter.ts';
import { stateChangeLine } from '../../../src/delivery/health.ts';
import { createTelemetry, judgeReadiness } from '../../../src/telemetry/index.ts';
import { progressLine } from '../../../src/telemetry/progress-log.ts';
import { parsePromText, sumOf } from '../../helpers/prom-text.ts';
import { createFakeExporter } from '../../helpers/fake-exporter.ts';
import type { FakeClock } from '../../helpers/fake-clock.ts';
import { setup } from '../../helpers/delivery-setup.ts';

/** A destination that is down (503) until `up` is set; each answer takes 50 ms; records sends in flight. */
function fakeOutage(clockRef: { clock?: FakeClock }) {
  const s = { up: false, inFlight: 0, maxInFlight: 0, maxInFlightWhileOpen: 0, open: () => false };
  const fake = createFakeExporter('fake-outage', async (): Promise<SendOutcome> => {
    s.inFlight++;
    s.maxInFlight = Math.max(s.maxInFlight, s.inFlight);
    if (s.open()) s.maxInFlightWhileOpen = Math.max(s.maxInFlightWhileOpen, s.inFlight);
    await clockRef.clock!.sleep(50);
    s.inFlight--;
    return s.up ? { status: 'ok' } : { status: 'retryable', reason: 'HTTP 503 Service Unavailable' };
  });
  return { fake, s };
}

describe('delivery: circuit breaker', () => {
  it('opens after the threshold, sends one probe batch at a time while open, closes on the first answer', async () => {
    const ref: { clock?: FakeClock } = {};
    const { fake, s } = fakeOutage(ref);
    const t = setup(fake, {
      maxBatchItems: 1,
      concurrency: 4,
      circuitFailureThreshold: 3,
      initialBackoffMs: 100,
      maxBackoffMs: 1_000,
    });
    ref.clock = t.clock;
    s.open = () => t.delivery.stats().state === 'open';
    t.pushRange(0, 8);
    await t.clock.runUntil(() => t.delivery.stats().state === 'open');
    expect(s.maxInFlight).toBe(4); // before: every slot sends
    expect(t.states.map(([st]) => st)).toEqual(['retrying', 'open']);
    expect(t.states[1][1]).toEqual({ consecutiveFailures: 3, lastError: 'HTTP 503 Service Unavailable' });

    const callsAtOpen = fake.calls.length;
    await t.clock.advance(60_000); // a minute of outage
    const openCalls = fake.calls.slice(callsAtOpen);
    // sends already in flight when it opened finish; after that a single batch probes
    const probes = openCalls.slice(3);
    expect(probes.length).toBeGreaterThan(10);
    expect(new Set(probes.map((c) => c.ids.join()))).toHaveProperty('size', 1);
    expect(s.maxInFlightWhileOpen).toBeLessThanOrEqual(4);
    const inFlightLater = { max: 0 };
    s.open = () => {
      inFlightLater.max = Math.max(inFlightLater.max, s.inFlight);
      return false;
    };
    await t.clock.advance(10_000);
    expect(inFlightLater.max).toBe(1); // one probe in flight, never more
    expect(t.delivery.stats()).toMatchObject({ state: 'open', delivered: 0, inFlightItems: 4, queuedItems: 4 }); // the slots stay taken: the queue holds the rest

    s.up = true; // the destination is back
    await t.clock.runUntil(() => t.delivery.stats().delivered === 8);
    expect(t.states.map(([st]) => st)).toEqual(['retrying', 'open', 'healthy']); // each transition once
    expect(t.acks.count('delivered')).toBe(8);
    expect(t.acks.twice()).toEqual([]);
    expect(t.delivery.stats()).toMatchObject({ state: 'healthy', consecutiveFailures: 0, inFlightItems: 0 });
  });

  it('below the threshold nothing waits: each batch retries on its own backoff', async () => {
    const ref: { clock?: FakeClock } = {};
    const { fake, s } = fakeOutage(ref);
    const t = setup(fake, {
      maxBatchItems: 1,
      concurrency: 4,
      circuitFailureThreshold: Infinity,
      initialBackoffMs: 100,
      maxBackoffMs: 1_000,
    });
    ref.clock = t.clock;
    t.pushRange(0, 4);
    await t.clock.advance(20_000);
    expect(t.delivery.stats().state).toBe('retrying');
    expect(new Set(fake.calls.slice(-20).map((c) => c.ids.join())).size).toBe(4); // all four keep trying
    s.up = true;
    await t.clock.runUntil(() => t.delivery.stats().delivered === 4);
    expect(t.states.map(([st]) => st)).toEqual(['retrying', 'healthy']);
  });

  it('a probe out of retries hands the probe to a waiting batch (they are dead-lettered in turn, none hangs)', async () => {
    const ref: { clock?: FakeClock } = {};
    const { fake } = fakeOutage(ref);
    const t = setup(fake, {
      maxBatchItems: 1,
      concurrency: 3,
      circuitFailureThreshold: 2,
      maxRetries: 4,
      initialBackoffMs: 100,
      maxBackoffMs: 200,
    });
    ref.clock = t.clock;
    t.pushRange(0, 3);
    await t.clock.runUntil(() => t.delivery.stats().deadLettered === 3);
    expect(t.deadLetter.entries().map((e) => e.reason)).toEqual(
      Array(3).fill('retries_exhausted: HTTP 503 Service Unavailable'),
    );
    expect(t.delivery.stats()).toMatchObject({ state: 'open', inFlightItems: 0, inFlightBatches: 0 });
  });

  it('shutdown hands back the batches waiting behind the probe', async () => {
    const ref: { clock?: FakeClock } = {};
    const { fake } = fakeOutage(ref);
    const t = setup(fake, {
      maxBatchItems: 1,
      concurrency: 3,
      circuitFailureThreshold: 1,
      initialBackoffMs: 100,
      maxBackoffMs: 1_000,
    });
    ref.clock = t.clock;
    t.pushRange(0, 5);
    await t.clock.advance(5_000);
    const report = t.delivery.shutdown(2_000);
    await t.clock.advance(2_000);
    const r = await report;
    expect(r.drained).toBe(false);
    expect(r.pending.map((i) => i.record.id).sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    expect(r.stats).toMatchObject({ received: 5, returned: 5, delivered: 0 });
  });

  it('logs each transition in words and exposes the state as a metric', async () => {
    const d = { consecutiveFailures: 5, lastError: 'connect ECONNREFUSED 127.0.0.1:4318' };
    expect(stateChangeLine('otlp', 'retrying', 'open', d)).toBe(
      'otlp: circuit open after 5 consecutive failures (last error: connect ECONNREFUSED 127.0.0.1:4318); one probe batch at a time until it answers',
    );
    expect(stateChangeLine('otlp', 'open', 'healthy', { consecutiveFailures: 0, lastError: undefined })).toBe(
      'otlp: circuit closed: the destination answered',
    );
    expect(stateChangeLine('otlp', 'retrying', 'healthy', { consecutiveFailures: 0, lastError: undefined })).toBe(
      'otlp: healthy',
    );

    const tel = createTelemetry();
    const h = tel.exporter('es', {
      read: () => ({
        delivered: 0,
        duplicates: 0,
        queuedItems: 0,
        queuedBytes: 0,
        inFlightItems: 0,
        waitingPushes: 0,
        consecutiveFailures: 5,
      }),
    });
    const state = async () => {
      const m = parsePromText(await tel.metrics());
      return Object.fromEntries(
        ['healthy', 'retrying', 'open'].map((s) => [
          s,
          sumOf(m, 'tracee_exporter_exporter_state', { exporter: 'es', state: s }),
        ]),
      );
    };
    expect(await state()).toEqual({ healthy: 1, retrying: 0, open: 0 });
    h.stateChanged('retrying');
    h.stateChanged('open');
    expect(await state()).toEqual({ healthy: 0, retrying: 0, open: 1 });
    expect(tel.snapshot().exporters[0].state).toBe('open');
    h.stateChanged('healthy');
    expect(await state()).toEqual({ healthy: 1, retrying: 0, open: 0 });
  });

  it('an open circuit counts as failing for /readyz and the progress log, from the last healthy moment', () => {
    let now = 0;
    const tel = createTelemetry({ now: () => now, notReadyAfterRetryingMs: 60_000 });
    const h = tel.exporter('es', {
      read: () => ({
        delivered: 0,
        duplicates: 0,
        queuedItems: 0,
        queuedBytes: 0,
        inFlightItems: 0,
        waitingPushes: 0,
        consecutiveFailures: 5,
      }),
    });
    tel.phaseChanged('running');
    h.stateChanged('retrying');
    now = 30_000;
    h.stateChanged('open'); // same outage: the clock keeps running
    now = 61_000;
    expect(tel.readiness()).toEqual({ ready: false, reason: 'every exporter retrying for over 60 s: es (61 s)' });
    expect(progressLine(tel.snapshot(), 0, 1000)).toContain(
      'es: delivered 0, dead-lettered 0, dropped 0, queued 0, circuit open, failing for 61 s',
    );
    expect(
      judgeReadiness(
        'running',
        [
          { label: 'a', state: 'open', stateSince: 0 },
          { label: 'b', state: 'healthy', stateSince: 0 },
        ],
        600_000,
        60_000,
      ).ready,
    ).toBe(true);
    h.stateChanged('healthy');
    expect(tel.readiness().ready).toBe(true);
  });
});
