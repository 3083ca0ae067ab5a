// otlp_http protobuf routes queue OTel records as their LogRecord bytes (src/pipeline/encoded-otel.ts).

import { describe, expect, it } from 'vitest';
import { formatDeadLetterLine } from '../../../src/delivery/dead-letter.ts';
import { createDelivery, type Delivery, type DeliveryItem } from '../../../src/delivery/index.ts';
import { encodeLogsProto } from '../../../src/exporters/otlp-http/encode-logs-proto.ts';
import { createOtlpHttpExporter } from '../../../src/exporters/otlp-http/exporter.ts';
import { createSdkResourceCache } from '../../../src/exporters/otlp-http/sdk-resource-cache.ts';
import type { Exporter, ExportItem } from '../../../src/model/exporter.ts';
import type { OtelRecord } from '../../../src/model/records.ts';
import { encodingDelivery, takesEncodedRecords } from '../../../src/pipeline/encoded-otel.ts';
import { queuedItemSize } from '../../../src/pipeline/queued-item.ts';
import { record, workloads } from '../../helpers/otel-record-builders.ts';
import { encodedRecordFrom, encodeLogRecord } from '../../../src/exporters/otlp-http/encode-log-record.ts';
import { mapForRoutes, planRoutes } from '../../../src/pipeline/ingest-routes.ts';
import { recordingDelivery } from '../../helpers/recording-delivery.ts';
import { decodeText } from '../../../src/normalize/decode.ts';
import { sharedSamples, testMapper } from '../../helpers/samples.ts';

const request = (recs: OtelRecord[]) =>
  Buffer.from(encodeLogsProto(recs, createSdkResourceCache({ defaults: {}, overrides: {} })));

