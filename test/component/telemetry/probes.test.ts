// /healthz, /readyz and /metrics over real HTTP on 127.0.0.1 (ephemeral port): the phases, the
// "every exporter retrying too long" rule, and a real pipeline shutting down.

import { PassThrough, Readable } from 'node:stream';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPipeline } from '../../../src/pipeline/pipeline.ts';
import {
  createTelemetry,
  createTelemetryServer,
  judgeReadiness,
  type DeliveryReading,
  type TelemetryServer,
} from '../../../src/telemetry/index.ts';
import { FakeOtlpHttpServer, fakeHang } from '../../helpers/fake-otlp-http-server.ts';
import { ROOT } from '../../helpers/samples.ts';

const READING: DeliveryReading = {
  delivered: 0,
  duplicates: 0,
  queuedItems: 0,
  queuedBytes: 0,
  inFlightItems: 0,
  waitingPushes: 0,
  consecutiveFailures: 0,
};
const SAMPLE = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').split('\n')[0];

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function serve(t: ReturnType<typeof createTelemetry>): Promise<string> {
  const server: TelemetryServer = createTelemetryServer(t, { host: '127.0.0.1', port: 0 });
  const base = await server.listen();
  cleanup.push(() => server.close());
  return base;
}

async function get(url: string, method = 'GET'): Promise<{ status: number; body: string; type: string | null }> {
  const r = await fetch(url, { method });
  return { status: r.status, body: await r.text(), type: r.headers.get('content-type') };
}

describe('telemetry server', () => {
  it('healthz and readyz follow the phases; every exporter retrying longer than the bound → 503 with the reason', async () => {
    let now = 0;
    const t = createTelemetry({ now: () => now, notReadyAfterRetryingMs: 60_000 });
    const base = await serve(t);
    const a = t.exporter('es', { read: () => READING });
    const b = t.exporter('otlp', { read: () => READING });

    expect(await get(`${base}/healthz`)).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await get(`${base}/readyz`)).toMatchObject({ status: 503, body: expect.stringMatching(/^starting/) });
    t.phaseChanged('running');
    expect(await get(`${base}/readyz`)).toMatchObject({ status: 200, body: 'ready\n' });

    a.stateChanged('retrying'); // one failing exporter of two: still ready, however long
    now = 600_000;
    expect((await get(`${base}/readyz`)).status).toBe(200);
    b.stateChanged('retrying'); // both failing, the second one for less than the bound
    now += 59_000;
    expect((await get(`${base}/readyz`)).status).toBe(200);
    now += 2_000;
    const r = await get(`${base}/readyz`);
    expect(r.status).toBe(503);
    expect(r.body).toBe('every exporter retrying for over 60 s: es (661 s), otlp (61 s)\n');
    expect((await get(`${base}/healthz`)).status).toBe(200); // liveness never follows the destinations
    expect((await get(`${base}/metrics`)).body).toMatch(/^tracee_exporter_ready 0$/m);
    b.stateChanged('healthy'); // one answer is enough
    expect((await get(`${base}/readyz`)).status).toBe(200);
    expect((await get(`${base}/metrics`)).body).toMatch(/^tracee_exporter_ready 1$/m);

    t.phaseChanged('stopping');
    expect(await get(`${base}/readyz`)).toMatchObject({ status: 503, body: expect.stringMatching(/^shutting down/) });
    expect((await get(`${base}/healthz`)).status).toBe(200);
    t.phaseChanged('stopped');
    expect(await get(`${base}/healthz`)).toMatchObject({ status: 503, body: 'stopped\n' });
  });

  it('/metrics is Prometheus text; other paths 404, other methods 405, HEAD has no body', async () => {
    const t = createTelemetry();
    const base = await serve(t);
    t.eventReceived('stdin');
    const m = await get(`${base}/metrics`);
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.body).toContain('# TYPE tracee_exporter_events_received_total counter');
    expect(m.body).toMatch(/^tracee_exporter_events_received_total\{source="stdin"\} 1$/m);
    expect(m.body).toMatch(/^tracee_exporter_build_info\{version="[^"]+"\} 1$/m);
    expect((await get(`${base}/`)).status).toBe(404);
    expect((await get(`${base}/metrics/x`)).status).toBe(404);
    expect((await get(`${base}/readyz`, 'POST')).status).toBe(405);
    expect(await get(`${base}/healthz?verbose`, 'HEAD')).toMatchObject({ status: 200, body: '' });
  });

  it('not_ready_after_retrying_ms 0: readiness ignores the destinations', () => {
    const ex = [{ label: 'a', state: 'retrying' as const, stateSince: 0 }];
    expect(judgeReadiness('running', ex, 1e9, 0)).toEqual({ ready: true, reason: 'ready' });
    expect(judgeReadiness('running', ex, 1e9, 1000).ready).toBe(false);
    expect(judgeReadiness('running', [], 1e9, 1000).ready).toBe(true);
  });

  it('gRPC only: unready once every stream has been down for the bound; a stream back, or another source, keeps it ready', () => {
    let clock = 0;
    const t = createTelemetry({ now: () => clock, notReadyAfterRetryingMs: 1000 });
    t.phaseChanged('running');
    const a = t.grpc('unix:///var/run/tracee/tracee.sock');
    const b = t.grpc('127.0.0.1:4466');
    clock = 999;
    expect(t.readiness().ready).toBe(true); // never connected yet, but not for the whole bound
    clock = 1500;
    expect(t.readiness()).toEqual({
      ready: false,
      reason:
        'every gRPC stream from Tracee down for over 1 s: unix:///var/run/tracee/tracee.sock (2 s), 127.0.0.1:4466 (2 s)',
    });
    b.connected();
    expect(t.readiness().ready).toBe(true); // one stream up: events come in
    a.connected();
    clock = 2000;
    a.disconnected();
    b.disconnected();
    clock = 2999;
    expect(t.readiness().ready).toBe(true);
    clock = 3000;
    expect(t.readiness().reason).toMatch(/^every gRPC stream from Tracee down for over 1 s: /);
    t.webhook('127.0.0.1:8080', () => ({ accepted: 0, refused: {} }) as never);
    expect(t.readiness().ready).toBe(true); // the webhook still takes events
    expect(
      judgeReadiness('running', [], 1e9, 0, {
        streams: [{ address: 'x', connected: false, since: 0 }],
        otherSources: 0,
      }).ready,
    ).toBe(true);
  });

  it('a port in use is an error naming the key', async () => {
    const t = createTelemetry();
    const base = await serve(t);
    const port = Number(new URL(base).port);
    await expect(createTelemetryServer(t, { host: '127.0.0.1', port }).listen()).rejects.toThrow(
      /^telemetry\.listen: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/,
    );
  });
});

