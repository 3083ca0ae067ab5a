// ingest, found in review: each case failed before its fix.

import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createDelivery, type Delivery } from '../../../src/delivery/index.ts';
import type { Exporter } from '../../../src/model/exporter.ts';
import { createIngest } from '../../../src/pipeline/ingest.ts';
import type { InputRecord } from '../../../src/sources/read-records.ts';
import { testMapper } from '../../helpers/samples.ts';
import { eventLine } from '../../helpers/file-source-harness.ts';

const fakeOk: Exporter = {
  name: 'fake-ok',
  target: 'ecs',
  async start() {},
  async shutdown() {},
  async send() {
    return { status: 'ok' };
  },
};

describe('ingest: the stop signal', () => {
  it('leaves no listener behind on a long-lived signal (one ingest call per file opened, for the whole run)', async () => {
    const delivery = createDelivery(fakeOk, { flushIntervalMs: 5 });
    const ingest = createIngest({
      mapper: testMapper(),
      routes: [{ exporter: fakeOk, delivery }],
      counts: { received: 0, mapped: 0, rejected: 0, filteredOut: 0 },
      reject() {},
      lateRefusal() {},
    });
    const stop = new AbortController();
    for (let i = 0; i < 20; i++) {
      const recs: InputRecord[] = [{ kind: 'text', text: eventLine(i), origin: { source: `file-${i}`, line: 1 } }];
      const r = await ingest(recs, { signal: stop.signal });
      expect(r.accepted).toBe(1);
    }
    expect(getEventListeners(stop.signal, 'abort').length).toBe(0);
    await delivery.shutdown(1000);
  });
});

describe('ingest: rejections on a long-lived stream', () => {
  it('counts every rejection but lists none with listRejections: false (a pull source would keep them for the whole run)', async () => {
    const delivery = createDelivery(fakeOk, { flushIntervalMs: 5 });
    const rejectedSeen: string[] = [];
    const ingest = createIngest({
      mapper: testMapper(),
      routes: [{ exporter: fakeOk, delivery }],
      counts: { received: 0, mapped: 0, rejected: 0, filteredOut: 0 },
      reject(origin) {
        rejectedSeen.push(`${origin.source}:${origin.line}`);
      },
      lateRefusal() {},
    });
    const recs = (): InputRecord[] => [
      { kind: 'text', text: '{not json', origin: { source: 's', line: 1 } },
      { kind: 'text', text: eventLine(1), origin: { source: 's', line: 2 } },
      { kind: 'text', text: '[]', origin: { source: 's', line: 3 } },
    ];
    const quiet = await ingest(recs(), { listRejections: false });
    expect(quiet).toMatchObject({ accepted: 1, rejected: [], rejectedCount: 2 });
    const listed = await ingest(recs());
    expect(listed.rejectedCount).toBe(2);
    expect(listed.rejected.map((r) => r.origin.line)).toEqual([1, 3]);
    // either way each rejection reached the reject hook (log + dead letter)
    expect(rejectedSeen).toEqual(['s:1', 's:3', 's:1', 's:3']);
    await delivery.shutdown(1000);
  });
});

describe('ingest: a route that refuses a push while running', () => {
  it('reports the refusal, leaves the record unacknowledged and goes on with the next record', async () => {
    const ok = createDelivery(fakeOk, { flushIntervalMs: 5 });
    let calls = 0;
    // a disk buffer whose write fails on the first event only
    const failing: Delivery = {
      push: () => (calls++ === 0 ? Promise.reject(new Error('ENOSPC: no space left on device')) : Promise.resolve()),
      flush: () => Promise.resolve(),
      shutdown: async () => ({ drained: true, pending: [], stats: ok.stats() }),
      stats: () => ok.stats(),
    };
    const refused: string[] = [];
    const ingest = createIngest({
      mapper: testMapper(),
      routes: [
        { exporter: fakeOk, delivery: ok },
        { exporter: { ...fakeOk, name: 'fake-disk' }, delivery: failing },
      ],
      counts: { received: 0, mapped: 0, rejected: 0, filteredOut: 0 },
      reject() {},
      lateRefusal() {},
      pushFailed(route, item, err) {
        refused.push(`${route.exporter.name} ${item.origin.line} ${err.message}`);
      },
    });
    const acked: number[] = [];
    const recs: InputRecord[] = [1, 2].map((n) => ({
      kind: 'text',
      text: eventLine(n),
      origin: { source: 's', line: n },
      ack: () => {
        acked.push(n);
      },
    }));
    const r = await ingest(recs, { signal: new AbortController().signal });
    expect(r).toMatchObject({ accepted: 1, refused: 1, interrupted: false });
    await ok.flush();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(refused).toEqual(['fake-disk 1 ENOSPC: no space left on device']);
    expect(acked).toEqual([]); // record 2: the failing route never acks in this fake; record 1: refused
    await ok.shutdown(1000);
  });
});
