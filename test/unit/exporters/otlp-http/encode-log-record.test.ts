// Records carried as LogRecord bytes (encode-log-record.ts): a request built from them is the same
// bytes as one built from the plain records, the bytes decode back to the same record (the JSON the
// dead letter writes), and records sharing a slab keep their own bytes.

import fs from 'node:fs';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { formatDeadLetterLine } from '../../../../src/delivery/dead-letter.ts';
import {
  decodeLogRecord,
  encodedRecordOf,
  encodeLogRecord,
  toEncodedRecord,
} from '../../../../src/exporters/otlp-http/encode-log-record.ts';
import { encodeLogsProto } from '../../../../src/exporters/otlp-http/encode-logs-proto.ts';
import { createSdkResourceCache } from '../../../../src/exporters/otlp-http/sdk-resource-cache.ts';
import type { AttrValue, OtelRecord } from '../../../../src/model/records.ts';
import { decodeText } from '../../../../src/normalize/decode.ts';
import { record, workloads } from '../../../helpers/otel-record-builders.ts';
import { DNS_CAPTURE, sharedSamples, structuredSamples, testMapper } from '../../../helpers/samples.ts';

const newCache = () =>
  createSdkResourceCache({ defaults: { 'service.name': 'tracee' }, overrides: { 'deployment.environment.name': 't' } });

function mapAll(lines: readonly string[]): OtelRecord[] {
  const m = testMapper();
  return lines.map((l) => {
    const res = decodeText(l);
    if (!res.ok) throw new Error(res.reason);
    return m.toOtel(res.event);
  });
}

const fixtureRecords = () => mapAll([...sharedSamples(Infinity), ...structuredSamples()].flatMap((s) => s.records));

function captureRecords(n: number): OtelRecord[] {
  const lines = zlib.gunzipSync(fs.readFileSync(DNS_CAPTURE)).toString('utf8').split('\n', n);
  expect(lines).toHaveLength(n);
  return mapAll(lines);
}

const bigintText = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);
const json = (v: unknown) => JSON.stringify(v, bigintText);

function expectSameRequests(recs: OtelRecord[]): void {
  const encoded = recs.map((r) => toEncodedRecord(r));
  const cache = newCache();
  // one request of all, one per record, and a mix of both kinds in one request
  expect(Buffer.from(encodeLogsProto(encoded, cache)).equals(Buffer.from(encodeLogsProto(recs, cache)))).toBe(true);
  let differ = 0;
  for (let i = 0; i < recs.length; i++) {
    if (!Buffer.from(encodeLogsProto([encoded[i]], cache)).equals(Buffer.from(encodeLogsProto([recs[i]], cache))))
      differ++;
  }
  expect(differ).toBe(0);
  const mixed = recs.map((r, i) => (i % 2 === 0 ? encoded[i] : r));
  expect(Buffer.from(encodeLogsProto(mixed, cache)).equals(Buffer.from(encodeLogsProto(recs, cache)))).toBe(true);
}

/** exactLine: a mapper's record (attributes before body): the dead-letter line is the same text. */
function expectSameRecord(plain: OtelRecord, enc: OtelRecord, exactLine = false): void {
  expect(JSON.parse(json(enc))).toEqual(JSON.parse(json(plain)));
  expect(enc.resource).toBe(plain.resource);
  expect(json(enc.attributes)).toBe(json(plain.attributes));
  expect(json(enc.body)).toBe(json(plain.body));
  const entry = { exporter: 'otlp_http', reason: 'r', origin: { source: 'test' }, time: new Date(0) };
  const line = formatDeadLetterLine({ ...entry, record: enc });
  if (exactLine) expect(line).toBe(formatDeadLetterLine({ ...entry, record: plain }));
  else expect(JSON.parse(line)).toEqual(JSON.parse(formatDeadLetterLine({ ...entry, record: plain })));
}

