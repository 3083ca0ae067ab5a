// encodeLogsProto (our direct writer) must produce exactly the bytes of the OTel JS
// ProtobufLogsSerializer fed through toReadableLogRecord (what the exporter used before), for every
// sample, the whole 24k DNS capture and hand-made edge cases; the independent test decoder must
// read the same request out of both.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeLogsProto } from '../../../../src/exporters/otlp-http/encode-logs-proto.ts';
import { encodeLogsRequest } from '../../../../src/exporters/otlp-http/encode.ts';
import { createSdkResourceCache } from '../../../../src/exporters/otlp-http/sdk-resource-cache.ts';
import type { SdkResourceCache } from '../../../../src/exporters/otlp-http/sdk-resource-cache.ts';
import { toReadableLogRecord } from '../../../../src/exporters/otlp-http/to-readable-records.ts';
import type { AttrValue, OtelRecord, OtelResource } from '../../../../src/model/records.ts';
import { decodeText } from '../../../../src/normalize/decode.ts';
import { record, workloads } from '../../../helpers/otel-record-builders.ts';
import { decodeLogsRequest } from '../../../helpers/otlp-proto-decode.ts';
import { ROOT, sharedSamples, structuredSamples, testMapper } from '../../../helpers/samples.ts';

const DATASET = path.resolve(ROOT, 'test/data/tracee-net_packet_dns-24010.ndjson.gz');

const newCache = () =>
  createSdkResourceCache({
    defaults: { 'service.name': 'tracee' },
    overrides: { 'deployment.environment.name': 'test', 'x.list': ['a', 'b'], 'x.mixed': [1, 'two'] },
  });

/** The reference: the OTel serializer over ReadableLogRecords, as the exporter did before. */
function reference(recs: readonly OtelRecord[], cache: SdkResourceCache): Uint8Array {
  return encodeLogsRequest(
    recs.map((r) => toReadableLogRecord(r, cache)),
    'http/protobuf',
  );
}

function expectSameBytes(recs: readonly OtelRecord[], cache = newCache()): Uint8Array {
  const ours = encodeLogsProto(recs, cache);
  const theirs = reference(recs, cache);
  expect(decodeLogsRequest(ours)).toEqual(decodeLogsRequest(theirs));
  expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
  return ours;
}

function mapAll(lines: readonly string[]): OtelRecord[] {
  const m = testMapper();
  return lines.map((l) => {
    const res = decodeText(l);
    if (!res.ok) throw new Error(res.reason);
    return m.toOtel(res.event);
  });
}

