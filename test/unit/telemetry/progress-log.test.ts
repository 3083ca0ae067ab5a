// The periodic progress line, with fake timers and an injected clock.

import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPipeline } from '../../../src/pipeline/pipeline.ts';
import { createTelemetry, progressLine, startProgressLog, type DeliveryReading } from '../../../src/telemetry/index.ts';
import { ROOT } from '../../helpers/samples.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('progress log', () => {
  it('one line per interval: totals, the input rate over the interval, per exporter outcome and state', () => {
    vi.useFakeTimers();
    let now = 0;
    const t = createTelemetry({ now: () => now });
    const reading: DeliveryReading = {
      delivered: 0,
      duplicates: 0,
      queuedItems: 0,
      queuedBytes: 0,
      inFlightItems: 0,
      waitingPushes: 0,
      consecutiveFailures: 0,
    };
    const es = t.exporter('es', { read: () => reading });
    const lines: string[] = [];
    const stop = startProgressLog(t, { intervalMs: 10_000, log: (l) => lines.push(l), now: () => now });
    for (let i = 0; i < 50; i++) {
      t.eventReceived('webhook');
      t.eventMapped('webhook');
    }
    t.eventReceived('webhook');
    t.eventRejected('webhook', 'malformed_json');
    Object.assign(reading, { delivered: 40, queuedItems: 7, inFlightItems: 3 });
    es.deadLettered();
    es.dropped('queue_full', 2);
    now = 10_000;
    vi.advanceTimersByTime(10_000);
    expect(lines).toEqual([
      'progress: received 51 (+5.1/s), mapped 50, rejected 1; es: delivered 40, dead-lettered 1, dropped 2, queued 7, in flight 3, healthy',
    ]);
    now = 15_000;
    es.stateChanged('retrying');
    now = 20_000;
    vi.advanceTimersByTime(10_000);
    expect(lines[1]).toBe(
      'progress: received 51 (+0.0/s), mapped 50, rejected 1; es: delivered 40, dead-lettered 1, dropped 2, queued 7, in flight 3, retrying for 5 s',
    );
    stop();
    vi.advanceTimersByTime(60_000);
    expect(lines).toHaveLength(2);
  });

  it('interval 0: no timer, nothing logged', () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    startProgressLog(createTelemetry(), { intervalMs: 0, log: (l) => lines.push(l) });
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(600_000);
    expect(lines).toEqual([]);
  });

  it('after a pipeline run the line matches the run summary', async () => {
    const samples = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8');
    const n = samples.trim().split('\n').length;
    const t = createTelemetry();
    const p = createPipeline(
      { version: 1, exporters: [{ type: 'console', name: 'out', path: '/dev/null' }] },
      { stdin: Readable.from([samples + 'oops\n']), log: () => {} },
      { telemetry: t },
    );
    const s = await p.run();
    expect(s).toMatchObject({ received: n + 1, mapped: n, rejected: 1 });
    expect(progressLine(t.snapshot(), 0, 1000)).toBe(
      `progress: received ${n + 1} (+${(n + 1).toFixed(1)}/s), mapped ${n}, rejected 1; out: delivered ${n}, dead-lettered 0, dropped 0, queued 0, healthy`,
    );
  });
});
