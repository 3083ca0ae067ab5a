import { describe, expect, it } from 'vitest';
import { combineOutcomes } from '../../../../src/exporters/otlp-http/combine-outcomes.ts';

describe('combineOutcomes', () => {
  it('all ok → one ok, partial-success counts summed', () => {
    const c = combineOutcomes(
      4,
      [
        { start: 0, end: 2, outcome: { status: 'ok', rejected: 1, rejectedReason: 'r1' } },
        { start: 2, end: 4, outcome: { status: 'ok', rejected: 2, rejectedReason: 'r2' } },
      ],
      [],
    );
    expect(c).toEqual({ outcome: { status: 'ok', rejected: 3, rejectedReason: 'r1; r2' }, lostRejected: 0 });
  });

  it('all retryable → the first retryable outcome', () => {
    const r = { status: 'retryable' as const, reason: 'HTTP 503', retryAfterMs: 1000 };
    expect(
      combineOutcomes(
        4,
        [
          { start: 0, end: 2, outcome: r },
          { start: 2, end: 4, outcome: r },
        ],
        [],
      ).outcome,
    ).toBe(r);
  });

  it('mixed → partial per item, unsendable rejected, lost partial-success count returned', () => {
    const c = combineOutcomes(
      5,
      [
        { start: 0, end: 2, outcome: { status: 'ok', rejected: 1, rejectedReason: 'x' } },
        { start: 3, end: 5, outcome: { status: 'retryable', reason: 'HTTP 429', retryAfterMs: 5 } },
      ],
      [{ index: 2, reason: 'too big' }],
    );
    expect(c.lostRejected).toBe(1);
    expect(c.outcome).toEqual({
      status: 'partial',
      items: [
        { status: 'ok' },
        { status: 'ok' },
        { status: 'rejected', reason: 'too big' },
        { status: 'retryable', reason: 'HTTP 429', retryAfterMs: 5 },
        { status: 'retryable', reason: 'HTTP 429', retryAfterMs: 5 },
      ],
    });
  });

  it('only unsendable items → partial with all rejected', () => {
    expect(combineOutcomes(1, [], [{ index: 0, reason: 'too big' }]).outcome).toEqual({
      status: 'partial',
      items: [{ status: 'rejected', reason: 'too big' }],
    });
  });
});
