// `workers: N` pieces on the main thread: chunking, the crossing form (what goes to a worker and
// comes back), and the pooled ingest's order and read-ahead bound, with a fake pool.

import { describe, expect, it } from 'vitest';
import type { DeliveryItem } from '../../../src/delivery/index.ts';
import { encodedRecordFrom } from '../../../src/exporters/otlp-http/encode-log-record.ts';
import { compileFilter } from '../../../src/mapping/event-filter.ts';
import { loadMappingTables } from '../../../src/mapping/load.ts';
import type { Exporter } from '../../../src/model/exporter.ts';
import type { EcsRecord, OtelRecord, TraceeRecord } from '../../../src/model/records.ts';
import type { IngestDeps, IngestRoute } from '../../../src/pipeline/ingest.ts';
import { planRoutes } from '../../../src/pipeline/ingest-routes.ts';
import { processRecord, type Processed } from '../../../src/pipeline/process-record.ts';
import { ChunkCutter, chunkWhere, OTHER_RECORD_BYTES, type Chunk } from '../../../src/pipeline/workers/chunks.ts';
import {
  decodeChunk,
  decodeResults,
  encodeChunk,
  encodeResults,
  ResourceInterner,
} from '../../../src/pipeline/workers/crossing.ts';
import { createPooledIngest } from '../../../src/pipeline/workers/pooled-ingest.ts';
import type { InputRecord } from '../../../src/sources/read-records.ts';
import { parseLossless } from '../../../src/util/lossless-json.ts';
import { eventLine } from '../../helpers/file-source-harness.ts';
import { testMapper } from '../../helpers/samples.ts';

const text = (line: number, t: string): InputRecord => ({ kind: 'text', text: t, origin: { source: 'f', line } });

describe('workers: chunks', () => {
  it('cuts at maxRecords and at maxBytes; other records ride along in place; the chunk says where it came from', () => {
    const cut = new ChunkCutter({ maxRecords: 3, maxBytes: 2000 });
    expect(cut.add(text(1, 'ab'))).toBeUndefined();
    expect(
      cut.add({ kind: 'error', code: 'invalid_utf8', reason: 'x', origin: { source: 'f', line: 2 } }),
    ).toBeUndefined();
    const c1 = cut.add(text(3, 'cd')) as Chunk;
    expect(c1.records.map((r) => r.origin.line)).toEqual([1, 2, 3]);
    expect(c1.texts).toEqual(['ab', 'cd']);
    // a record that is not a line counts 1 KiB: a stream of parsed values is bounded too
    expect(c1.bytes).toBe(4 + OTHER_RECORD_BYTES);
    expect(chunkWhere(c1)).toBe('f:1-3');
    // 2000 bytes of text fill a chunk before 3 records
    expect(cut.add(text(4, 'x'.repeat(1200)))).toBeUndefined();
    const c2 = cut.add(text(5, 'y'.repeat(800))) as Chunk;
    expect(c2.texts).toEqual(['x'.repeat(1200), 'y'.repeat(800)]);
    expect(cut.add(text(6, 'z'))).toBeUndefined();
    expect(cut.pending).toBe(1);
    expect(cut.flush()?.texts).toEqual(['z']);
    expect(cut.flush()).toBeUndefined();
  });
});

