// Contract: whatever the exporter answers, every accepted item reaches exactly one terminal state
// exactly once (or is handed back by shutdown), and the counts add up:
//   received = delivered + duplicates + deadLettered + droppedTotal (+ returned).

import { describe, expect, it } from 'vitest';
import type { ItemOutcome, SendOutcome } from '../../../src/model/exporter.ts';
import type { DeliveryOptions, WhenFull } from '../../../src/delivery/types.ts';
import type { EcsRecord } from '../../../src/model/records.ts';
import type { FakeClock } from '../../helpers/fake-clock.ts';
import { createFakeExporter } from '../../helpers/fake-exporter.ts';
import { seeded } from '../../helpers/random.ts';
import { setup, track } from '../../helpers/delivery-setup.ts';

const ITEMS = 10_000;

/** A fake destination that answers with a random mix of every outcome, sometimes late. */
function fakeChaosExporter(rand: () => number, clock: FakeClock) {
  const itemOutcome = (): ItemOutcome => {
    const r = rand();
    if (r < 0.55) return { status: 'ok' };
    if (r < 0.65) return { status: 'duplicate' };
    if (r < 0.9) return { status: 'retryable', reason: 'es 429', retryAfterMs: rand() < 0.3 ? 200 : undefined };
    return { status: 'rejected', reason: 'mapper_parsing_exception' };
  };
  return createFakeExporter('fake-chaos', async (batch): Promise<SendOutcome> => {
    if (rand() < 0.5) await clock.sleep(Math.floor(rand() * 40));
    const r = rand();
    if (r < 0.35) return { status: 'ok' };
    if (r < 0.4)
      return { status: 'ok', rejected: Math.floor(rand() * (batch.length + 2)), rejectedReason: 'bad attribute' };
    if (r < 0.55) return { status: 'retryable', reason: 'HTTP 503', retryAfterMs: rand() < 0.3 ? 150 : undefined };
    if (r < 0.6) return { status: 'rejected', reason: 'HTTP 400' };
    if (r < 0.88) return { status: 'partial', items: batch.map(itemOutcome) };
    if (r < 0.93) throw new Error('ECONNRESET');
    if (r < 0.96) return new Promise<SendOutcome>(() => {}); // hangs past sendTimeoutMs
    return { status: 'partial', items: [] } as SendOutcome; // malformed
  });
}

interface Run {
  seed: number;
  whenFull: WhenFull;
  options?: DeliveryOptions<EcsRecord>;
  shutdownAfter?: number; // call shutdown(…) after this many pushes
}

async function runChaos({ seed, whenFull, options, shutdownAfter }: Run) {
  const rand = seeded(seed);
  let clockRef: FakeClock | undefined;
  const fake = fakeChaosExporter(rand, { sleep: (ms: number) => clockRef!.sleep(ms) } as FakeClock);
  const limits = { maxQueueItems: options?.maxQueueItems ?? 300, maxQueueBytes: options?.maxQueueBytes ?? 20_000 };
  const ctx = setup(fake, {
    whenFull,
    maxQueueItems: 300,
    maxQueueBytes: 20_000,
    maxBatchItems: 40,
    maxBatchBytes: 4_000,
    concurrency: 3,
    flushIntervalMs: 25,
    sendTimeoutMs: 500,
    initialBackoffMs: 10,
    maxBackoffMs: 400,
    random: seeded(seed + 1),
    sizeOf: (i) => 20 + ((i.record.doc as { n: number }).n % 7) * 30,
    ...options,
  });
  const { delivery, clock, acks, deadLetter, item } = ctx;
  clockRef = clock;

  let pushed = 0;
  let maxQueued = 0;
  let maxQueuedBytes = 0;
  let refused = 0;
  let report: Promise<Awaited<ReturnType<typeof delivery.shutdown>>> | undefined;
  const producer = (async () => {
    for (let n = 0; n < ITEMS; n++) {
      if (n === shutdownAfter) report = delivery.shutdown(300);
      try {
        await delivery.push(item(n));
        pushed++;
        const st = delivery.stats();
        if (st.queuedItems > maxQueued) maxQueued = st.queuedItems;
        if (st.queuedBytes > maxQueuedBytes) maxQueuedBytes = st.queuedBytes;
      } catch {
        refused++;
      }
      if (rand() < 0.002) void delivery.flush().catch(() => {});
      if (rand() < 0.02) await clock.sleep(Math.floor(rand() * 20)); // bursts, then pauses
    }
  })();
  const produced = track(producer);
  while (!produced.done) await clock.advance(Math.floor(rand() * 30));
  report ??= delivery.shutdown(1e9);
  const finished = track(report);
  await clock.runUntil(() => finished.done, 1_000_000);
  const r = await report;
  return { fake, acks, deadLetter, report: r, pushed, refused, delivery, maxQueued, maxQueuedBytes, limits };
}

