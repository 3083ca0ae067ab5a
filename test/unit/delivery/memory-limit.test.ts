import { describe, expect, it } from 'vitest';
import { createMemoryLimiter, type MemoryLimiter, withMemoryLimit } from '../../../src/delivery/memory-limit.ts';
import { eachRecord } from '../../../src/pipeline/each-record.ts';
import type { InputRecord } from '../../../src/sources/read-records.ts';
import type { RecordStream } from '../../../src/sources/types.ts';

/** A pipeline ingest behind the limiter (as pipeline.ts wires it) that takes records into `got`, in batches or one by one. */
function ingestThrough(l: MemoryLimiter, records: RecordStream, got: number[]): Promise<void> {
  const ingest = withMemoryLimit(
    (rs: RecordStream, opts?: { admit?: (s?: AbortSignal) => Promise<void> | undefined }) =>
      eachRecord(rs, opts ?? {}, (rec) => {
        got.push(rec.origin.line ?? -1);
        return true;
      }),
    l,
  );
  return ingest(records);
}

const rec = (line: number): InputRecord => ({ kind: 'text', text: '{}', origin: { source: 't', line } });

describe('memory limiter', () => {
  it('lets records through at once while under the limit', async () => {
    const l = createMemoryLimiter({ limitBytes: 100, read: () => 50 });
    l.check();
    expect(l.over).toBe(false);
    expect(l.admit()).toBeUndefined();
    const got: number[] = [];
    await ingestThrough(l, [rec(1), rec(2), rec(3)], got);
    expect(got).toEqual([1, 2, 3]);
    expect(l.waits).toBe(0);
    l.stop();
  });

  it('makes admission wait while over the limit and resumes below the resume mark, dropping nothing', async () => {
    let used = 150;
    const changes: boolean[] = [];
    const l = createMemoryLimiter({
      limitBytes: 100,
      resumeRatio: 0.9,
      read: () => used,
      onChange: (w) => changes.push(w),
    });
    l.check();
    expect(l.over).toBe(true);
    const got: number[] = [];
    const consumer = (async () => {
      await ingestThrough(
        l,
        (async function* () {
          yield [rec(1), rec(2)];
          yield rec(3);
        })(),
        got,
      );
    })();
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([]); // waiting before the first record
    used = 95; // under the limit but above the resume mark (90): still waiting
    l.check();
    await new Promise((r) => setImmediate(r));
    expect(l.over).toBe(true);
    expect(got).toEqual([]);
    used = 80;
    l.check();
    await consumer;
    expect(got).toEqual([1, 2, 3]); // every record, in order
    expect(changes).toEqual([true, false]);
    expect(l.waits).toBe(1);
    l.stop();
  });

  it('resumes over the limit once the deliveries have drained (waiting longer frees nothing)', async () => {
    let drained = false;
    const l = createMemoryLimiter({ limitBytes: 100, read: () => 500, drained: () => drained });
    l.check();
    const wait = l.admit();
    expect(wait).toBeInstanceOf(Promise);
    let resumed = false;
    void wait!.then(() => {
      resumed = true;
    });
    l.check();
    await new Promise((r) => setImmediate(r));
    expect(resumed).toBe(false);
    drained = true;
    l.check();
    await new Promise((r) => setImmediate(r));
    expect(resumed).toBe(true);
    l.stop();
  });

  it('stops waiting when the source is stopped (signal) or the limiter stops', async () => {
    const l = createMemoryLimiter({ limitBytes: 100, read: () => 500 });
    l.check();
    const ac = new AbortController();
    const w = l.admit(ac.signal)!;
    ac.abort();
    await w;
    const w2 = l.admit()!;
    l.stop();
    await w2;
    expect(l.over).toBe(false);
  });

  it('samples memory only while a source reads, and checks at once when one starts', async () => {
    let reads = 0;
    const l = createMemoryLimiter({
      limitBytes: 100,
      read: () => {
        reads++;
        return 500;
      },
      drained: () => true,
    });
    expect(reads).toBe(0);
    const got: number[] = [];
    await ingestThrough(l, [rec(1), rec(2)], got); // over at start, drained: resumes on the next check
    expect(got).toEqual([1, 2]);
    expect(reads).toBeGreaterThan(0);
    l.stop();
  });

  it('is off with a limit of 0', () => {
    const l = createMemoryLimiter({ limitBytes: 0, read: () => 1e12 });
    l.check();
    expect(l.over).toBe(false);
    expect(l.admit()).toBeUndefined();
    l.stop();
  });
});
