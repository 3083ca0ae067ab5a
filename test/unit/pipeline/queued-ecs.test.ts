// ECS routes queue their records as JSON bytes (src/pipeline/queued-ecs.ts, src/model/ecs-bytes.ts).

import fs from 'node:fs';
import zlib from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDeadLetterLine } from '../../../src/delivery/dead-letter.ts';
import type { Delivery, DeliveryItem } from '../../../src/delivery/index.ts';
import { createConsoleExporter } from '../../../src/exporters/console/exporter.ts';
import { ecsMessage } from '../../../src/exporters/kafka/messages.ts';
import { EcsBytesRecord, ecsNdjsonBytes } from '../../../src/model/ecs-bytes.ts';
import { EcsJsonRecord } from '../../../src/mapping/ecs-json.ts';
import type { EcsRecord } from '../../../src/model/records.ts';
import { ecsBytesDelivery, ecsTextDelivery } from '../../../src/pipeline/queued-ecs.ts';
import { Readable } from 'node:stream';
import { parseRunConfig } from '../../../src/config/run-config.ts';
import type { Exporter } from '../../../src/model/exporter.ts';
import type { ExporterFactory } from '../../../src/exporters/registry.ts';
import { createPipeline } from '../../../src/pipeline/pipeline.ts';
import { queuedItemSize } from '../../../src/pipeline/queued-item.ts';
import { recordingDelivery } from '../../helpers/recording-delivery.ts';
import { decodeText } from '../../../src/normalize/decode.ts';
import { DNS_CAPTURE, sharedSamples, testMapper } from '../../helpers/samples.ts';

/** ECS records of the real samples, as the mapper writes them (JSON text). */
function mappedSamples(n: number): EcsRecord[] {
  const mapper = testMapper();
  const out: EcsRecord[] = [];
  for (const s of sharedSamples(3))
    for (const line of s.records) {
      const ev = decodeText(line);
      if (ev.ok && out.length < n) out.push(mapper.toEcsJson(ev.event));
    }
  return out;
}

const docOf = (id: string, text: string): EcsRecord => ({
  id,
  kind: 'event',
  doc: { message: text, event: { kind: 'event' } },
});

