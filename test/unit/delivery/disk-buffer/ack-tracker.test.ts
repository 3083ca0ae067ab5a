import { describe, expect, it } from 'vitest';
import { createAckTracker } from '../../../../src/delivery/disk-buffer/ack-tracker.ts';

describe('disk buffer ack tracker', () => {
  it('moves only over a contiguous run of acks, in any order', () => {
    const t = createAckTracker(10);
    expect(t.ack(12)).toBe(false);
    expect(t.ack(11)).toBe(false);
    expect(t.position).toBe(10);
    expect(t.waiting).toBe(2);
    expect(t.ack(10)).toBe(true);
    expect(t.position).toBe(13);
    expect(t.waiting).toBe(0);
  });

  it('a shuffled permutation ends at the end, whatever the order', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => i);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    const t = createAckTracker(0);
    let max = 0;
    for (const id of ids) {
      t.ack(id);
      expect(t.position).toBeGreaterThanOrEqual(max);
      max = t.position;
      // the position never passes an id that was not acked
      for (let k = 0; k < t.position; k += 97) expect(t.acked(k)).toBe(true);
    }
    expect(t.position).toBe(1000);
  });

  it('ignores acks below the position; skipTo jumps and keeps later acks', () => {
    const t = createAckTracker(0);
    t.ack(5);
    t.ack(7);
    expect(t.skipTo(5)).toBe(true);
    expect(t.position).toBe(6); // 5 was acked already
    expect(t.ack(2)).toBe(false);
    expect(t.ack(6)).toBe(true);
    expect(t.position).toBe(8);
  });
});