describe('encodeLogsProto: the same bytes as the OTel JS serializer', () => {
  it("attribute and data values around the one-pass writer's limits (lengths 127/128, ASCII or not, 2^28, sign, booleans)", () => {
    const [w] = workloads(1);
    const lengths = [...Array.from({ length: 141 }, (_, n) => n), 300];
    const strings = lengths.flatMap((n) => [
      'a'.repeat(n),
      n > 0 ? 'é' + 'a'.repeat(n - 1) : '',
      n > 0 ? 'a'.repeat(n - 1) + '\u{1F600}' : '',
      n > 0 ? 'a'.repeat(n - 1) + '\x7f' : '',
    ]);
    const numbers = [0, -0, 1, 127, 128, 16383, 16384, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 31, -1, -128, 0.5, 2 ** 53];
    const keys = ['k', 'k'.repeat(50), 'k'.repeat(110), 'k'.repeat(126), 'ключ'];
    const recs: OtelRecord[] = [];
    let i = 0;
    for (const key of keys)
      for (const v of [...strings, ...numbers, true, false]) {
        const attributes = { [key]: v, 'tracee.data': { [key]: v, nested: { [key]: v, list: [v] } } } as never;
        recs.push(record(w, i++, { attributes }));
      }
    const cache = newCache();
    for (const r of recs) expectSameBytes([r], cache);
    expectSameBytes(recs, cache);
  });

  it('every sample, one per request and all in one request', () => {
    const recs = mapAll([...sharedSamples(Infinity), ...structuredSamples()].flatMap((s) => s.records));
    expect(recs.length).toBeGreaterThan(20);
    const cache = newCache();
    for (const r of recs) expectSameBytes([r], cache);
    const all = expectSameBytes(recs, cache);
    // several workloads → several ResourceLogs, as the reference groups them
    expect(decodeLogsRequest(all).resourceLogs.length).toBeGreaterThan(1);
  });

  // test/data is part of the repository: a missing dataset fails, never skips
  it('the whole 24k-event DNS capture, in requests of 512 (and one of everything)', () => {
    const lines = zlib
      .gunzipSync(fs.readFileSync(DATASET))
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '');
    const recs = mapAll(lines);
    expect(recs).toHaveLength(24_010);
    const cache = newCache();
    let differ = 0;
    let bytes = 0;
    for (let i = 0; i < recs.length; i += 512) {
      const part = recs.slice(i, i + 512);
      const ours = encodeLogsProto(part, cache);
      bytes += ours.length;
      if (!Buffer.from(ours).equals(Buffer.from(reference(part, cache)))) differ++;
    }
    expect(differ).toBe(0);
    expect(bytes).toBeGreaterThan(1_000_000);
    // one request far beyond the writer's initial buffer (growth), decoded too
    expectSameBytes(recs.slice(0, 4096), cache);
  }, 180_000);

  it('edge values: int64 beyond 2^53, negatives, doubles, nested kvlists and arrays, empty and non-ASCII strings', () => {
    const [w] = workloads(1);
    const attributes: Record<string, AttrValue> = {
      big: 2 ** 60,
      nearMax: 2 ** 63 - 1024, // the largest double below 2^63: still int_value
      max: 2 ** 63, // not an int64: double_value
      minInt: -(2 ** 63),
      belowMin: -(2 ** 64),
      neg: -1,
      negBig: -(2 ** 53) - 2,
      u32: 0xffffffff,
      over32: 2 ** 32,
      zero: 0,
      negZero: -0,
      half: 0.5,
      negDouble: -1234.5678,
      nan: NaN,
      inf: Infinity,
      ninf: -Infinity,
      t: true,
      f: false,
      empty: '',
      accents: 'é',
      cjk: '日本語のテキスト',
      emoji: '🦀🚀',
      lone: 'a\ud800b', // lone surrogate: U+FFFD, like TextEncoder
      loneLow: '\udfff',
      longAscii: 'x'.repeat(200),
      longUtf8: 'ü'.repeat(100), // 200 bytes: 2-byte length
      mixed: `${'a'.repeat(30)}é`,
      huge: `${'é'.repeat(30_000)}z`, // 60001 bytes: 3-byte length, shift back from the 3*len reservation
      hugeAscii: 'q'.repeat(70_000),
      arr: [1, 'two', 3.5, false, -7, [], {}, [['deep']]],
      emptyArr: [],
      emptyObj: {},
      nested: { a: { b: { c: [1, { d: 'e', '': '' }], n: -(2 ** 62) } }, ключ: 'значение' },
      '': 'empty key',
      '10': 'integer-like key (ordered first)',
    };
    const odd = {
      ...attributes,
      nul: null,
      undef: undefined,
      bytes: new Uint8Array([0, 1, 255]),
      big2: 5n,
    } as unknown as Record<string, AttrValue>;
    expectSameBytes([record(w, 0, { attributes })]);
    expectSameBytes([record(w, 1, { attributes: odd })]);
    expectSameBytes([record(w, 2, { attributes: {}, body: attributes })]);
    expectSameBytes([record(w, 3, { body: ['x', 1, [2.5]] })]);
    expectSameBytes([record(w, 4, { body: 42 })]);
    expectSameBytes([record(w, 5, { body: '' })]);
  });

  it('omitted and defaulted fields: severity 0, empty texts, no body, extreme timestamps', () => {
    const [w] = workloads(1);
    const recs: OtelRecord[] = [
      record(w, 0, { severityNumber: 0, severityText: '', eventName: '', body: undefined }),
      record(w, 1, { severityNumber: 24, timeUnixNano: 0n, observedTimeUnixNano: -5n }),
      record(w, 2, { timeUnixNano: 9_223_372_036_854_775_807n, observedTimeUnixNano: 18_446_744_073_709_551_615n }),
      record(w, 3, { timeUnixNano: 1n, observedTimeUnixNano: 999_999_999n }),
      record(w, 4, { eventName: 'ευρήματα', severityText: 'ПРЕДУПРЕЖДЕНИЕ' }),
    ];
    for (const r of recs) expectSameBytes([r]);
    expectSameBytes(recs);
  });

  it('groups by workload in order of first appearance (interleaved, a twin object with the same key, non-simple resource values)', () => {
    const ws = workloads(3);
    const twin: OtelResource = { key: ws[1].key, attributes: { ...ws[1].attributes } };
    const odd: OtelResource = {
      key: 'odd',
      attributes: { 'k8s.pod.labels': { app: 'x' }, list: [1, 'a'], n: 2 ** 60, é: 'ü' },
    };
    const recs = [
      record(ws[2], 0),
      record(ws[0], 1),
      record(ws[2], 2),
      record(twin, 3),
      record(odd, 4),
      record(ws[1], 5),
      record(ws[0], 6),
    ];
    const bytes = expectSameBytes(recs);
    expect(decodeLogsRequest(bytes).resourceLogs.map((rl) => rl.scopeLogs[0].logRecords.length)).toEqual([2, 2, 2, 1]);
  });

  it('many records of one workload: lengths needing 2- and 3-byte varints around the shared writer reuse', () => {
    const [w] = workloads(1);
    const many = Array.from({ length: 3000 }, (_, i) => record(w, i));
    expectSameBytes(many);
    expectSameBytes(many.slice(0, 1)); // the reused writer starts clean
    expect(encodeLogsProto([], newCache())).toHaveLength(0);
  });

  it('more distinct keys than the key-field cache holds (keys from event data): the same bytes', () => {
    const [w] = workloads(1);
    const wide = Object.fromEntries(Array.from({ length: 6000 }, (_, i) => [`wide.${i}.é`, i % 3 === 0 ? `v${i}` : i]));
    expectSameBytes([record(w, 0, { attributes: { wide } }), record(w, 1, { body: wide })]);
    expectSameBytes([record(w, 2)]); // cached keys still right after the cache filled
  });

  it('throws on a cyclic value (the exporter isolates such a record by halving), then works again', () => {
    const [w] = workloads(1);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const cache = newCache();
    expect(() => encodeLogsProto([record(w, 0, { attributes: { oops: cyclic as never } })], cache)).toThrow();
    expectSameBytes([record(w, 1)], cache);
  });
});