describe('ECS records wait in the queue as JSON bytes', () => {
  it('pushed and reserved items carry the same id, kind, JSON text and document, as bytes', async () => {
    const recs = mappedSamples(12);
    expect(recs.length).toBe(12);
    const { d, pushed } = recordingDelivery(true);
    const q = ecsBytesDelivery(d);
    for (const [i, r] of recs.entries())
      await (i % 2
        ? q.reserve!({ record: r, origin: { source: 's' } })
        : q.push({ record: r, origin: { source: 's' } }));
    for (const [i, item] of pushed.entries()) {
      const got = item.record as EcsRecord;
      expect(got).toBeInstanceOf(EcsBytesRecord);
      expect(got.id).toBe(recs[i].id);
      expect(got.kind).toBe(recs[i].kind);
      expect(got.json).toBe(recs[i].json);
      expect(got.doc).toEqual(recs[i].doc);
      // no own property holds the text: it is not a V8 string while it waits
      expect(Object.values(got).some((v) => typeof v === 'string' && v.length > 100)).toBe(false);
    }
    expect(ecsBytesDelivery(recordingDelivery(false).d).reserve).toBeUndefined();
  });

  it('a record with only a document is serialized; non-ASCII text survives; one that cannot be serialized stays as it is', async () => {
    const { d, pushed } = recordingDelivery(false);
    const q = ecsBytesDelivery(d);
    const plain = docOf('a', 'ü😀 \u2028 "quoted"');
    await q.push({ record: plain, origin: { source: 's' } });
    expect((pushed[0].record as EcsRecord).json).toBe(JSON.stringify(plain.doc));
    expect((pushed[0].record as EcsRecord).doc).toEqual(plain.doc);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad: EcsRecord = { id: 'b', kind: 'event', doc: cyclic };
    await q.push({ record: bad, origin: { source: 's' } });
    expect(pushed[1].record).toBe(bad);
  });

  it('the same record pushed to two routes is encoded once', async () => {
    const [rec] = mappedSamples(1);
    const a = recordingDelivery(false);
    const b = recordingDelivery(false);
    await ecsBytesDelivery(a.d).push({ record: rec, origin: { source: 's' } });
    await ecsBytesDelivery(b.d).push({ record: rec, origin: { source: 's' } });
    expect(a.pushed[0].record).toBe(b.pushed[0].record);
  });

  it('a record carrying bytes of its own (a worker chunk) is copied: the queue never reads its buffer again', async () => {
    const text = JSON.stringify(docOf('w', 'from a worker').doc);
    const chunk = new ArrayBuffer(4096);
    const n = Buffer.from(chunk).write(text, 100, 'utf8');
    const rec = new EcsBytesRecord('w', 'alert', new Uint8Array(chunk, 100, n));
    const { d, pushed } = recordingDelivery(false);
    await ecsBytesDelivery(d).push({ record: rec, origin: { source: 's' } });
    // the buffer is moved away (what handing it back to the worker does): the queued copy is intact
    structuredClone(chunk, { transfer: [chunk] });
    expect(() => rec.json).toThrow();
    const got = pushed[0].record as EcsRecord;
    expect(got).not.toBe(rec);
    expect(got.json).toBe(text);
    expect(got.kind).toBe('alert');
  });

  it('a record whose bytes cannot be read (its buffer moved away) is refused as a push, never queued as it is', async () => {
    const chunk = new ArrayBuffer(64);
    const rec = new EcsBytesRecord('w', 'event', new Uint8Array(chunk, 0, 2));
    structuredClone(chunk, { transfer: [chunk] });
    const { d, pushed } = recordingDelivery(true);
    const q = ecsBytesDelivery(d);
    await expect(q.push({ record: rec, origin: { source: 's' } })).rejects.toThrow();
    await expect(q.reserve!({ record: rec, origin: { source: 's' } })).rejects.toThrow();
    expect(pushed).toEqual([]);
  });

  it('an item keeps its input as bytes, counts its exact bytes, acks its source, and dead-letters as the plain item', async () => {
    const [rec] = mappedSamples(1);
    const { d, pushed } = recordingDelivery(false);
    const input = `{"eventName":"ü😀 ${'x'.repeat(100)}"}`;
    const acked: string[] = [];
    const plain: DeliveryItem = {
      record: rec,
      origin: { source: 'f', line: 9 },
      input,
      ack: (r) => {
        acked.push(r);
      },
    };
    await ecsBytesDelivery(d).push({ ...plain });
    const [a] = pushed;
    expect(a.input).toBe(input);
    expect(queuedItemSize(a)).toBe(400 + Buffer.byteLength(rec.json ?? '') + Buffer.byteLength(input));
    const entry = (i: DeliveryItem) =>
      formatDeadLetterLine({
        time: new Date(0),
        exporter: 'es',
        reason: 'r',
        origin: i.origin,
        record: i.record,
        input: i.input,
      });
    expect(JSON.parse(entry(a))).toEqual(JSON.parse(entry(plain)));
    a.ack?.('delivered');
    expect(acked).toEqual(['delivered']);
  });

  it('queued bytes stay intact while slabs are reused around them', async () => {
    const { d, pushed } = recordingDelivery(false);
    const q = ecsBytesDelivery(d);
    const texts: string[] = [];
    // push 200 records per round, settle all but the last 5: settled slabs are written again
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 200; i++) {
        const n = round * 200 + i;
        const r = docOf(`id${n}`, `é${n}`.repeat(n % 60));
        texts.push(JSON.stringify(r.doc));
        await q.push({ record: r, origin: { source: 's' }, input: `{"n":${n}}` });
      }
      for (let i = round * 200; i < round * 200 + 195; i++) pushed[i].ack?.('delivered');
    }
    for (let i = 0; i < pushed.length; i++) {
      if (i % 200 < 195) continue;
      expect((pushed[i].record as EcsRecord).json).toBe(texts[i]);
      expect(pushed[i].input).toBe(`{"n":${i}}`);
    }
  });
});

