import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOtlpHttpExporter } from '../../../../src/exporters/otlp-http/index.ts';
import type { OtlpHttpExporter, OtlpHttpOptions } from '../../../../src/exporters/otlp-http/index.ts';
import { BASE_NS, batch, items, record, workloads } from '../../../helpers/otel-record-builders.ts';
import {
  FakeOtlpHttpServer,
  fakeHang,
  fakeResetMidBody,
  fakeSlow,
  fakeStatus,
} from '../../../helpers/fake-otlp-http-server.ts';
import {
  attrMap,
  decodeLogsRequest,
  encodePartialSuccess,
  encodeRpcStatus,
} from '../../../helpers/otlp-proto-decode.ts';

let fake: FakeOtlpHttpServer;
let exporter: OtlpHttpExporter | undefined;
let warnings: string[];

beforeEach(async () => {
  fake = await FakeOtlpHttpServer.start();
  warnings = [];
});

afterEach(async () => {
  await exporter?.shutdown();
  exporter = undefined;
  await fake.close();
});

async function make(opts: OtlpHttpOptions = {}, env: Record<string, string> = {}): Promise<OtlpHttpExporter> {
  exporter = createOtlpHttpExporter({ logsEndpoint: fake.logsUrl, ...opts }, { env, warn: (m) => warnings.push(m) });
  await exporter.start();
  return exporter;
}

describe('otlp_http exporter: what goes on the wire', () => {
  it('posts protobuf, gzip by default, with headers; K workloads → K ResourceLogs in one request; exact ns', async () => {
    const e = await make(
      { headers: { Authorization: 'Bearer s3cr3t' } },
      { OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=t1' },
    );
    expect(e.name).toBe('otlp_http');
    expect(e.target).toBe('otel');
    const ws = workloads(4);
    expect(await e.send(batch(ws, 40))).toEqual({ status: 'ok' });
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0];
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/logs');
    expect(req.headers['content-type']).toBe('application/x-protobuf');
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(req.headers.authorization).toBe('Bearer s3cr3t');
    expect(req.headers['x-tenant']).toBe('t1');
    expect(req.headers['user-agent']).toMatch(/^tracee-exporter\//);
    expect(req.raw.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const decoded = decodeLogsRequest(req.body);
    expect(decoded.resourceLogs).toHaveLength(4);
    const times = decoded.resourceLogs.flatMap((rl) =>
      rl.scopeLogs[0].logRecords.map((r: any) => BigInt(r.timeUnixNano)),
    );
    expect(times.sort((a, b) => (a < b ? -1 : 1))).toEqual(Array.from({ length: 40 }, (_, i) => BASE_NS + BigInt(i)));
    const pods = decoded.resourceLogs.map((rl) => attrMap(rl.resource.attributes)['k8s.pod.name'].stringValue).sort();
    expect(pods).toEqual(['pod-0', 'pod-1', 'pod-2', 'pod-3']);
  });

  it('posts OTLP/JSON without compression when asked', async () => {
    const e = await make({ protocol: 'http/json', compression: 'none' });
    expect(await e.send(batch(workloads(2), 4))).toEqual({ status: 'ok' });
    const req = fake.requests[0];
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['content-encoding']).toBeUndefined();
    const json = JSON.parse(req.body.toString('utf8'));
    expect(json.resourceLogs).toHaveLength(2);
    expect(json.resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano).toBe(BASE_NS.toString());
  });

  it('puts service.name and OTEL_RESOURCE_ATTRIBUTES on every workload resource', async () => {
    const e = await make(
      {},
      {
        OTEL_SERVICE_NAME: 'tracee-prod',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,k8s.cluster.name=c1',
      },
    );
    await e.send(batch(workloads(2), 4));
    const rls = decodeLogsRequest(fake.requests[0].body).resourceLogs;
    expect(rls).toHaveLength(2);
    for (const rl of rls) {
      const a = attrMap(rl.resource.attributes);
      expect(a['service.name']).toEqual({ stringValue: 'tracee-prod' });
      expect(a['deployment.environment.name']).toEqual({ stringValue: 'prod' });
      expect(a['k8s.cluster.name']).toEqual({ stringValue: 'c1' });
      expect(a['host.name']).toEqual({ stringValue: 'node-1' });
    }
  });

  it('sends nothing for an empty batch', async () => {
    const e = await make();
    expect(await e.send([])).toEqual({ status: 'ok' });
    expect(fake.requests).toHaveLength(0);
  });

  it('resolves the endpoint from the environment (generic var + /v1/logs)', async () => {
    exporter = createOtlpHttpExporter(
      {},
      {
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: fake.baseUrl, OTEL_EXPORTER_OTLP_COMPRESSION: 'none' },
        warn: (m) => warnings.push(m),
      },
    );
    expect(await exporter.send(batch(workloads(1), 1))).toEqual({ status: 'ok' }); // send() starts lazily
    expect(fake.requests[0].path).toBe('/v1/logs');
    expect(fake.requests[0].headers['content-encoding']).toBeUndefined();
  });
});