describe('encodeLogRecord / toEncodedRecord', () => {
  it('every fixture: pre-encoded records give byte-identical requests and decode to the same record', () => {
    const recs = fixtureRecords();
    expect(recs.length).toBeGreaterThan(20);
    expectSameRequests(recs);
    for (const r of recs) expectSameRecord(r, toEncodedRecord(r), true);
  });

  it('2,000 events of the DNS capture: the same requests, the same records, the same dead-letter lines', () => {
    const recs = captureRecords(2000);
    expectSameRequests(recs);
    for (let i = 0; i < recs.length; i += 512) expectSameRequests(recs.slice(i, i + 512));
    for (const r of recs) expectSameRecord(r, toEncodedRecord(r), true);
  }, 120_000);

  it('edge values come back as they were sent', () => {
    const [w] = workloads(1);
    const attributes: Record<string, AttrValue> = {
      big: 2 ** 60,
      nearMax: 2 ** 63 - 1024,
      max: 2 ** 63,
      minInt: -(2 ** 63),
      neg: -1,
      negBig: -(2 ** 53) - 2,
      negOdd: -(2 ** 62) - 2 ** 40 - 4096,
      u32: 0xffffffff,
      over32: 2 ** 32,
      zero: 0,
      half: 0.5,
      negDouble: -1234.5678,
      t: true,
      f: false,
      empty: '',
      cjk: '日本語のテキスト',
      emoji: '🦀🚀',
      longUtf8: 'ü'.repeat(100),
      huge: `${'é'.repeat(30_000)}z`,
      arr: [1, 'two', 3.5, false, -7, [], {}, [['deep']]],
      nested: { a: { b: { c: [1, { d: 'e', '': '' }], n: -(2 ** 62) } }, ключ: 'значение' },
      '': 'empty key',
      '10': 'integer-like key',
      withNull: { envp: null, list: [null, 1] } as unknown as AttrValue, // event data's null: an empty AnyValue
    };
    const recs = [
      record(w, 0, { attributes }),
      record(w, 1, { attributes: {}, body: attributes }),
      record(w, 2, { body: ['x', 1, [2.5]] }),
      record(w, 3, { body: 42 }),
      record(w, 4, { body: '' }),
      record(w, 7, { body: null as unknown as AttrValue }),
      record(w, 5, { body: undefined, severityNumber: 0, severityText: '', eventName: '' }),
      record(w, 6, { severityNumber: 24, eventName: 'ευρήματα', severityText: 'ПРЕДУПРЕЖДЕНИЕ' }),
    ];
    expectSameRequests(recs);
    for (const r of recs) expectSameRecord(r, toEncodedRecord(r));
    const back = decodeLogRecord(encodeLogRecord(recs[0])).attributes;
    expect(back).toEqual(attributes);
    expect(Object.keys(back)).toEqual(Object.keys(attributes));
    expect(back.minInt).toBe(-(2 ** 63));
    expect(back.negOdd).toBe(-(2 ** 62) - 2 ** 40 - 4096);
  });

  it('a key named __proto__ is data, not a prototype; bytes values are copied out', () => {
    const [w] = workloads(1);
    const attributes = JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}') as Record<string, AttrValue>;
    const enc = toEncodedRecord(record(w, 0, { attributes }));
    expect(Object.keys(enc.attributes)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(enc.attributes)).toBe(Object.prototype);
    const withBytes = record(w, 1, { attributes: { b: new Uint8Array([0, 1, 255]) as unknown as AttrValue } });
    expect(Array.from(decodeLogRecord(encodeLogRecord(withBytes)).attributes.b as unknown as Uint8Array)).toEqual([
      0, 1, 255,
    ]);
  });

  it('times and severity as sent: times <= 0 as 0; decodeLogRecord reads every field', () => {
    const [w] = workloads(1);
    const r = record(w, 7, { timeUnixNano: -5n, observedTimeUnixNano: 18_446_744_073_709_551_615n });
    const f = decodeLogRecord(encodeLogRecord(r));
    expect(f.timeUnixNano).toBe(0n);
    expect(f.observedTimeUnixNano).toBe(18_446_744_073_709_551_615n);
    expect([f.severityNumber, f.severityText, f.eventName, f.body]).toEqual([
      r.severityNumber,
      r.severityText,
      r.eventName,
      r.body,
    ]);
  });

  it('encodedRecordOf: a record from bytes and its resource reads its scalars from the bytes', () => {
    const [w] = workloads(1);
    const r = record(w, 3);
    const bytes = encodeLogRecord(r);
    const back = encodedRecordOf(w, bytes);
    expectSameMemory(back.encoded!, bytes);
    expectSameRecord(r, back);
    expect(() => encodedRecordOf(w, new Uint8Array([0x32, 0x7f]))).toThrow(/past the end/);
  });

  it('records share slabs, keep their own bytes, and an encoded record is not encoded again', () => {
    const [w] = workloads(1);
    const recs = Array.from({ length: 500 }, (_, i) => record(w, i, { body: 'b'.repeat(i % 300) }));
    const big = record(w, 9999, { body: 'z'.repeat(20_000) });
    const enc = [...recs, big].map((r) => toEncodedRecord(r));
    const buffers = new Set(enc.map((e) => e.encoded!.buffer));
    expect(buffers.size).toBeGreaterThan(1);
    expect(buffers.size).toBeLessThan(50);
    for (let i = 0; i < recs.length; i++) expectSameRecord(recs[i], enc[i]);
    expectSameRecord(big, enc[500]);
    expect(toEncodedRecord(enc[3])).toBe(enc[3]);
    expectSameMemory(encodeLogRecord(enc[3]), enc[3].encoded!);
  });

  it('a record keeps times the bytes cannot say (<= 0, past 2^64) beside them, and reads the others back', () => {
    const [w] = workloads(1);
    for (const t of [0n, -5n, 1n << 64n, 1n, (1n << 64n) - 1n]) {
      const r = record(w, 1, { timeUnixNano: t, observedTimeUnixNano: t === 1n ? -1n : 7n });
      const enc = toEncodedRecord(r);
      expect(enc.timeUnixNano).toBe(t);
      expect(enc.observedTimeUnixNano).toBe(r.observedTimeUnixNano);
      const json = (x: unknown) => JSON.parse(JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
      expect(json(enc)).toEqual(json(r));
    }
  });
});

/** The same bytes in the same memory: views of one buffer at one offset (a record makes its view when asked). */
function expectSameMemory(a: Uint8Array, b: Uint8Array): void {
  expect(a.buffer).toBe(b.buffer);
  expect(a.byteOffset).toBe(b.byteOffset);
  expect(a.byteLength).toBe(b.byteLength);
}
