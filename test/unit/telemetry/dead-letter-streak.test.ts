// An exporter whose destination answers but refuses every event is not "healthy": after DEAD_LETTER_STREAK
// events dead-lettered in a row with none delivered, /readyz and the progress line say so.

import { describe, expect, it } from 'vitest';
import { createTelemetry, progressLine, type DeliveryReading } from '../../../src/telemetry/index.ts';
import { DEAD_LETTER_STREAK } from '../../../src/telemetry/readiness.ts';

function reading(): DeliveryReading {
  return {
    delivered: 0,
    duplicates: 0,
    queuedItems: 0,
    queuedBytes: 0,
    inFlightItems: 0,
    waitingPushes: 0,
    consecutiveFailures: 0,
  };
}

describe('dead-lettering everything', () => {
  it('one exporter: not ready once the streak reaches the limit; ready again as soon as one event is delivered', () => {
    const t = createTelemetry({ now: () => 0 });
    const r = reading();
    const es = t.exporter('es', { read: () => r });
    t.phaseChanged('running');
    r.delivered = 5;
    es.deadLettered(DEAD_LETTER_STREAK - 1);
    expect(t.readiness()).toEqual({ ready: true, reason: 'ready' });
    es.deadLettered();
    expect(t.readiness()).toEqual({
      ready: false,
      reason: `no exporter delivers: es dead-letters everything (the last ${DEAD_LETTER_STREAK} events, none delivered)`,
    });
    expect(progressLine(t.snapshot(), 0, 1000)).toContain(
      `es: delivered 5, dead-lettered ${DEAD_LETTER_STREAK}, dropped 0, queued 0, healthy, DEAD-LETTERS EVERYTHING (the last ${DEAD_LETTER_STREAK} events, none delivered)`,
    );
    r.delivered = 6; // the destination took one again: the streak is over
    expect(t.readiness()).toEqual({ ready: true, reason: 'ready' });
    expect(progressLine(t.snapshot(), 0, 1000)).not.toContain('DEAD-LETTERS');
    es.deadLettered(3); // a new streak starts from there
    expect(t.snapshot().exporters[0].deadLetterStreak).toBe(3);
  });

  it('a duplicate (already stored) ends the streak as a delivery does', () => {
    const t = createTelemetry({ now: () => 0 });
    const r = reading();
    const es = t.exporter('es', { read: () => r });
    t.phaseChanged('running');
    es.deadLettered(DEAD_LETTER_STREAK);
    expect(t.readiness().ready).toBe(false);
    r.duplicates = 1;
    expect(t.readiness().ready).toBe(true);
  });

  it('two exporters, one dead-letters everything: still ready (the other delivers), and the reason names it', () => {
    const t = createTelemetry({ now: () => 0 });
    const a = reading();
    const b = reading();
    const es = t.exporter('es', { read: () => a });
    t.exporter('otlp', { read: () => b });
    t.phaseChanged('running');
    es.deadLettered(DEAD_LETTER_STREAK + 5);
    b.delivered = 200;
    expect(t.readiness()).toEqual({
      ready: true,
      reason: `ready, but es dead-letters everything (the last ${DEAD_LETTER_STREAK + 5} events, none delivered)`,
    });
  });
});