describe('otlp_http exporter: classification of answers', () => {
  it('429 with Retry-After seconds → retryable with retryAfterMs', async () => {
    fake.next(fakeStatus(429, 'slow down', { 'retry-after': '3' }));
    const e = await make();
    expect(await e.send(batch(workloads(1), 2))).toEqual({
      status: 'retryable',
      reason: 'HTTP 429 Too Many Requests: slow down',
      retryAfterMs: 3000,
    });
  });

  it('503 with an HTTP-date Retry-After → retryable', async () => {
    const now = Date.parse('2026-11-28T10:00:00Z');
    fake.next(fakeStatus(503, '', { 'retry-after': 'Sat, 28 Nov 2026 10:00:12 GMT' }));
    exporter = createOtlpHttpExporter({ logsEndpoint: fake.logsUrl }, { env: {}, now: () => now });
    expect(await exporter.send(batch(workloads(1), 1))).toEqual({
      status: 'retryable',
      reason: 'HTTP 503 Service Unavailable',
      retryAfterMs: 12_000,
    });
  });

  it('400 with a protobuf google.rpc.Status → rejected with the collector message', async () => {
    fake.next(
      fakeStatus(400, encodeRpcStatus(3, 'proto: illegal wireType 7'), { 'content-type': 'application/x-protobuf' }),
    );
    const e = await make();
    expect(await e.send(batch(workloads(1), 1))).toEqual({
      status: 'rejected',
      cause: 'permanent',
      reason: 'HTTP 400 Bad Request: proto: illegal wireType 7',
    });
  });

  it("500 is rejected (the spec forbids retrying it), as the destination's state (replayable), not a verdict on the events", async () => {
    fake.next(fakeStatus(500, 'boom'));
    const e = await make();
    expect(await e.send(batch(workloads(1), 1))).toEqual({
      status: 'rejected',
      cause: 'destination_state',
      reason: 'HTTP 500 Internal Server Error: boom',
    });
  });

  it('200 with partial success → ok with the rejected count and message', async () => {
    fake.next(
      fakeStatus(200, encodePartialSuccess(2, 'two records too old'), { 'content-type': 'application/x-protobuf' }),
    );
    const e = await make();
    expect(await e.send(batch(workloads(1), 5))).toEqual({
      status: 'ok',
      rejected: 2,
      rejectedReason: 'two records too old',
    });
  });

  it('JSON partial success', async () => {
    fake.next(
      fakeStatus(200, JSON.stringify({ partialSuccess: { rejectedLogRecords: '1', errorMessage: 'nope' } }), {
        'content-type': 'application/json',
      }),
    );
    const e = await make({ protocol: 'http/json' });
    expect(await e.send(batch(workloads(1), 3))).toEqual({ status: 'ok', rejected: 1, rejectedReason: 'nope' });
  });

  it('connection reset in the middle of the response body → retryable', async () => {
    fake.next(fakeResetMidBody(200));
    const e = await make();
    const o = await e.send(batch(workloads(1), 1));
    expect(o.status).toBe('retryable');
    expect((o as { reason: string }).reason).toMatch(/ECONNRESET|aborted/i);
  });

  it('a connection reset before any answer → retryable', async () => {
    fake.next((_req, res) => {
      res.socket?.resetAndDestroy();
    });
    const e = await make();
    expect((await e.send(batch(workloads(1), 1))).status).toBe('retryable');
  });

  it('a slow answer beyond timeoutMs → retryable TIMEOUT, and the exporter keeps working', async () => {
    fake.next(fakeSlow(2000));
    const e = await make({ timeoutMs: 200 });
    const t0 = Date.now();
    const o = await e.send(batch(workloads(1), 1));
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(o).toMatchObject({
      status: 'retryable',
      reason: expect.stringMatching(/^TIMEOUT: no complete answer within 200 ms/),
    });
    expect(await e.send(batch(workloads(1), 1))).toEqual({ status: 'ok' });
  });

  it('headers sent but the body never finishes within timeoutMs → retryable TIMEOUT (not a reset)', async () => {
    fake.next((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '50' });
      res.write(Buffer.alloc(5));
    });
    const e = await make({ timeoutMs: 200 });
    expect(await e.send(batch(workloads(1), 1))).toMatchObject({
      status: 'retryable',
      reason: expect.stringMatching(/^TIMEOUT: .*\(after HTTP 200 headers\)/),
    });
  });

  it('connection refused → retryable, and the reason carries no header value or URL credentials', async () => {
    const port = Number(new URL(fake.baseUrl).port);
    await fake.close();
    fake = await FakeOtlpHttpServer.start(); // keep afterEach happy; send to the closed port
    exporter = createOtlpHttpExporter(
      { logsEndpoint: `http://user:pw@127.0.0.1:${port}/v1/logs?token=q`, headers: { authorization: 'Bearer s3cr3t' } },
      { env: {} },
    );
    const o = await exporter.send(batch(workloads(1), 1));
    expect(o.status).toBe('retryable');
    const reason = (o as { reason: string }).reason;
    expect(reason).toMatch(/ECONNREFUSED/);
    expect(reason).not.toMatch(/s3cr3t|pw@|token=q/);
  });

  it('an aborted signal → retryable ABORTED', async () => {
    fake.next(fakeHang);
    const e = await make();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    expect(await e.send(batch(workloads(1), 1), ac.signal)).toMatchObject({
      status: 'retryable',
      reason: expect.stringMatching(/^ABORTED/),
    });
  });
});

