import { describe, expect, it } from 'vitest';
import { encodeInChunks, encodeLogsRequest } from '../../../../src/exporters/otlp-http/encode.ts';
import { createSdkResourceCache } from '../../../../src/exporters/otlp-http/sdk-resource-cache.ts';
import {
  INSTRUMENTATION_SCOPE,
  nsToHrTime,
  toReadableLogRecord,
} from '../../../../src/exporters/otlp-http/to-readable-records.ts';
import { EXPORTER_VERSION } from '../../../../src/exporters/otlp-http/version.ts';
import type { OtelRecord } from '../../../../src/model/records.ts';
import { BASE_NS, record, workloads } from '../../../helpers/otel-record-builders.ts';
import { attrMap, decodeLogsRequest } from '../../../helpers/otlp-proto-decode.ts';

const cache = () => createSdkResourceCache({ defaults: { 'service.name': 'tracee' }, overrides: {} });

function readable(recs: OtelRecord[], c = cache()) {
  return recs.map((r) => toReadableLogRecord(r, c));
}

describe('nsToHrTime', () => {
  it('is exact for ns timestamps above 2^53', () => {
    expect(nsToHrTime(1_732_795_200_123_456_789n)).toEqual([1_732_795_200, 123_456_789]);
    expect(nsToHrTime(1_000_000_000n)).toEqual([1, 0]);
    expect(nsToHrTime(999_999_999n)).toEqual([0, 999_999_999]);
    expect(nsToHrTime(0n)).toEqual([0, 0]);
    expect(nsToHrTime(-5n)).toEqual([0, 0]);
    // year 2262 (max int64 ns) still exact
    expect(nsToHrTime(9_223_372_036_854_775_807n)).toEqual([9_223_372_036, 854_775_807]);
  });
});

describe('protobuf encoding (decoded by an independent test decoder)', () => {
  it('carries timestamps to the ns, severity, event name, body, attributes, scope', () => {
    const [w] = workloads(1);
    const recs = [record(w, 0), record(w, 1, { timeUnixNano: 9_223_372_036_854_775_807n })];
    const req = decodeLogsRequest(encodeLogsRequest(readable(recs), 'http/protobuf'));
    expect(req.resourceLogs).toHaveLength(1);
    const sl = req.resourceLogs[0].scopeLogs;
    expect(sl).toHaveLength(1);
    expect(sl[0].scope).toEqual({ name: 'tracee-exporter', version: EXPORTER_VERSION });
    const [a, b] = sl[0].logRecords;
    expect(a.timeUnixNano).toBe(BASE_NS.toString());
    expect(a.observedTimeUnixNano).toBe((BASE_NS + 1_000_000_007n).toString());
    expect(b.timeUnixNano).toBe('9223372036854775807');
    expect(a.severityNumber).toBe(13);
    expect(a.severityText).toBe('WARN');
    expect(a.eventName).toBe('tracee.security_file_open');
    expect(a.body).toEqual({ stringValue: 'open of /etc/shadow-0' });
    const attrs = attrMap(a.attributes);
    expect(attrs['process.pid']).toEqual({ intValue: '1000' });
    expect(attrs['tracee.ratio']).toEqual({ doubleValue: 0.25 });
    expect(attrs['tracee.big']).toEqual({ stringValue: '18446744073709551615' });
    expect(attrs['tracee.args.flags']).toEqual({
      arrayValue: { values: [{ stringValue: 'O_RDONLY' }, { stringValue: 'O_CLOEXEC' }] },
    });
    expect(attrs['tracee.args.nested']).toEqual({
      kvlistValue: {
        values: [
          { key: 'a', value: { intValue: '1' } },
          { key: 'b', value: { stringValue: 'two' } },
          { key: 'c', value: { arrayValue: { values: [{ boolValue: true }, { boolValue: false }] } } },
        ],
      },
    });
    const res = attrMap(req.resourceLogs[0].resource.attributes);
    expect(res['service.name']).toEqual({ stringValue: 'tracee' });
    expect(res['k8s.pod.name']).toEqual({ stringValue: 'pod-0' });
  });

  it('K workloads interleaved → K ResourceLogs in one request, records in batch order within each', () => {
    const ws = workloads(5);
    const recs = Array.from({ length: 50 }, (_, i) => record(ws[(i * 3) % 5], i));
    const req = decodeLogsRequest(encodeLogsRequest(readable(recs), 'http/protobuf'));
    expect(req.resourceLogs).toHaveLength(5);
    for (const rl of req.resourceLogs) {
      const pod = attrMap(rl.resource.attributes)['k8s.pod.name'].stringValue as string;
      expect(rl.scopeLogs).toHaveLength(1);
      const seqs = rl.scopeLogs[0].logRecords.map((r: any) => Number(attrMap(r.attributes)['tracee.seq'].intValue));
      expect(seqs).toHaveLength(10);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      for (const s of seqs) expect(`pod-${(s * 3) % 5}`).toBe(pod);
    }
  });

  it('a new OtelResource object with a known key still lands in the same ResourceLogs', () => {
    const [w] = workloads(1);
    const twin = { key: w.key, attributes: { ...w.attributes } };
    const req = decodeLogsRequest(encodeLogsRequest(readable([record(w, 0), record(twin, 1)]), 'http/protobuf'));
    expect(req.resourceLogs).toHaveLength(1);
  });

  it('omits severity 0 and empty severity text; an absent body is absent', () => {
    const [w] = workloads(1);
    const r = record(w, 0, { severityNumber: 0, severityText: '', body: undefined });
    const lr = decodeLogsRequest(encodeLogsRequest(readable([r]), 'http/protobuf')).resourceLogs[0].scopeLogs[0]
      .logRecords[0];
    expect(lr.severityNumber).toBeUndefined();
    expect(lr.severityText).toBeUndefined();
    expect(lr.body).toBeUndefined();
  });
});

