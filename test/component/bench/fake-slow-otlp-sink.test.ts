// The soak benchmark's FAKE slow OTLP sink counts what it accepts by walking the protobuf; the
// soak's "sink counted = delivered" check is only as good as that count.

import { afterEach, describe, expect, it } from 'vitest';
import { countLogRecords, startFakeSlowSink, type FakeSlowSink } from '../../../bench/fake-slow-otlp-sink.ts';
import { encodeLogsRequest } from '../../../src/exporters/otlp-http/encode.ts';
import { createSdkResourceCache } from '../../../src/exporters/otlp-http/sdk-resource-cache.ts';
import { toReadableLogRecord } from '../../../src/exporters/otlp-http/to-readable-records.ts';
import { record, workloads } from '../../helpers/otel-record-builders.ts';

let sink: FakeSlowSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

function body(n: number, resources: number): Uint8Array {
  const cache = createSdkResourceCache({ defaults: { 'service.name': 'tracee' }, overrides: {} });
  const res = workloads(resources);
  return encodeLogsRequest(
    Array.from({ length: n }, (_, i) => toReadableLogRecord(record(res[i % resources], i), cache)),
    'http/protobuf',
  );
}

describe('fake slow OTLP sink', () => {
  it('counts the log records of a real OTLP request, across resources', () => {
    expect(countLogRecords(body(7, 3))).toBe(7);
    expect(countLogRecords(body(1, 1))).toBe(1);
    expect(countLogRecords(new Uint8Array())).toBe(0);
  });

  it('accepts and counts while up, answers 503 while down (503 mode) and refuses connections (refuse mode)', async () => {
    sink = await startFakeSlowSink(100_000);
    const post = () =>
      fetch(`${sink!.url}/v1/logs`, {
        method: 'POST',
        body: Buffer.from(body(5, 2)),
        headers: { 'content-type': 'application/x-protobuf' },
      });
    expect((await post()).status).toBe(200);
    await sink.down('503');
    expect((await post()).status).toBe(503);
    await sink.up();
    expect((await post()).status).toBe(200);
    await sink.down('refuse');
    await expect(post()).rejects.toThrow();
    await sink.up();
    expect((await post()).status).toBe(200);
    expect(sink.accepted).toBe(15);
    expect(sink.refusedRequests).toBe(1);
  });
});
