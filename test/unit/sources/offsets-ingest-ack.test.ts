// The record-level ack through ingest: once per record, when every route it was pushed to settled
// it; at once for rejected input and for events every filter excluded.

import { describe, expect, it } from 'vitest';
import { createDelivery } from '../../../src/delivery/index.ts';
import type { Exporter, SendOutcome } from '../../../src/model/exporter.ts';
import { createIngest, type IngestRoute } from '../../../src/pipeline/ingest.ts';
import type { InputRecord } from '../../../src/sources/read-records.ts';
import { testMapper } from '../../helpers/samples.ts';
import { eventLine, until } from '../../helpers/file-source-harness.ts';

function fakeRoute(
  name: string,
  state: { down: boolean },
  accepts?: IngestRoute['accepts'],
): IngestRoute & { sent: number } {
  const route = {
    sent: 0,
    accepts,
    exporter: {
      name,
      target: 'ecs',
      async start() {},
      async shutdown() {},
      async send(batch): Promise<SendOutcome> {
        if (state.down) return { status: 'retryable', reason: `${name} is down` };
        route.sent += batch.length;
        return { status: 'ok' };
      },
    } as Exporter,
    delivery: undefined as unknown as IngestRoute['delivery'],
  };
  route.delivery = createDelivery(route.exporter, { flushIntervalMs: 5, initialBackoffMs: 10, maxBackoffMs: 20 });
  return route;
}

function records(texts: string[], acked: number[]): InputRecord[] {
  return texts.map((text, i) => ({
    kind: 'text',
    text,
    origin: { source: 'f', line: i + 1 },
    ack: () => {
      acked[i] = (acked[i] ?? 0) + 1;
    },
  }));
}

describe('ingest: record acks', () => {
  it('fires once per record after every route delivered it; at once for bad input', async () => {
    const a = { down: false };
    const b = { down: true };
    const ra = fakeRoute('fake-a', a);
    const rb = fakeRoute('fake-b', b);
    const ingest = createIngest({
      mapper: testMapper(),
      routes: [ra, rb],
      counts: { received: 0, mapped: 0, rejected: 0, filteredOut: 0 },
      reject() {},
      lateRefusal() {},
    });
    const acked: number[] = [];
    await ingest(records([eventLine(0), 'not json', eventLine(1), '{"foo":1}'], acked));
    await until(() => ra.sent === 2, 4000, 'route a delivered');
    await new Promise((r) => setTimeout(r, 100));
    expect(acked).toEqual([undefined, 1, undefined, 1]); // b is retrying: the events are not settled
    b.down = false;
    await until(() => rb.sent === 2, 4000, 'route b delivered');
    await until(() => acked[0] === 1 && acked[2] === 1, 4000, 'settled');
    await ra.delivery.shutdown(1000);
    await rb.delivery.shutdown(1000);
    expect(acked).toEqual([1, 1, 1, 1]);
  });

  it('a route whose filter excludes the event does not hold it; excluded by all: settled at once', async () => {
    const up = { down: false };
    const down = { down: true };
    const never = () => false;
    const ra = fakeRoute('fake-all', up);
    const rb = fakeRoute('fake-none', down, never); // down, but it never wants anything
    const ingest = createIngest({
      mapper: testMapper(),
      routes: [ra, rb],
      counts: { received: 0, mapped: 0, rejected: 0, filteredOut: 0 },
      reject() {},
      lateRefusal() {},
    });
    const acked: number[] = [];
    await ingest(records([eventLine(0)], acked));
    await until(() => acked[0] === 1, 4000, 'settled by route a alone');
    const onlyFiltered = createIngest({
      mapper: testMapper(),
      routes: [rb],
      counts: { received: 0, mapped: 0, rejected: 0, filteredOut: 0 },
      reject() {},
      lateRefusal() {},
    });
    const acked2: number[] = [];
    await onlyFiltered(records([eventLine(1)], acked2));
    expect(acked2).toEqual([1]);
    await ra.delivery.shutdown(1000);
    await rb.delivery.shutdown(100);
    expect(acked).toEqual([1]);
  });
});
