// Wires a delivery to a fake exporter, a fake clock, a memory dead letter and recorders.

import { createDelivery } from '../../src/delivery/delivery.ts';
import { createMemoryDeadLetter, deadLetterHook } from '../../src/delivery/dead-letter.ts';
import type { Delivery, DeliveryItem, DeliveryOptions, HealthState, StateDetail } from '../../src/delivery/types.ts';
import type { EcsRecord } from '../../src/model/records.ts';
import { createFakeClock } from './fake-clock.ts';
import { createAcks, makeItem, type FakeExporter } from './fake-exporter.ts';

export interface DropCall {
  reason: string;
  count: number;
  id: string | undefined;
}

export function setup(exporter: FakeExporter, options: DeliveryOptions<EcsRecord> = {}) {
  const clock = createFakeClock(1_000);
  const acks = createAcks();
  const deadLetter = createMemoryDeadLetter();
  const drops: DropCall[] = [];
  const states: [HealthState, StateDetail][] = [];
  const delivery: Delivery<EcsRecord> = createDelivery(
    exporter,
    {
      clock,
      random: () => 0.5,
      flushIntervalMs: 1_000,
      initialBackoffMs: 100,
      maxBackoffMs: 10_000,
      backoffMultiplier: 2,
      sizeOf: () => 100,
      ...options,
    },
    {
      onDeadLetter: deadLetterHook(deadLetter, exporter.name),
      onDrop: (reason, count, item) => {
        drops.push({ reason, count, id: item?.record.id });
      },
      onStateChange: (state, detail) => {
        states.push([state, detail]);
      },
    },
  );
  const item = (n: number): DeliveryItem<EcsRecord> => makeItem(n, acks);
  /** Push items [from, to) without awaiting (none may block). */
  const pushRange = (from: number, to: number): Promise<void>[] => {
    const out: Promise<void>[] = [];
    for (let n = from; n < to; n++) out.push(delivery.push(item(n)));
    return out;
  };
  return { delivery, clock, acks, deadLetter, drops, states, item, pushRange };
}

/** Track whether a promise settled, without awaiting it. */
export function track<T>(p: Promise<T>): { readonly done: boolean; readonly failed: unknown } {
  const s = { done: false, failed: undefined as unknown };
  p.then(
    () => {
      s.done = true;
    },
    (err) => {
      s.done = true;
      s.failed = err;
    },
  );
  return s;
}

export function ids(n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) => `e${from + i}`);
}