describe('readiness of a real pipeline', () => {
  it('503 while starting, 200 once running, 503 while shutting down (healthz still 200), healthz 503 once stopped', async () => {
    const fake = await FakeOtlpHttpServer.start();
    cleanup.push(() => fake.close());
    fake.always(fakeHang); // the flush can only end at the shutdown deadline
    const t = createTelemetry();
    const base = await serve(t);
    const stdin = new PassThrough();
    const p = createPipeline(
      {
        version: 1,
        sources: [{ type: 'stdin' }],
        exporters: [{ type: 'otlp_http', endpoint: fake.baseUrl, delivery: { flush_interval_ms: 5 } }],
      },
      { stdin, log: () => {} },
      { shutdownTimeoutMs: 800, telemetry: t },
    );
    expect((await get(`${base}/readyz`)).status).toBe(503);
    const running = p.run();
    await p.ready();
    expect(await get(`${base}/readyz`)).toMatchObject({ status: 200, body: 'ready\n' });
    stdin.write(`${SAMPLE}\n`);
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    p.stop();
    const during = await get(`${base}/readyz`);
    expect(during.status).toBe(503);
    expect(during.body).toMatch(/^shutting down/);
    expect((await get(`${base}/healthz`)).status).toBe(200);
    expect((await get(`${base}/metrics`)).body).toMatch(
      /^tracee_exporter_in_flight_events\{exporter="otlp_http"\} 1$/m,
    );
    const summary = await running;
    expect(summary.exporters[0].pendingAtShutdown).toBe(1);
    expect((await get(`${base}/readyz`)).body).toBe('stopped\n');
    expect((await get(`${base}/healthz`)).status).toBe(503);
    expect((await get(`${base}/metrics`)).body).toMatch(
      /^tracee_exporter_events_undelivered_at_shutdown_total\{exporter="otlp_http"\} 1$/m,
    );
  });

  it('a stdin source that ends: running, then stopping by itself', async () => {
    const t = createTelemetry();
    const p = createPipeline(
      { version: 1, exporters: [{ type: 'console', path: '/dev/null' }] },
      { stdin: Readable.from([`${SAMPLE}\n`]), log: () => {} },
      { telemetry: t },
    );
    const phases: string[] = [];
    const orig = t.phaseChanged;
    t.phaseChanged = (ph) => {
      phases.push(ph);
      orig(ph);
    };
    await p.run();
    expect(phases).toEqual(['starting', 'running', 'stopping', 'stopped']);
  });
});