describe('workers: crossing', () => {
  it('sends the texts as they are, whatever they hold', () => {
    const texts = ['{"a":1}', '', 'é€😀\n\r', 'x'.repeat(5000)];
    const { msg } = encodeChunk(7, texts);
    expect(decodeChunk(structuredClone(msg))).toEqual(texts);
  });

  const tables = loadMappingTables();
  const fake = (target: Exporter['target']): Exporter => ({
    name: target,
    target,
    async start() {},
    async shutdown() {},
    async send() {
      return { status: 'ok' };
    },
  });

  it('ECS, OTel and Tracee results come back as the main thread would have mapped them, rejects with their reason', () => {
    const mapper = testMapper();
    const routes = [
      { exporter: fake('ecs'), mapper },
      { exporter: fake('otel'), mapper },
      { exporter: fake('tracee'), mapper },
    ];
    const plan = planRoutes(routes, mapper);
    const lines = [eventLine(1), '{not json', eventLine(2), eventLine(3)];
    const here = lines.map((t) => processRecord(plan, { kind: 'text', text: t }));
    const { msg, transfer } = encodeResults(1, plan, here);
    expect(transfer.length).toBeGreaterThan(0);
    // what a postMessage does to it
    const back = decodeResults(structuredClone(msg), plan, new ResourceInterner());
    expect(back.map((p) => p.kind)).toEqual(['mapped', 'reject', 'mapped', 'mapped']);
    expect(back[1]).toEqual(here[1]);
    for (const i of [0, 2, 3]) {
      const a = here[i] as Extract<Processed, { kind: 'mapped' }>;
      const b = back[i] as Extract<Processed, { kind: 'mapped' }>;
      expect(b.to).toEqual(a.to);
      const [ea, oa, ta] = a.mapped as [EcsRecord, OtelRecord, TraceeRecord];
      const [eb, ob, tb] = b.mapped as [EcsRecord, OtelRecord, TraceeRecord];
      // ECS: the same document text (crossed as text, not as objects) and id
      expect(eb.json).toBe(ea.json);
      expect(eb.id).toBe(ea.id);
      expect(eb.kind).toBe(ea.kind);
      expect(eb.doc).toEqual(ea.doc);
      expect(ob).toEqual(oa);
      expect(typeof ob.timeUnixNano).toBe('bigint');
      expect(tb).toEqual(ta);
    }
    // one resource object per workload key, as the mapper hands out (the OTLP exporters group by it)
    const res = [0, 2, 3].map(
      (i) => ((back[i] as Extract<Processed, { kind: 'mapped' }>).mapped[1] as OtelRecord).resource,
    );
    expect(res[1]).toBe(res[0]);
    expect(res[2]).toBe(res[0]);
  });

  it('OTel records of a slot whose queues take bytes cross as their LogRecord bytes: the same bytes, times, severity and resource', () => {
    const mapper = testMapper();
    const plan = planRoutes([{ exporter: fake('otel'), mapper, mapsEncoded: true }], mapper);
    expect(plan.slots[0].encoded).toBe(true);
    const lines = [eventLine(1), '{not json', eventLine(2), eventLine(3)];
    const here = lines.map((t) => processRecord(plan, { kind: 'text', text: t }));
    // a record whose times a fixed64 cannot say (kept beside its bytes)
    const a0 = (here[0] as Extract<Processed, { kind: 'mapped' }>).mapped[0] as OtelRecord;
    const odd = encodedRecordFrom(a0.resource, Uint8Array.from(a0.encoded ?? []), {
      ...a0,
      timeUnixNano: -5n,
      observedTimeUnixNano: 1n << 64n,
    });
    here.push({ kind: 'mapped', to: [0], excluded: undefined, mapped: [odd] });
    const { msg } = encodeResults(1, plan, here);
    expect(msg.slots[0].target).toBe('otel-bytes');
    const back = decodeResults(structuredClone(msg), plan, new ResourceInterner());
    expect(back.map((p) => p.kind)).toEqual(['mapped', 'reject', 'mapped', 'mapped', 'mapped']);
    for (const i of [0, 2, 3, 4]) {
      const a = (here[i] as Extract<Processed, { kind: 'mapped' }>).mapped[0] as OtelRecord;
      const b = (back[i] as Extract<Processed, { kind: 'mapped' }>).mapped[0] as OtelRecord;
      expect(Buffer.from(b.encoded ?? []).equals(Buffer.from(a.encoded ?? []))).toBe(true);
      expect([b.timeUnixNano, b.observedTimeUnixNano]).toEqual([a.timeUnixNano, a.observedTimeUnixNano]);
      expect([b.severityNumber, b.severityText, b.eventName]).toEqual([a.severityNumber, a.severityText, a.eventName]);
      expect(b.resource.attributes).toEqual(a.resource.attributes);
      expect(JSON.parse(JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)))).toEqual(
        JSON.parse(JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))),
      );
    }
    const b4 = (back[4] as Extract<Processed, { kind: 'mapped' }>).mapped[0] as OtelRecord;
    expect([b4.timeUnixNano, b4.observedTimeUnixNano]).toEqual([-5n, 1n << 64n]);
    // one resource object per workload key, as the mapper hands out
    const res = [0, 2, 3].map(
      (i) => ((back[i] as Extract<Processed, { kind: 'mapped' }>).mapped[0] as OtelRecord).resource,
    );
    expect(res[1]).toBe(res[0]);
  });

  it('with filters: which routes each record goes to, and a record every filter excluded', () => {
    const mapper = testMapper();
    const name = (JSON.parse(eventLine(1)) as { eventName?: string; name?: string }).eventName ?? 'x';
    const routes = [
      { exporter: fake('ecs'), mapper, accepts: compileFilter({ exclude_event_names: [name] }, tables.lookups, 'f') },
      { exporter: fake('ecs'), mapper },
    ];
    const plan = planRoutes(routes, mapper);
    const excludedEverywhere = planRoutes([routes[0]], mapper);
    const here = [processRecord(plan, { kind: 'text', text: eventLine(1) })];
    const back = decodeResults(structuredClone(encodeResults(1, plan, here).msg), plan, new ResourceInterner());
    expect(back[0]).toMatchObject({ kind: 'mapped', to: [1], excluded: [0] });
    const none = [processRecord(excludedEverywhere, { kind: 'text', text: eventLine(1) })];
    const back2 = decodeResults(
      structuredClone(encodeResults(1, excludedEverywhere, none).msg),
      excludedEverywhere,
      new ResourceInterner(),
    );
    expect(back2[0]).toEqual({ kind: 'filtered', excluded: [0] });
  });
});