describe('a plugin exporter (type: module) gets the JSON as a string of its own', () => {
  it('ecsTextDelivery: a record carrying bytes becomes text as it is pushed; a plain record passes as is', async () => {
    const text = JSON.stringify(docOf('w', 'from a worker').doc);
    const chunk = new ArrayBuffer(4096);
    const n = Buffer.from(chunk).write(text, 0, 'utf8');
    const rec = new EcsBytesRecord('w', 'alert', new Uint8Array(chunk, 0, n));
    const { d, pushed } = recordingDelivery(true);
    const q = ecsTextDelivery(d);
    await q.push({ record: rec, origin: { source: 's' } });
    const plain = docOf('p', 'x');
    await q.reserve!({ record: plain, origin: { source: 's' } });
    Buffer.from(chunk).fill(0x20); // the worker's buffer written again
    const got = pushed[0].record as EcsRecord;
    expect(got).toBeInstanceOf(EcsJsonRecord);
    expect([got.id, got.kind, got.json]).toEqual(['w', 'alert', text]);
    expect(Object.getOwnPropertyDescriptor(got, 'json')?.value).toBe(text);
    expect(pushed[1].record).toBe(plain);
  });

  it('through the pipeline: a plugin that keeps every record past its send still reads each one as it was sent', async () => {
    const kept: EcsRecord[] = [];
    const keeper: ExporterFactory = () =>
      ({
        name: 'keeper',
        target: 'ecs',
        start: async () => {},
        shutdown: async () => {},
        send: async (batch) => {
          for (const i of batch) kept.push(i.record as EcsRecord);
          return { status: 'ok' };
        },
      }) as Exporter;
    const config = parseRunConfig(
      `version: 1
delivery: { max_batch_items: 7, max_queue_items: 20, flush_interval_ms: 5 }
exporters:
  - { type: module, module: keeper, name: k }
  - { type: console, path: /dev/null }
`,
      'test.yaml',
      {},
    );
    // 3,000 distinct events (the DNS capture) through a 20-item queue: its slabs are reused many times over
    const lines = zlib.gunzipSync(fs.readFileSync(DNS_CAPTURE)).toString('utf8').split('\n').slice(0, 3000);
    const input = `${lines.join('\n')}\n`;
    const p = createPipeline(
      config,
      { stdin: Readable.from([input]), log: () => {} },
      { shutdownTimeoutMs: 5000, exporterModules: new Map([['keeper', keeper]]) },
    );
    await p.run();
    expect(kept.length).toBeGreaterThan(100);
    // each kept record is still the document of its own event (ids are unique per event)
    const idIn = (json: string | undefined) => {
      try {
        return (JSON.parse(json ?? '{}') as { event?: { id?: string } }).event?.id;
      } catch {
        return 'not JSON';
      }
    };
    const wrong = kept.filter((r) => idIn(r.json) !== r.id);
    expect(wrong.length).toBe(0);
  });
});

describe('exporters write the queued bytes', () => {
  const mixed = (): EcsRecord[] => {
    const [a, b] = mappedSamples(2);
    const bytes = Buffer.from(b.json ?? '');
    return [
      a,
      new EcsBytesRecord(b.id, b.kind, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)),
      docOf('c', 'ü😀'),
      new EcsJsonRecord('d', 'alert', '{"a":"ß"}'),
    ];
  };

  it('ecsNdjsonBytes: one JSON line per record, whatever the record carries', () => {
    const recs = mixed();
    const want = recs.map((r) => `${r.json ?? JSON.stringify(r.doc)}\n`).join('');
    expect(ecsNdjsonBytes(recs).toString('utf8')).toBe(want);
    expect(ecsNdjsonBytes([]).length).toBe(0);
  });

  it('the console exporter (format ecs) writes the same lines from bytes and from text', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queued-ecs-'));
    try {
      const file = path.join(dir, 'out.ndjson');
      const e = createConsoleExporter({ path: file });
      await e.start();
      const recs = mixed();
      expect(await e.send(recs.map((record) => ({ record, origin: { source: 's' } })))).toEqual({ status: 'ok' });
      await e.shutdown();
      expect(fs.readFileSync(file, 'utf8')).toBe(recs.map((r) => `${r.json ?? JSON.stringify(r.doc)}\n`).join(''));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kafka ecs_json: the message value is the JSON bytes, a copy of its own', () => {
    const [, rec] = mixed();
    const text = rec.json;
    const m = ecsMessage(rec, { events: 'e', alerts: 'a' });
    expect((m.value as Buffer).toString('utf8')).toBe(text);
    // the queue's bytes are written again once the record settled: the message keeps its own
    (rec as EcsBytesRecord).bytesView().fill(0x20);
    expect((m.value as Buffer).toString('utf8')).toBe(text);
  });
});
