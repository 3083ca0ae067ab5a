// /metrics after a whole pipeline run: the sample events plus one bad line of each kind, into a
// console exporter, an OTLP exporter whose (fake) receiver refuses everything after one 503, and a
// console exporter with a one-item drop_newest queue. Every count must equal the run summary.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../../src/config/run-config.ts';
import { createPipeline } from '../../../src/pipeline/pipeline.ts';
import { createTelemetry } from '../../../src/telemetry/index.ts';
import { FakeOtlpHttpServer, fakeStatus } from '../../helpers/fake-otlp-http-server.ts';
import { parsePromText, sumOf } from '../../helpers/prom-text.ts';
import { ROOT } from '../../helpers/samples.ts';

const SAMPLES = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').trim().split('\n');
const P = 'tracee_exporter_';

let fake: FakeOtlpHttpServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('metrics after a pipeline run', () => {
  it('counts equal the run summary: received, mapped, rejected by reason, per exporter delivered / dead-lettered / dropped / retries', async () => {
    fake = await FakeOtlpHttpServer.start();
    fake.next(fakeStatus(503)).always(fakeStatus(400, 'bad request'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-run-'));
    const bad: Array<[string | Buffer, string]> = [
      ['not json', 'malformed_json'],
      ['{"foo":1}', 'unknown_shape'],
      ['42', 'not_an_object'],
      ['{"eventName":"x","args":5}', 'wrong_type'],
      [Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), 'invalid_utf8'],
      ['x'.repeat(5000), 'too_large'],
    ];
    const input = Buffer.concat([
      Buffer.from(SAMPLES.join('\n') + '\n'),
      ...bad.flatMap(([l]) => [Buffer.from(l), Buffer.from('\n')]),
    ]);
    const config: RunConfig = {
      version: 1,
      sources: [{ type: 'stdin', max_line_bytes: 4096 }],
      dead_letter: { path: path.join(dir, 'dl.ndjson') },
      exporters: [
        { type: 'console', format: 'ecs', path: path.join(dir, 'ecs.ndjson') },
        {
          type: 'otlp_http',
          name: 'otlp',
          endpoint: fake.baseUrl,
          delivery: { initial_backoff_ms: 5, max_backoff_ms: 10, flush_interval_ms: 5 },
        },
        {
          type: 'console',
          name: 'tiny',
          format: 'ecs',
          path: path.join(dir, 'tiny.ndjson'),
          delivery: { max_queue_items: 1, max_batch_items: 1, when_full: 'drop_newest' },
        },
      ],
    };
    const telemetry = createTelemetry();
    const logs: string[] = [];
    const p = createPipeline(
      config,
      { stdin: Readable.from([input]), log: (l) => logs.push(l) },
      { shutdownTimeoutMs: 5000, telemetry },
    );
    const summary = await p.run();
    const m = parsePromText(await telemetry.metrics());

    expect(summary.received).toBe(SAMPLES.length + bad.length);
    expect(summary.mapped).toBe(SAMPLES.length);
    expect(sumOf(m, `${P}events_received_total`)).toBe(summary.received);
    expect(sumOf(m, `${P}events_received_total`, { source: 'stdin' })).toBe(summary.received);
    expect(sumOf(m, `${P}events_mapped_total`, { source: 'stdin' })).toBe(summary.mapped);
    expect(sumOf(m, `${P}events_rejected_total`)).toBe(summary.rejected);
    for (const [, code] of bad)
      expect(sumOf(m, `${P}events_rejected_total`, { source: 'stdin', reason: code }), code).toBe(1);

    const labels = ['console', 'otlp', 'tiny']; // the configured names
    expect(summary.exporters).toHaveLength(3);
    for (const [i, e] of summary.exporters.entries()) {
      const x = { exporter: labels[i] };
      expect(sumOf(m, `${P}events_delivered_total`, x), e.name).toBe(e.stats.delivered);
      expect(sumOf(m, `${P}events_duplicate_total`, x), e.name).toBe(e.stats.duplicates);
      expect(sumOf(m, `${P}events_dead_lettered_total`, x), e.name).toBe(e.stats.deadLettered);
      expect(sumOf(m, `${P}events_dropped_total`, x), e.name).toBe(e.stats.droppedTotal);
      expect(sumOf(m, `${P}export_retries_total`, x), e.name).toBe(e.stats.retries);
      expect(sumOf(m, `${P}export_retried_events_total`, x), e.name).toBe(e.stats.retriedItems);
      expect(sumOf(m, `${P}events_undelivered_at_shutdown_total`, x), e.name).toBe(e.pendingAtShutdown);
      expect(sumOf(m, `${P}queue_items`, x), e.name).toBe(0);
      expect(sumOf(m, `${P}export_send_duration_seconds_count`, x), e.name).toBe(e.stats.batchesSent);
      // every event the delivery accepted reached one terminal state
      expect(
        e.stats.delivered + e.stats.duplicates + e.stats.deadLettered + e.stats.droppedTotal + e.pendingAtShutdown,
        e.name,
      ).toBe(summary.mapped);
    }
    const [ecs, otlp, tiny] = summary.exporters;
    expect(ecs.stats.delivered).toBe(SAMPLES.length);
    expect(otlp.stats.deadLettered).toBe(SAMPLES.length);
    expect(otlp.stats.retries).toBeGreaterThanOrEqual(1);
    expect(sumOf(m, `${P}export_send_duration_seconds_count`, { exporter: 'otlp', outcome: 'retryable' })).toBe(1);
    expect(
      sumOf(m, `${P}export_send_duration_seconds_count`, { exporter: 'otlp', outcome: 'rejected' }),
    ).toBeGreaterThanOrEqual(1);
    expect(tiny.stats.dropped.queue_full).toBeGreaterThan(0); // 4 batches in flight + 1 queued, the rest dropped
    expect(sumOf(m, `${P}events_dropped_total`, { exporter: 'tiny', reason: 'queue_full' })).toBe(
      tiny.stats.dropped.queue_full,
    );
    expect(sumOf(m, `${P}exporter_healthy`, { exporter: 'otlp' })).toBe(1); // the receiver answered (400)
    expect(sumOf(m, `${P}queue_capacity_items`, { exporter: 'tiny' })).toBe(1);
    expect(sumOf(m, `${P}ready`)).toBe(0); // stopped
    // no endpoint (nor anything else from the exporter config) in a label
    expect(m.some((s) => Object.values(s.labels).some((v) => v.includes('127.0.0.1')))).toBe(false);
  });

  it('names that repeat get a unique exporter label; webhook answers are counted by status', async () => {
    const telemetry = createTelemetry();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-wh-'));
    const p = createPipeline(
      {
        version: 1,
        sources: [{ type: 'webhook', listen: '127.0.0.1:0', path: '/events' }],
        exporters: [
          { type: 'console', path: path.join(dir, 'a.ndjson') },
          { type: 'console', path: path.join(dir, 'b.ndjson') },
        ],
      },
      { stdin: Readable.from([]), log: () => {} },
      { shutdownTimeoutMs: 5000, telemetry },
    );
    const running = p.run();
    const { webhooks } = await p.ready();
    const url = webhooks[0].url;
    const post = async (body: string, where = url) => {
      const r = await fetch(where, { method: 'POST', body });
      await r.text();
      return r.status;
    };
    expect(await post(SAMPLES[0])).toBe(200);
    expect(await post(SAMPLES.slice(1).join('\n') + '\nnope')).toBe(200);
    expect(await post('nope')).toBe(400);
    expect(await post(SAMPLES[0], url.replace('/events', '/other'))).toBe(404);
    p.stop();
    const summary = await running;
    const m = parsePromText(await telemetry.metrics());
    const listen = new URL(url).host;
    expect(sumOf(m, `${P}webhook_requests_total`, { listen, status: '200' })).toBe(2);
    expect(sumOf(m, `${P}webhook_requests_total`, { listen, status: '400' })).toBe(1);
    expect(sumOf(m, `${P}webhook_requests_total`, { listen, status: '404' })).toBe(1);
    expect(sumOf(m, `${P}events_received_total`, { source: 'webhook' })).toBe(summary.received);
    expect(sumOf(m, `${P}events_rejected_total`, { source: 'webhook', reason: 'malformed_json' })).toBe(2);
    expect(sumOf(m, `${P}events_delivered_total`, { exporter: 'console' })).toBe(SAMPLES.length);
    expect(sumOf(m, `${P}events_delivered_total`, { exporter: 'console#2' })).toBe(SAMPLES.length);
  });
});