function checkAccounting(res: Awaited<ReturnType<typeof runChaos>>) {
  if (process.env.SHOW_STATS) console.log(JSON.stringify(res.report.stats), res.fake.calls.length);
  const { acks, deadLetter, report, fake } = res;
  const s = report.stats;
  const returned = new Set(report.pending.map((i) => i.record.id));

  // Exactly one terminal state per item, or handed back, never both.
  expect(acks.twice()).toEqual([]);
  for (const id of returned) expect(acks.results.has(id)).toBe(false);
  expect(acks.results.size + returned.size).toBe(s.received);
  expect(s.received + res.refused).toBe(ITEMS);

  // The queue stayed within its bounds (memory checked by counts, not RSS).
  expect(res.maxQueued).toBeLessThanOrEqual(res.limits.maxQueueItems);
  expect(res.maxQueuedBytes).toBeLessThanOrEqual(res.limits.maxQueueBytes);
  expect(res.maxQueued).toBeGreaterThan(0);

  // Counts add up.
  expect(s.received).toBe(s.delivered + s.duplicates + s.deadLettered + s.droppedTotal + s.returned);
  expect(s.returned).toBe(returned.size);
  expect(s).toMatchObject({ queuedItems: 0, inFlightItems: 0, inFlightBatches: 0, waitingPushes: 0, hookErrors: 0 });

  // Acks agree with counts. Count-only drops (OTLP partial success) are acked 'delivered'.
  let partialSuccess = 0;
  for (const [reason, n] of Object.entries(s.dropped)) if (reason.startsWith('partial_success: ')) partialSuccess += n;
  expect(acks.count('delivered')).toBe(s.delivered + partialSuccess);
  expect(acks.count('duplicate')).toBe(s.duplicates);
  expect(acks.count('dead_lettered')).toBe(s.deadLettered);
  expect(acks.count('dropped')).toBe(s.dropped.queue_full ?? 0);
  expect(deadLetter.lines).toHaveLength(s.deadLettered);

  // Every item acked delivered/duplicate was answered ok/duplicate by the destination at least once.
  const accepted = new Set(fake.accepted);
  for (const [id, [result]] of acks.results) {
    if (result === 'delivered' || result === 'duplicate') expect(accepted.has(id)).toBe(true);
  }
  // Every dead-lettered item is in the dead letter, exactly once.
  const dl = deadLetter.entries().map((e) => `e${e.origin.line}`);
  expect(new Set(dl).size).toBe(dl.length);
  for (const id of dl) expect(acks.results.get(id)).toEqual(['dead_lettered']);
  return s;
}

describe('delivery contract: random outcomes over 10,000 items', () => {
  it('block: nothing is dropped, every item settles once, counts add up', async () => {
    const res = await runChaos({ seed: 7, whenFull: 'block' });
    const s = checkAccounting(res);
    expect(res.report.drained).toBe(true);
    expect(s.received).toBe(ITEMS);
    expect(s.dropped.queue_full).toBeUndefined();
    // the mix really was exercised
    expect(s.retries).toBeGreaterThan(100);
    expect(s.timeouts).toBeGreaterThan(0);
    expect(s.duplicates).toBeGreaterThan(0);
    expect(s.deadLettered).toBeGreaterThan(0);
  });

  it('drop_newest: drops are counted and acked, counts add up', async () => {
    const res = await runChaos({ seed: 11, whenFull: 'drop_newest' });
    const s = checkAccounting(res);
    expect(s.dropped.queue_full).toBeGreaterThan(0);
  });

  it('bounded retries: give-ups land in the dead letter, counts add up', async () => {
    const res = await runChaos({ seed: 23, whenFull: 'block', options: { maxRetries: 2 } });
    const s = checkAccounting(res);
    expect(res.deadLetter.entries().some((e) => e.reason.startsWith('retries_exhausted: '))).toBe(true);
    expect(s.received).toBe(ITEMS);
  });

  it('shutdown mid-stream: pending items are handed back unacked, later pushes refused, counts add up', async () => {
    const res = await runChaos({
      seed: 5,
      whenFull: 'block',
      shutdownAfter: 6_000,
      options: { maxQueueItems: 2_000, maxBatchItems: 40, initialBackoffMs: 200, maxBackoffMs: 2_000 },
    });
    const s = checkAccounting(res);
    expect(res.refused).toBe(ITEMS - 6_000);
    expect(s.returned).toBeGreaterThan(0);
    expect(res.report.drained).toBe(false);
  });
});
