// Recovery as a pure function of what the buffer directory holds (ack.json and the segment files):
// no files here, the contents are built in memory.

import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../../src/delivery/disk-buffer/framing.ts';
import { planRecovery, scanFrames, type BufferDirContents } from '../../../../src/delivery/disk-buffer/recovery.ts';

const frames = (...payloads: string[]): Buffer => Buffer.concat(payloads.map((p) => encodeFrame(Buffer.from(p))));
const ack = (acked: number) => ({ path: '/buf/ack.json', text: `${JSON.stringify({ acked })}\n` });

/** Earlier segments (only their sizes count) and the last one's bytes. */
function dir(
  ackFile: BufferDirContents['ackFile'],
  earlier: Array<[firstId: number, bytes: number]>,
  last?: [firstId: number, bytes: Buffer],
): BufferDirContents {
  const segments = earlier.map(([firstId, bytes]) => ({ firstId, bytes }));
  if (last !== undefined) segments.push({ firstId: last[0], bytes: last[1].length });
  return { ackFile, segments, lastSegment: last?.[1] };
}

describe('planRecovery', () => {
  it('a torn last frame (a write cut short by kill -9) is cut; every whole record before it is replayed', () => {
    const whole = frames('a', 'b', 'c');
    const torn = Buffer.concat([whole, encodeFrame(Buffer.from('dddddddddd')).subarray(0, 12)]);
    const plan = planRecovery(dir(ack(0), [], [0, torn]));
    expect(plan.cut).toEqual({ kind: 'partial', firstId: 0, offset: whole.length, bytes: 12 });
    expect(plan.keep).toEqual([{ firstId: 0, endId: 3, bytes: whole.length }]);
    expect(plan).toMatchObject({ position: 0, nextId: 3, remove: [] });
  });

  it('a header cut short (fewer than 8 bytes) is a torn tail too', () => {
    const whole = frames('a');
    const plan = planRecovery(dir(ack(0), [], [0, Buffer.concat([whole, Buffer.from([5, 0, 0])])]));
    expect(plan.cut).toMatchObject({ kind: 'partial', offset: whole.length, bytes: 3 });
    expect(plan.nextId).toBe(1);
  });

  it('a wholly acknowledged segment is deleted; replay starts at the acknowledged position inside the next one', () => {
    const last = frames('e', 'f', 'g', 'h');
    const plan = planRecovery(dir(ack(6), [[0, 400]], [4, last]));
    expect(plan.remove).toEqual([0]);
    expect(plan.keep).toEqual([{ firstId: 4, endId: 8, bytes: last.length }]);
    expect(plan).toMatchObject({ position: 6, nextId: 8, cut: undefined });
  });

  it('everything acknowledged: every segment goes, the next record id continues after the last one', () => {
    const plan = planRecovery(dir(ack(8), [[0, 400]], [4, frames('e', 'f', 'g', 'h')]));
    expect(plan).toEqual({ position: 8, nextId: 8, keep: [], remove: [0, 4], cut: undefined });
  });

  it('no ack.json: nothing acknowledged, everything from the first segment left is replayed', () => {
    const last = frames('x', 'y');
    const plan = planRecovery(
      dir(
        undefined,
        [
          [3, 200],
          [5, 300],
        ],
        [9, last],
      ),
    );
    expect(plan.position).toBe(3); // ids below the first segment are gone: acknowledged, or dropped with their segment
    expect(plan.keep).toEqual([
      { firstId: 3, endId: 5, bytes: 200 },
      { firstId: 5, endId: 9, bytes: 300 },
      { firstId: 9, endId: 11, bytes: last.length },
    ]);
    expect(plan).toMatchObject({ nextId: 11, remove: [] });
  });

  it('an empty directory: a new buffer starts at 0; a position saved with no segment left is kept', () => {
    expect(planRecovery(dir(undefined, []))).toEqual({ position: 0, nextId: 0, keep: [], remove: [], cut: undefined });
    expect(planRecovery(dir(ack(42), []))).toEqual({ position: 42, nextId: 42, keep: [], remove: [], cut: undefined });
  });

  it('an empty last segment (opened by a run that wrote nothing) is deleted; an empty one before it stays (its records are missing: the reader reports them)', () => {
    const plan = planRecovery(dir(ack(0), [[0, 0]], [5, Buffer.alloc(0)]));
    expect(plan.remove).toEqual([5]);
    expect(plan.keep).toEqual([{ firstId: 0, endId: 5, bytes: 0 }]);
    expect(plan.nextId).toBe(5);
  });

  it('a frame with a bad checksum still counts (it has an id; the reader skips it), an impossible length ends the segment', () => {
    const good = frames('a', 'b', 'c');
    const flipped = Buffer.from(good);
    flipped[9 + 8] ^= 0xff; // the payload byte of the second frame (frames of 1 byte are 9 bytes long)
    const zeros = Buffer.alloc(16); // length 0: not a frame
    const plan = planRecovery(dir(ack(0), [], [0, Buffer.concat([flipped, zeros])]));
    expect(plan.keep).toEqual([{ firstId: 0, endId: 3, bytes: good.length }]);
    expect(plan.cut).toEqual({ kind: 'bad_length', firstId: 0, offset: good.length, bytes: 16 });
  });

  it('a damaged ack.json is an error naming the file (replaying from 0 could resend everything)', () => {
    const last = frames('a');
    for (const text of ['{"acked": -1}', '{"acked": 1.5}', '{', '']) {
      expect(() => planRecovery(dir({ path: '/buf/ack.json', text }, [], [0, last]))).toThrow(
        /\/buf\/ack\.json: not a valid checkpoint/,
      );
    }
  });
});

describe('scanFrames', () => {
  it('counts whole frames and where they end', () => {
    const buf = frames('one', 'two');
    expect(scanFrames(buf)).toEqual({ frames: 2, validBytes: buf.length, tail: undefined });
    expect(scanFrames(Buffer.alloc(0))).toEqual({ frames: 0, validBytes: 0, tail: undefined });
  });
});
