// The peer bench ends a run when its FAKE counting sink has seen every record: the count must be right
// for gzip bodies (what both pipelines send) and plain ones, and a body it cannot read must not count.

import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { startCountingSink, type CountingSink } from '../../../bench/peer-sink.ts';
import { encodeLogsRequest } from '../../../src/exporters/otlp-http/encode.ts';
import { createSdkResourceCache } from '../../../src/exporters/otlp-http/sdk-resource-cache.ts';
import { toReadableLogRecord } from '../../../src/exporters/otlp-http/to-readable-records.ts';
import { record, workloads } from '../../helpers/otel-record-builders.ts';

let sink: CountingSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

function body(n: number, resources: number): Buffer {
  const cache = createSdkResourceCache({ defaults: { 'service.name': 'tracee' }, overrides: {} });
  const res = workloads(resources);
  return Buffer.from(
    encodeLogsRequest(
      Array.from({ length: n }, (_, i) => toReadableLogRecord(record(res[i % resources], i), cache)),
      'http/protobuf',
    ),
  );
}

describe('peer bench counting sink', () => {
  it('counts the records of gzip and plain OTLP protobuf requests, refuses unreadable ones, and resets', async () => {
    sink = await startCountingSink();
    const post = (b: Buffer, gzip: boolean) =>
      fetch(`${sink!.url}/v1/logs`, {
        method: 'POST',
        body: new Uint8Array(gzip ? zlib.gzipSync(b) : b),
        headers: { 'content-type': 'application/x-protobuf', ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
      });
    expect((await post(body(5, 2), true)).status).toBe(200);
    expect((await post(body(2, 1), false)).status).toBe(200);
    expect(sink.records).toBe(7);
    expect((await post(Buffer.from('not gzip'), true)).status).toBe(400);
    expect(sink.badRequests).toBe(1);
    expect(sink.records).toBe(7);
    sink.reset();
    expect([sink.records, sink.badRequests]).toEqual([0, 0]);
  });
});