describe('encoded OTel records in the queue', () => {
  it('otlp_http takes encoded records with protobuf (the default), not with JSON; other exporters do not', () => {
    const env = {};
    expect(takesEncodedRecords(createOtlpHttpExporter({}, { env }))).toBe(true);
    expect(takesEncodedRecords(createOtlpHttpExporter({ protocol: 'http/json' }, { env }))).toBe(false);
    const other: Exporter = {
      name: 'x',
      target: 'otel',
      start: async () => {},
      shutdown: async () => {},
      send: async () => ({ status: 'ok' }),
    };
    expect(takesEncodedRecords(other)).toBe(false);
  });

  it('pushed and reserved items carry their bytes; the request is the same; a record that cannot be encoded stays as it is', async () => {
    const [w] = workloads(1);
    const plain = [record(w, 0), record(w, 1)];
    const { d, pushed } = recordingDelivery(true);
    const enc = encodingDelivery(d);
    await enc.push({ record: plain[0], origin: { source: 's' } });
    await enc.reserve?.({ record: plain[1], origin: { source: 's' } });
    const got = pushed.map((i) => i.record as OtelRecord);
    expect(got.map((r) => r.encoded !== undefined)).toEqual([true, true]);
    expect(request(got).equals(request(plain))).toBe(true);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad = record(w, 2, { attributes: { cyclic } as never });
    await enc.push({ record: bad, origin: { source: 's' } });
    expect(pushed[2].record).toBe(bad);
    expect(encodingDelivery(recordingDelivery(false).d).reserve).toBeUndefined();
  });

  it('a record carrying bytes of its own (a worker chunk) is copied into the queue: its buffer may go back to the worker', async () => {
    const [w] = workloads(1);
    const plain = record(w, 7);
    const chunk = new ArrayBuffer(8192);
    const bytes = encodeLogRecord(plain);
    new Uint8Array(chunk).set(bytes, 100);
    const rec = encodedRecordFrom(plain.resource, new Uint8Array(chunk, 100, bytes.byteLength), plain);
    const { d, pushed } = recordingDelivery(false);
    await encodingDelivery(d).push({ record: rec, origin: { source: 's' } });
    structuredClone(chunk, { transfer: [chunk] }); // moved away: what handing it back to the worker does
    expect(() => rec.attributes).toThrow();
    const got = pushed[0].record as OtelRecord;
    expect(got).not.toBe(rec);
    expect(request([got]).equals(request([plain]))).toBe(true);
  });

  it('a record whose bytes cannot be read (its buffer moved away) is refused as a push, never queued as it is', async () => {
    const [w] = workloads(1);
    const plain = record(w, 8);
    const bytes = encodeLogRecord(plain);
    const chunk = new ArrayBuffer(bytes.byteLength);
    new Uint8Array(chunk).set(bytes);
    const rec = encodedRecordFrom(plain.resource, new Uint8Array(chunk), plain);
    structuredClone(chunk, { transfer: [chunk] });
    const { d, pushed } = recordingDelivery(true);
    const q = encodingDelivery(d);
    await expect(q.push({ record: rec, origin: { source: 's' } })).rejects.toThrow();
    await expect(q.reserve!({ record: rec, origin: { source: 's' } })).rejects.toThrow();
    expect(pushed).toEqual([]);
  });

  it('the same record pushed to two routes is encoded once', async () => {
    const [w] = workloads(1);
    const rec = record(w, 5);
    const a = recordingDelivery(false);
    const b = recordingDelivery(false);
    await encodingDelivery(a.d).push({ record: rec, origin: { source: 's' } });
    await encodingDelivery(b.d).push({ record: rec, origin: { source: 's' } });
    expect(a.pushed[0].record).toBe(b.pushed[0].record);
  });

  it('an encoded item keeps its input as bytes, gives the text back, and counts its exact bytes', () => {
    const [w] = workloads(1);
    const { d, pushed } = recordingDelivery(false);
    const input = `{"eventName":"ü😀 ${'x'.repeat(100)}"}`;
    const acked: string[] = [];
    const ack = (r: string) => {
      acked.push(r);
    };
    void encodingDelivery(d).push({ record: record(w, 0), origin: { source: 's', line: 3 }, input, ack });
    void encodingDelivery(d).push({ record: record(w, 1), origin: { source: 's' } });
    const [a, b] = pushed;
    expect(a.input).toBe(input);
    expect(a.origin).toEqual({ source: 's', line: 3 });
    a.ack?.('delivered');
    expect(acked).toEqual(['delivered']);
    expect(b.input).toBeUndefined();
    const bytes = (a.record as OtelRecord).encoded?.byteLength ?? 0;
    expect(bytes).toBeGreaterThan(100);
    expect(queuedItemSize(a)).toBe(400 + bytes + Buffer.byteLength(input));
    expect(queuedItemSize({ record: record(w, 0), origin: { source: 's' } })).toBeUndefined();
    // no own string property holds the input: it is not a V8 string while it waits
    expect(Object.values(a).some((v) => v === input)).toBe(false);
  });

  it('the dead letter writes the queued item as it would the plain one', () => {
    const [w] = workloads(1);
    const { d, pushed } = recordingDelivery(false);
    const plain: DeliveryItem = { record: record(w, 0), origin: { source: 'f', line: 9 }, input: '{"a":"é"}' };
    void encodingDelivery(d).push({ ...plain });
    const entry = (i: DeliveryItem) =>
      formatDeadLetterLine({
        time: new Date(0),
        exporter: 'otlp_http',
        reason: 'r',
        origin: i.origin,
        record: i.record,
        input: i.input,
      });
    expect(JSON.parse(entry(pushed[0]))).toEqual(JSON.parse(entry(plain)));
  });

  it('slabs are reused only once every item holding them settled: queued items keep their bytes', async () => {
    const [w] = workloads(1);
    const { d, pushed } = recordingDelivery(false);
    const enc = encodingDelivery(d);
    const plain: DeliveryItem[] = [];
    // rounds: push 300 items (a few slabs), settle all but the last 10, repeat: settled slabs are reused
    const kept = (i: number) => i % 300 >= 290;
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 300; i++) {
        const n = round * 300 + i;
        const item = {
          record: record(w, n, { body: `b${n}`.repeat(n % 40) }),
          origin: { source: 's' },
          input: `{"n":${n}}`,
        };
        plain.push({ ...item });
        await enc.push(item);
      }
      for (let i = round * 300; i < (round + 1) * 300; i++) if (!kept(i)) pushed[i].ack?.('delivered');
    }
    const buffers = new Set(pushed.map((i) => (i.record as OtelRecord).encoded?.buffer));
    const bytes = pushed.reduce((n, i) => n + ((i.record as OtelRecord).encoded?.byteLength ?? 0), 0);
    // without reuse: at least one 64 KiB slab per 64 KiB of records
    expect(bytes / 65536).toBeGreaterThan(40);
    expect(buffers.size).toBeLessThan((bytes / 65536) * 0.7); // 23 with reuse, 44 without
    for (let i = 0; i < pushed.length; i++) {
      if (!kept(i)) continue;
      expect(pushed[i].input).toBe(plain[i].input);
      expect(request([pushed[i].record as OtelRecord]).equals(request([plain[i].record as OtelRecord]))).toBe(true);
    }
    // an item acked twice releases once
    pushed[0].ack?.('delivered');
    for (let i = 0; i < 300; i++) await enc.push({ record: record(w, 99_999 + i), origin: { source: 's' } });
    for (let i = 0; i < 6000; i++) if (kept(i)) expect(pushed[i].input).toBe(plain[i].input);
  });

  it('through a real delivery, the exporter is sent the encoded records', async () => {
    const [w] = workloads(1);
    const sent: ExportItem<OtelRecord>[] = [];
    const exporter: Exporter<OtelRecord> = {
      name: 'rec',
      target: 'otel',
      start: async () => {},
      shutdown: async () => {},
      send: async (batch) => {
        sent.push(...batch);
        return { status: 'ok' };
      },
    };
    const d = encodingDelivery(createDelivery(exporter, { flushIntervalMs: 1 }) as Delivery);
    const plain = Array.from({ length: 20 }, (_v, i) => record(w, i));
    for (const r of plain) await d.push({ record: r, origin: { source: 's' } });
    await d.flush();
    await d.shutdown(1000);
    expect(sent).toHaveLength(20);
    expect(sent.every((i) => i.record.encoded !== undefined)).toBe(true);
    expect(request(sent.map((i) => i.record)).equals(request(plain))).toBe(true);
  });

  it('routes that all queue encoded records map straight to LogRecord bytes (toOtelEncoded); a slot shared with another route does not', () => {
    const m = testMapper();
    const ex = (target: 'otel' | 'ecs') => ({ target }) as Exporter;
    const direct = planRoutes([{ exporter: ex('otel'), mapsEncoded: true }], m);
    const mixed = planRoutes([{ exporter: ex('otel'), mapsEncoded: true }, { exporter: ex('otel') }], m);
    const ecs = planRoutes([{ exporter: ex('ecs'), mapsEncoded: true }], m);
    expect([direct.slots[0].encoded, mixed.slots[0].encoded, ecs.slots[0].encoded]).toEqual([true, false, false]);
    for (const text of sharedSamples(Infinity).flatMap((x) => x.records)) {
      const r = decodeText(text);
      if (!r.ok) throw new Error(r.reason);
      const [got] = mapForRoutes(direct, r.event, [0]) as OtelRecord[];
      const [plain] = mapForRoutes(mixed, r.event, [1]) as OtelRecord[];
      expect(got.encoded).toBeDefined();
      expect(plain.encoded).toBeUndefined();
      expect(Buffer.from(got.encoded!).equals(Buffer.from(encodeLogRecord(plain)))).toBe(true);
    }
  });
});
