// Fake exporters for delivery tests (the names say fake). Each records the batches it was sent.

import type { Exporter, ExportItem, ItemOutcome, SendOutcome } from '../../src/model/exporter.ts';
import type { EcsRecord } from '../../src/model/records.ts';
import type { AckResult, DeliveryItem } from '../../src/delivery/types.ts';

export interface FakeCall {
  ids: string[];
  signal: AbortSignal | undefined;
}

export interface FakeExporter extends Exporter<EcsRecord> {
  readonly calls: FakeCall[];
  /** Ids of items answered ok/duplicate at least once, in order of answers. */
  readonly accepted: string[];
}

export type Respond = (
  batch: readonly ExportItem<EcsRecord>[],
  call: number,
  signal?: AbortSignal,
) => SendOutcome | Promise<SendOutcome>;

export function createFakeExporter(name: string, respond: Respond): FakeExporter {
  const calls: FakeCall[] = [];
  const accepted: string[] = [];
  return {
    name,
    target: 'ecs',
    calls,
    accepted,
    start: async () => {},
    shutdown: async () => {},
    async send(batch, signal) {
      calls.push({ ids: batch.map((i) => i.record.id), signal });
      const outcome = await respond(batch, calls.length - 1, signal);
      if (outcome?.status === 'ok') for (const i of batch) accepted.push(i.record.id);
      if (outcome?.status === 'partial' && Array.isArray(outcome.items)) {
        outcome.items.forEach((o, k) => {
          if (o.status === 'ok' || o.status === 'duplicate') accepted.push(batch[k].record.id);
        });
      }
      return outcome;
    },
  };
}

export const fakeOkExporter = (): FakeExporter => createFakeExporter('fake-ok', () => ({ status: 'ok' }));

/** Retryable for the first `failures` calls, then ok. */
export function fakeFlakyExporter(failures: number, retryAfterMs?: number): FakeExporter {
  return createFakeExporter('fake-flaky', (_b, call) =>
    call < failures ? { status: 'retryable', reason: `HTTP 503 (call ${call})`, retryAfterMs } : { status: 'ok' },
  );
}

export const fakeRejectingExporter = (reason = 'HTTP 400: bad request'): FakeExporter =>
  createFakeExporter('fake-rejecting', () => ({ status: 'rejected', reason }));

/** Per-item outcomes from `decide(item, call)`. */
export function fakePartialExporter(decide: (item: ExportItem<EcsRecord>, call: number) => ItemOutcome): FakeExporter {
  return createFakeExporter('fake-partial', (batch, call) => ({
    status: 'partial',
    items: batch.map((i) => decide(i, call)),
  }));
}

export function fakeThrowingExporter(failures: number): FakeExporter {
  return createFakeExporter('fake-throwing', (_b, call) => {
    if (call < failures) throw new Error(`ECONNRESET (call ${call})`);
    return { status: 'ok' };
  });
}

/** Never answers the first `hangs` calls (and ignores the abort signal), then ok. */
export function fakeHangingExporter(hangs: number): FakeExporter {
  return createFakeExporter('fake-hanging', (_b, call) =>
    call < hangs ? new Promise<SendOutcome>(() => {}) : { status: 'ok' },
  );
}

/** A deferred answer the test resolves by hand. */
export function fakeManualExporter(): FakeExporter & { answer(outcome: SendOutcome): void; readonly waiting: number } {
  const pending: ((o: SendOutcome) => void)[] = [];
  const fake = createFakeExporter(
    'fake-manual',
    () =>
      new Promise<SendOutcome>((resolve) => {
        pending.push(resolve);
      }),
  );
  return Object.defineProperties(
    fake as FakeExporter & { answer(outcome: SendOutcome): void; readonly waiting: number },
    {
      answer: {
        value(outcome: SendOutcome) {
          const r = pending.shift();
          if (r === undefined) throw new Error('fake-manual: no send is waiting');
          r(outcome);
        },
      },
      waiting: { get: () => pending.length },
    },
  );
}

export interface Acks {
  readonly results: Map<string, AckResult[]>;
  count(result: AckResult): number;
  /** Ids acked more than once (must be empty). */
  twice(): string[];
}

export function createAcks(): Acks {
  const results = new Map<string, AckResult[]>();
  return {
    results,
    count(result) {
      let n = 0;
      for (const r of results.values()) for (const x of r) if (x === result) n++;
      return n;
    },
    twice() {
      return [...results].filter(([, r]) => r.length > 1).map(([id]) => id);
    },
  };
}

/** Item `n` with id `e<n>`, origin test:n, and an ack recorded in `acks` when given. */
export function makeItem(n: number, acks?: Acks): DeliveryItem<EcsRecord> {
  const item: DeliveryItem<EcsRecord> = {
    record: { id: `e${n}`, kind: 'event', doc: { n, message: 'x'.repeat(10) } },
    origin: { source: 'test', line: n },
  };
  if (acks !== undefined) {
    const id = `e${n}`;
    item.ack = (result) => {
      const r = acks.results.get(id);
      if (r === undefined) acks.results.set(id, [result]);
      else r.push(result);
    };
  }
  return item;
}
