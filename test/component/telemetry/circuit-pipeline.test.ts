// The circuit state through the real pipeline: an OTLP destination that answers 503 a few times
// opens the circuit (logged once, with the last error), the metric says `open`, and the first 200
// closes it (logged once); every event is still delivered.

import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createPipeline } from '../../../src/pipeline/pipeline.ts';
import { createTelemetry } from '../../../src/telemetry/index.ts';
import { FakeOtlpHttpServer, fakeOk, fakeStatus } from '../../helpers/fake-otlp-http-server.ts';
import { parsePromText, sumOf } from '../../helpers/prom-text.ts';
import { ROOT } from '../../helpers/samples.ts';

const SAMPLES = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').trim().split('\n');

let fake: FakeOtlpHttpServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('pipeline: circuit state per exporter', () => {
  it('opens after circuitFailureThreshold 503s, shows it in the metrics, closes on the first answer', async () => {
    fake = await FakeOtlpHttpServer.start();
    const t = createTelemetry();
    // the metric as each request arrives, read before it is answered
    const scrapes: Array<Promise<string>> = [];
    let down = true;
    fake.always((req, res) => {
      scrapes.push(t.metrics());
      if (!down) return fakeOk(req, res);
      // 6 × 503: with 2 batches in flight, request 6 leaves after the answer to request 4, when the
      // third failure (the threshold) has surely been counted
      if (fake!.requests.length >= 6) down = false;
      return fakeStatus(503, 'down')(req, res);
    });
    const logs: string[] = [];
    const p = createPipeline(
      {
        version: 1,
        sources: [{ type: 'stdin' }],
        exporters: [
          {
            type: 'otlp_http',
            name: 'otlp',
            endpoint: fake.baseUrl,
            compression: 'none',
            delivery: {
              flush_interval_ms: 5,
              max_batch_items: 2,
              concurrency: 2,
              initial_backoff_ms: 5,
              max_backoff_ms: 20,
              circuit_failure_threshold: 3,
            },
          },
        ],
      },
      { stdin: Readable.from([SAMPLES.join('\n') + '\n']), log: (l) => logs.push(l) },
      { shutdownTimeoutMs: 10_000, telemetry: t },
    );
    const summary = await p.run();

    expect(summary.exporters[0].stats).toMatchObject({ delivered: SAMPLES.length, deadLettered: 0, state: 'healthy' });
    const transitions = logs.filter((l) => /^otlp: (retrying|circuit|healthy)/.test(l));
    expect(transitions).toEqual([
      expect.stringMatching(/^otlp: retrying \(HTTP 503/),
      expect.stringMatching(
        /^otlp: circuit open after 3 consecutive failures \(last error: HTTP 503.*\); one probe batch at a time until it answers$/,
      ),
      'otlp: circuit closed: the destination answered',
    ]);
    const stateAt = async (i: number) => {
      const m = parsePromText(await scrapes[i]);
      return ['healthy', 'retrying', 'open'].filter(
        (s) => sumOf(m, 'tracee_exporter_exporter_state', { exporter: 'otlp', state: s }) === 1,
      );
    };
    expect(await stateAt(0)).toEqual(['healthy']);
    expect(await stateAt(5)).toEqual(['open']); // the 6th request is a probe
    expect(fake.requests.length).toBeGreaterThanOrEqual(7);
    const m = parsePromText(await t.metrics());
    expect(sumOf(m, 'tracee_exporter_exporter_state', { exporter: 'otlp', state: 'healthy' })).toBe(1);
    expect(sumOf(m, 'tracee_exporter_exporter_state', { exporter: 'otlp', state: 'open' })).toBe(0);
  });
});