describe('JSON encoding', () => {
  it('follows OTLP/JSON: int64 timestamps as strings, camelCase, K ResourceLogs', () => {
    const ws = workloads(3);
    const recs = Array.from({ length: 6 }, (_, i) => record(ws[i % 3], i));
    const json = JSON.parse(new TextDecoder().decode(encodeLogsRequest(readable(recs), 'http/json')));
    expect(json.resourceLogs).toHaveLength(3);
    const lr = json.resourceLogs[0].scopeLogs[0].logRecords[0];
    expect(lr.timeUnixNano).toBe(BASE_NS.toString());
    expect(lr.observedTimeUnixNano).toBe((BASE_NS + 1_000_000_007n).toString());
    expect(lr.eventName).toBe('tracee.security_file_open');
    expect(lr.severityNumber).toBe(13);
    expect(json.resourceLogs[0].scopeLogs[0].scope).toEqual({ name: 'tracee-exporter', version: EXPORTER_VERSION });
  });

  it('agrees with the protobuf encoding on every record field', () => {
    const ws = workloads(2);
    const recs = Array.from({ length: 4 }, (_, i) => record(ws[i % 2], i));
    const rs = readable(recs);
    const proto = decodeLogsRequest(encodeLogsRequest(rs, 'http/protobuf'));
    const json = JSON.parse(new TextDecoder().decode(encodeLogsRequest(rs, 'http/json')));
    const pick = (lr: any) => ({
      t: lr.timeUnixNano,
      o: lr.observedTimeUnixNano,
      s: lr.severityNumber,
      st: lr.severityText,
      e: lr.eventName,
      b: lr.body,
      a: lr.attributes,
    });
    // JSON writes ints as numbers, protobuf-decoded as strings (both legal OTLP/JSON): normalise.
    const norm = (x: unknown) =>
      JSON.parse(JSON.stringify(x, (_k, v) => (typeof v === 'number' && Number.isInteger(v) ? String(v) : v)));
    const p = proto.resourceLogs.map((rl) => rl.scopeLogs[0].logRecords.map(pick));
    const j = json.resourceLogs.map((rl: any) => rl.scopeLogs[0].logRecords.map(pick));
    expect(norm(p)).toEqual(norm(j));
  });
});

describe('encodeInChunks', () => {
  it('keeps a batch under the limit in one request', () => {
    const ws = workloads(2);
    const rs = readable(Array.from({ length: 20 }, (_, i) => record(ws[i % 2], i)));
    const out = encodeInChunks(rs, 'http/protobuf', 1 << 20);
    expect(out.chunks).toHaveLength(1);
    expect(out.chunks[0]).toMatchObject({ start: 0, end: 20 });
    expect(out.unsendable).toEqual([]);
  });

  it('splits into contiguous chunks each within the limit, covering the batch in order', () => {
    const ws = workloads(3);
    const rs = readable(Array.from({ length: 300 }, (_, i) => record(ws[i % 3], i)));
    const full = encodeLogsRequest(rs, 'http/protobuf').length;
    const max = Math.ceil(full / 7);
    const out = encodeInChunks(rs, 'http/protobuf', max);
    expect(out.chunks.length).toBeGreaterThanOrEqual(7);
    let next = 0;
    let total = 0;
    for (const c of out.chunks) {
      expect(c.start).toBe(next);
      expect(c.body.length).toBeLessThanOrEqual(max);
      const n = decodeLogsRequest(c.body).resourceLogs.reduce((s, rl) => s + rl.scopeLogs[0].logRecords.length, 0);
      expect(n).toBe(c.end - c.start);
      total += n;
      next = c.end;
    }
    expect(next).toBe(300);
    expect(total).toBe(300);
  });

  it('reports a single record over the limit as unsendable and sends the others', () => {
    const [w] = workloads(1);
    const recs = [record(w, 0), record(w, 1, { body: 'x'.repeat(5000) }), record(w, 2)];
    const out = encodeInChunks(readable(recs), 'http/protobuf', 2048);
    expect(out.unsendable).toHaveLength(1);
    expect(out.unsendable[0].index).toBe(1);
    expect(out.unsendable[0].reason).toMatch(/over maxRequestBytes 2048/);
    expect(out.chunks.map((c) => [c.start, c.end])).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it.each(['http/protobuf', 'http/json'] as const)(
    'isolates a record the %s serializer throws on (a cyclic value)',
    (protocol) => {
      const [w] = workloads(1);
      const cyclic: Record<string, unknown> = { a: 1 };
      cyclic.self = cyclic;
      const bad = record(w, 1, { attributes: { oops: cyclic as never } });
      const out = encodeInChunks(readable([record(w, 0), bad, record(w, 2), record(w, 3)]), protocol, 1 << 20);
      expect(out.unsendable.map((u) => u.index)).toEqual([1]);
      expect(out.unsendable[0].reason).toMatch(/cannot be encoded/);
      expect(out.chunks.map((c) => [c.start, c.end])).toEqual([
        [0, 1],
        [2, 4],
      ]);
    },
  );
});

describe('scope', () => {
  it('is one frozen object', () => {
    const [w] = workloads(1);
    const [a, b] = readable([record(w, 0), record(w, 1)]);
    expect(a.instrumentationScope).toBe(INSTRUMENTATION_SCOPE);
    expect(b.instrumentationScope).toBe(INSTRUMENTATION_SCOPE);
    expect(Object.isFrozen(INSTRUMENTATION_SCOPE)).toBe(true);
  });
});