/** A route whose delivery records what was pushed (and acks it at once). */
function recordingDeps(): { deps: IngestDeps; pushed: string[] } {
  const pushed: string[] = [];
  const exporter: Exporter = {
    name: 'rec',
    target: 'ecs',
    async start() {},
    async shutdown() {},
    async send() {
      return { status: 'ok' };
    },
  };
  const route: IngestRoute = {
    exporter,
    delivery: {
      push: async (item: DeliveryItem) => {
        pushed.push(`${item.origin.line}`);
        item.ack?.('delivered');
      },
    } as unknown as IngestRoute['delivery'],
  };
  const deps: IngestDeps = {
    mapper: testMapper(),
    routes: [route],
    counts: { received: 0, mapped: 0, rejected: 0, filteredOut: 0 },
    reject() {},
    lateRefusal() {},
  };
  return { deps, pushed };
}

describe('workers: the pooled ingest', () => {
  it('pushes in input order when the pool answers chunks out of order', async () => {
    const { deps, pushed } = recordingDeps();
    const plan = planRoutes(deps.routes, deps.mapper);
    const waiting: Array<{ chunk: Chunk; resolve(p: Processed[]): void }> = [];
    const pool = {
      submit: (chunk: Chunk) =>
        new Promise<Processed[]>((resolve) => {
          waiting.push({ chunk, resolve });
          // answer the chunks in reverse order once four are in flight
          if (waiting.length === 4)
            for (const w of waiting.reverse())
              w.resolve(w.chunk.texts.map((t) => processRecord(plan, { kind: 'text', text: t })));
        }),
    };
    const ingest = createPooledIngest(deps, pool, 2, { chunk: { maxRecords: 5 }, maxInFlightBytes: 1 << 30 }, plan);
    const recs: InputRecord[] = [];
    for (let i = 1; i <= 20; i++) recs.push(text(i, i === 7 ? '{bad' : eventLine(i)));
    const res = await ingest(recs);
    expect(res).toMatchObject({ accepted: 19, rejectedCount: 1 });
    expect(pushed).toEqual(recs.map((r) => String(r.origin.line)).filter((l) => l !== '7'));
    expect(deps.counts).toMatchObject({ received: 20, mapped: 19 });
  });

  it('reads at most maxInFlightBytes ahead of what was pushed', async () => {
    const { deps } = recordingDeps();
    const plan = planRoutes(deps.routes, deps.mapper);
    const held: Array<() => void> = [];
    const pool = {
      submit: (chunk: Chunk) =>
        new Promise<Processed[]>((resolve) => {
          held.push(() => resolve(chunk.texts.map((t) => processRecord(plan, { kind: 'text', text: t }))));
        }),
    };
    const line = eventLine(1);
    const ingest = createPooledIngest(
      deps,
      pool,
      1,
      { chunk: { maxRecords: 4 }, maxInFlightBytes: 8 * line.length },
      plan,
    );
    let read = 0;
    function* source(): Generator<InputRecord> {
      for (let i = 1; i <= 100; i++) {
        read++;
        yield text(i, line);
      }
    }
    const done = ingest(source());
    await new Promise((r) => setTimeout(r, 50));
    // 2 chunks of 4 fit in the bound; the 3rd chunk's records are read, then reading waits
    expect(read).toBeLessThanOrEqual(12);
    expect(held.length).toBeLessThanOrEqual(3);
    while ((await Promise.race([done.then(() => true), new Promise((r) => setTimeout(() => r(false), 5))])) === false)
      held.shift()?.();
    expect((await done).accepted).toBe(100);
    expect(read).toBe(100);
  });

  it('records that are not lines (parsed values) count toward the read-ahead bound too', async () => {
    const { deps } = recordingDeps();
    const plan = planRoutes(deps.routes, deps.mapper);
    // the exporter's queue is full: each push waits until released
    const waiting: Array<() => void> = [];
    deps.routes[0].delivery.push = (item: DeliveryItem) =>
      new Promise<void>((resolve) => {
        waiting.push(() => {
          item.ack?.('delivered');
          resolve();
        });
      });
    const pool = {
      submit: async (chunk: Chunk) => chunk.texts.map((t) => processRecord(plan, { kind: 'text', text: t })),
    };
    const ingest = createPooledIngest(deps, pool, 1, { chunk: { maxRecords: 4 }, maxInFlightBytes: 8 * 1024 }, plan);
    const { value, marked } = parseLossless(eventLine(1));
    let read = 0;
    function* source(): Generator<InputRecord> {
      for (let i = 1; i <= 1000; i++) {
        read++;
        yield { kind: 'value', value, marked, origin: { source: 'doc', line: i } };
      }
    }
    const done = ingest(source());
    await new Promise((r) => setTimeout(r, 50));
    // 8 KiB = 8 records of 1 KiB read ahead, plus the chunk being cut and the one being pushed
    expect(read).toBeLessThanOrEqual(20);
    while ((await Promise.race([done.then(() => true), new Promise((r) => setTimeout(() => r(false), 1))])) === false)
      while (waiting.length > 0) waiting.shift()?.();
    expect((await done).accepted).toBe(1000);
  });

  it("a chunk's buffers go back to the pool only when every push of the call settled", async () => {
    const { deps } = recordingDeps();
    const plan = planRoutes(deps.routes, deps.mapper);
    const taken: Processed[][] = [];
    const pool = {
      submit: async (chunk: Chunk) => chunk.texts.map((t) => processRecord(plan, { kind: 'text', text: t })),
      taken: (r: Processed[]) => {
        taken.push(r);
      },
    };
    // pushes taken at once: every chunk is handed back
    const quick = createPooledIngest(deps, pool, 1, { chunk: { maxRecords: 2 } }, plan);
    const res = await quick([1, 2, 3, 4, 5].map((i) => text(i, eventLine(i))));
    expect(res.accepted).toBe(5);
    expect(taken.length).toBe(3);
    // the stop comes while a push waits for room: that push is still pending (a late refusal will
    // read its item), so the chunk holding it is not handed back
    taken.length = 0;
    let release!: () => void;
    deps.routes[0].delivery.push = (item: DeliveryItem) =>
      item.origin.line === 3
        ? new Promise<void>((resolve) => {
            release = resolve;
          })
        : Promise.resolve();
    const stop = new AbortController();
    const slow = createPooledIngest(deps, pool, 1, { chunk: { maxRecords: 2 } }, plan);
    const done = slow(
      [1, 2, 3, 4].map((i) => text(i, eventLine(i))),
      { signal: stop.signal, refuseRestAs: 'stopped' },
    );
    await new Promise((r) => setTimeout(r, 30));
    stop.abort();
    await done;
    expect(taken.length).toBe(1); // the first chunk (lines 1-2); not the one whose push is pending
    release();
  });

  it('a chunk that does not fill is taken after flushMs (a followed source is not held back)', async () => {
    const { deps, pushed } = recordingDeps();
    const plan = planRoutes(deps.routes, deps.mapper);
    const pool = {
      submit: async (chunk: Chunk) => chunk.texts.map((t) => processRecord(plan, { kind: 'text', text: t })),
    };
    const ingest = createPooledIngest(deps, pool, 1, { flushMs: 5 }, plan);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    async function* source(): AsyncGenerator<InputRecord> {
      yield text(1, eventLine(1));
      yield text(2, eventLine(2));
      await gate; // the source waits for more input
      yield text(3, eventLine(3));
    }
    const done = ingest(source());
    await new Promise((r) => setTimeout(r, 100));
    expect(pushed).toEqual(['1', '2']);
    release();
    await done;
    expect(pushed).toEqual(['1', '2', '3']);
  });
});