describe('otlp_http exporter: request size', () => {
  it('splits a batch over maxRequestBytes into sequential requests and combines the ok outcomes', async () => {
    fake
      .next(fakeStatus(200, encodePartialSuccess(1, 'a'), { 'content-type': 'application/x-protobuf' }))
      .next(fakeStatus(200, encodePartialSuccess(2, 'b'), { 'content-type': 'application/x-protobuf' }));
    const e = await make({ maxRequestBytes: 16 * 1024 });
    const b = batch(workloads(3), 200);
    const o = await e.send(b);
    expect(fake.requests.length).toBeGreaterThan(2);
    for (const r of fake.requests) expect(r.body.length).toBeLessThanOrEqual(16 * 1024);
    const seqs = fake.requests.flatMap((r) =>
      decodeLogsRequest(r.body).resourceLogs.flatMap((rl) =>
        rl.scopeLogs[0].logRecords.map((lr: any) => Number(attrMap(lr.attributes)['tracee.seq'].intValue)),
      ),
    );
    expect(seqs.sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(o).toEqual({ status: 'ok', rejected: 3, rejectedReason: 'a; b' });
  });

  it('stops after the first retryable request: later chunks are retryable, earlier ones ok', async () => {
    fake.next(fakeStatus(200), fakeStatus(503, '', { 'retry-after': '1' }));
    const e = await make({ maxRequestBytes: 16 * 1024 });
    const o = await e.send(batch(workloads(2), 200));
    expect(fake.requests).toHaveLength(2);
    expect(o.status).toBe('partial');
    const its = (o as { items: Array<{ status: string; retryAfterMs?: number }> }).items;
    expect(its).toHaveLength(200);
    const firstRetryable = its.findIndex((i) => i.status === 'retryable');
    expect(firstRetryable).toBeGreaterThan(0);
    expect(its.slice(0, firstRetryable).every((i) => i.status === 'ok')).toBe(true);
    expect(its.slice(firstRetryable).every((i) => i.status === 'retryable' && i.retryAfterMs === 1000)).toBe(true);
  });

  it('413 splits the request in halves within the same send; a single record still refused is rejected', async () => {
    // The fake refuses any request carrying more than 3 records, or record 9 at all.
    fake.always((req, res) => {
      const seqs = decodeLogsRequest(req.body).resourceLogs.flatMap((rl) =>
        rl.scopeLogs[0].logRecords.map((lr: any) => attrMap(lr.attributes)['tracee.seq'].intValue),
      );
      const tooBig = seqs.length > 3 || seqs.includes('9');
      res.writeHead(tooBig ? 413 : 200, { 'content-type': 'application/x-protobuf' });
      res.end(tooBig ? encodeRpcStatus(8, 'request body too large') : '');
    });
    const e = await make();
    const o = await e.send(batch(workloads(2), 10));
    expect(o.status).toBe('partial');
    const its = (o as { items: Array<{ status: string; reason?: string }> }).items;
    expect(its.map((i) => i.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'rejected']);
    expect(its[9].reason).toBe('HTTP 413 Payload Too Large: request body too large');
    expect(warnings.join()).toMatch(/413.*lower maxRequestBytes/);
  });

  it('a record that alone is over the limit is rejected, the rest is sent', async () => {
    const e = await make({ maxRequestBytes: 4096 });
    const [w] = workloads(1);
    const o = await e.send(items([record(w, 0), record(w, 1, { body: 'y'.repeat(10_000) }), record(w, 2)]));
    expect(o).toMatchObject({
      status: 'partial',
      items: [
        { status: 'ok' },
        { status: 'rejected', reason: expect.stringMatching(/over maxRequestBytes/) },
        { status: 'ok' },
      ],
    });
  });
});

describe('otlp_http exporter: request writers (protobuf + gzip writes each request into a reused buffer)', () => {
  const seqsOf = (body: Buffer) =>
    decodeLogsRequest(body).resourceLogs.flatMap((rl) =>
      rl.scopeLogs[0].logRecords.map((lr: any) => Number(attrMap(lr.attributes)['tracee.seq'].intValue)),
    );

  it('sends in progress at the same time each carry their own records', async () => {
    fake.always(fakeSlow(30));
    const e = await make();
    const sends = Array.from({ length: 6 }, (_, k) => e.send(batch(workloads(2), 50 + k, 1000 * k)));
    expect(await Promise.all(sends)).toEqual(Array.from({ length: 6 }, () => ({ status: 'ok' })));
    expect(fake.requests).toHaveLength(6);
    const got = fake.requests.map((r) => seqsOf(r.body).sort((a, b) => a - b)).sort((a, b) => a[0] - b[0]);
    expect(got).toEqual(Array.from({ length: 6 }, (_, k) => Array.from({ length: 50 + k }, (_, i) => 1000 * k + i)));
  });

  it('a send after a larger one carries only its own records (the writer is reused from its start)', async () => {
    const e = await make();
    expect(await e.send(batch(workloads(1), 120, 0))).toEqual({ status: 'ok' });
    expect(await e.send(batch(workloads(1), 3, 500))).toEqual({ status: 'ok' });
    expect(seqsOf(fake.requests[1].body)).toEqual([500, 501, 502]);
  });

  it('uncompressed protobuf bodies are the same bytes as with gzip', async () => {
    const b = batch(workloads(3), 30);
    await make();
    await exporter!.send(b);
    await exporter!.shutdown();
    await make({ compression: 'none' });
    await exporter!.send(b);
    expect(fake.requests[1].headers['content-encoding']).toBeUndefined();
    expect(fake.requests[1].body.equals(fake.requests[0].body)).toBe(true);
  });
});

describe('otlp_http exporter: lifecycle', () => {
  it('shutdown is idempotent, works without start, and send after shutdown throws', async () => {
    const e = createOtlpHttpExporter({ logsEndpoint: fake.logsUrl }, { env: {} });
    await e.shutdown();
    await e.shutdown();
    await expect(e.send(batch(workloads(1), 1))).rejects.toThrow(/after shutdown/);
  });

  it('start fails clearly when a TLS file is missing (no contents in the message)', async () => {
    const e = createOtlpHttpExporter(
      { logsEndpoint: 'https://127.0.0.1:1/v1/logs', tls: { caFile: '/nonexistent/ca.pem' } },
      { env: {} },
    );
    await expect(e.start()).rejects.toThrow('otlp_http.tls.caFile: cannot read "/nonexistent/ca.pem": ENOENT');
  });

  it('invalid explicit options throw at creation', () => {
    expect(() => createOtlpHttpExporter({ endpoint: 'localhost:4318' }, { env: {} })).toThrow(/otlp_http\.endpoint/);
  });

  it('exposes its settings with header values and URL credentials redacted', () => {
    exporter = createOtlpHttpExporter(
      { logsEndpoint: 'http://u:pw@h:1/v1/logs?k=secret', headers: { authorization: 'Bearer s3cr3t' } },
      { env: {} },
    );
    const text = JSON.stringify(exporter.settings);
    expect(text).not.toMatch(/s3cr3t|pw|secret/);
    expect(exporter.settings.headers).toEqual({ authorization: '[redacted]' });
  });

  it('warns (not throws) about invalid env values', () => {
    exporter = createOtlpHttpExporter(
      {},
      { env: { OTEL_EXPORTER_OTLP_TIMEOUT: 'abc' }, warn: (m) => warnings.push(m) },
    );
    expect(warnings).toEqual(['OTEL_EXPORTER_OTLP_TIMEOUT ignored: expected a positive integer, got "abc"']);
  });
});
