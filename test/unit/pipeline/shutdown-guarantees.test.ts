// Shutdown guarantees of the pipeline wiring, found in review: each case failed before its fix.

import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../../src/config/run-config.ts';
import type { ExporterFactory } from '../../../src/exporters/registry.ts';
import type { Exporter } from '../../../src/model/exporter.ts';
import { createPipeline } from '../../../src/pipeline/pipeline.ts';
import { ROOT } from '../../helpers/samples.ts';
import { tmpDir } from '../../helpers/disk-buffer-setup.ts';

const SAMPLES = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').trim().split('\n');

/** A destination that is down for good: every send is retryable. */
const fakeDown: ExporterFactory = (o) =>
  ({
    name: String(o.name),
    target: 'ecs',
    start: async () => {},
    shutdown: async () => {},
    send: async () => ({ status: 'retryable', reason: 'fake-down: HTTP 503' }),
  }) as Exporter;

/** Down for the first `failures` sends, then ok; records the ids it took. */
function fakeRecovering(failures: number, delivered: string[]): ExporterFactory {
  let calls = 0;
  return (o) =>
    ({
      name: String(o.name),
      target: 'ecs',
      start: async () => {},
      shutdown: async () => {},
      send: async (batch) => {
        if (calls++ < failures) return { status: 'retryable', reason: 'fake-recovering: HTTP 503' };
        for (const i of batch) delivered.push((i.record as { id: string }).id);
        return { status: 'ok' };
      },
    }) as Exporter;
}

describe('pipeline: disk buffer in front of a drop_newest delivery', () => {
  it('records already persisted in the disk buffer are never dropped by the in-memory queue (its whenFull does not apply behind a buffer)', async () => {
    const dir = tmpDir();
    const delivered: string[] = [];
    // a byte bound that holds one mapped sample only (a mapped record counts ~4 × its input line)
    const config = parseRunConfig(
      `version: 1
data_dir: ${dir}
delivery: { when_full: drop_newest, max_queue_bytes: 8000, max_queue_items: 100, initial_backoff_ms: 20, max_backoff_ms: 50, flush_interval_ms: 10 }
exporters:
  - { type: module, module: fake-recovering, name: dest, buffer: { type: disk } }
`,
      'test.yaml',
      {},
    );
    const input = [...SAMPLES, ...SAMPLES, ...SAMPLES].join('\n') + '\n';
    const p = createPipeline(
      config,
      { stdin: Readable.from([input]), log: () => {} },
      {
        shutdownTimeoutMs: 5000,
        exporterModules: new Map([['fake-recovering', fakeRecovering(3, delivered)]]),
      },
    );
    const summary = await p.run();
    const st = summary.exporters[0].stats;
    expect(st.droppedTotal).toBe(0);
    expect(delivered.length).toBe(3 * SAMPLES.length);
    expect(st.buffer?.events).toBe(0);
  });
});

describe('pipeline shutdown', () => {
  it('--shutdown-timeout is one deadline for all exporters, not one per exporter (they drain together)', async () => {
    const timeout = 600;
    const config = parseRunConfig(
      `version: 1
delivery: { initial_backoff_ms: 20, max_backoff_ms: 50, flush_interval_ms: 10 }
exporters:
  - { type: module, module: fake-down, name: a }
  - { type: module, module: fake-down, name: b }
  - { type: module, module: fake-down, name: c }
`,
      'test.yaml',
      {},
    );
    const p = createPipeline(
      config,
      { stdin: Readable.from([SAMPLES.join('\n') + '\n']), log: () => {} },
      {
        shutdownTimeoutMs: timeout,
        exporterModules: new Map([['fake-down', fakeDown]]),
      },
    );
    const t0 = performance.now();
    const summary = await p.run();
    const took = performance.now() - t0;
    // every exporter still reports its undelivered events
    expect(summary.exporters.map((e) => [e.name, e.pendingAtShutdown])).toEqual([
      ['a', SAMPLES.length],
      ['b', SAMPLES.length],
      ['c', SAMPLES.length],
    ]);
    expect(took).toBeLessThan(timeout * 2); // sequential shutdowns took 3 × the deadline
  });
});

describe('pipeline shutdown with a failing dead letter', () => {
  it('every exporter is still shut down and reported when the dead letter cannot be written (disk full)', async () => {
    const shutdowns: string[] = [];
    const downTracked: ExporterFactory = (o) =>
      ({
        ...fakeDown(o, { log: () => {} }),
        shutdown: async () => {
          shutdowns.push(String(o.name));
        },
      }) as Exporter;
    const config = parseRunConfig(
      `version: 1
dead_letter: { path: /dev/full }
delivery: { initial_backoff_ms: 20, max_backoff_ms: 50, flush_interval_ms: 10 }
exporters:
  - { type: module, module: fake-down, name: a }
  - { type: module, module: fake-down, name: b }
`,
      'test.yaml',
      {},
    );
    const logs: string[] = [];
    // a bad first line: its dead-letter write fails (ENOSPC), so later writes throw
    const p = createPipeline(
      config,
      { stdin: Readable.from(['not json\n' + SAMPLES.join('\n') + '\n']), log: (l) => logs.push(l) },
      {
        shutdownTimeoutMs: 300,
        exporterModules: new Map([['fake-down', downTracked]]),
      },
    );
    const outcome = await p.run().then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    expect(outcome).toMatch(/dead letter \/dev\/full/); // the failure is still the run's error
    expect(shutdowns).toEqual(['a', 'b']);
    for (const name of ['a', 'b']) {
      // not claimed as written to the dead letter; the count that is not is logged with the reason
      expect(logs).toContain(`${name}: ${SAMPLES.length} event(s) not delivered before the shutdown deadline`);
      expect(
        logs.some((l) =>
          l.startsWith(
            `${name}: ${SAMPLES.length} of them could not be written to the dead letter: dead letter /dev/full`,
          ),
        ),
      ).toBe(true);
    }
  });
});

describe('pipeline: bad input while the dead letter fails', () => {
  it('the source keeps reading: a rejected line whose dead-letter write fails is still counted and logged, the failure logged', async () => {
    const delivered: string[] = [];
    const config = parseRunConfig(
      `version: 1
dead_letter: { path: /dev/full }
delivery: { flush_interval_ms: 10 }
exporters: [{ type: module, module: fake-recovering, name: dest }]
`,
      'test.yaml',
      {},
    );
    async function* input() {
      yield 'not json\n'; // its dead-letter write fails (ENOSPC) a moment later
      await new Promise((r) => setTimeout(r, 100));
      yield 'still not json\n' + SAMPLES.join('\n') + '\n';
    }
    const logs: string[] = [];
    const p = createPipeline(
      config,
      { stdin: Readable.from(input()), log: (l) => logs.push(l) },
      {
        shutdownTimeoutMs: 2000,
        exporterModules: new Map([['fake-recovering', fakeRecovering(0, delivered)]]),
      },
    );
    const outcome = await p.run().then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    expect(outcome).toMatch(/dead letter \/dev\/full/); // still the run's error, at the end
    expect(delivered.length).toBe(SAMPLES.length); // the events after the second bad line were read
    expect(logs).toContain(
      'stdin:2: rejected: malformed JSON: Unexpected token \'s\', "still not json" is not valid JSON',
    );
    expect(logs.some((l) => /dead letter \/dev\/full.*cannot write|cannot write.*dead letter/.test(l))).toBe(true);
  });
});

describe('pipeline: a push refused at shutdown while the dead letter fails', () => {
  it('is counted and logged (no unhandled rejection from the refusal handler)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => {
      unhandled.push(err);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const config = parseRunConfig(
        `version: 1
dead_letter: { path: /dev/full }
delivery: { max_queue_items: 1, max_batch_items: 1, concurrency: 1, initial_backoff_ms: 20, max_backoff_ms: 50, flush_interval_ms: 10 }
exporters: [{ type: module, module: fake-down, name: a }]
`,
        'test.yaml',
        {},
      );
      async function* input() {
        yield 'not json\n'; // its dead-letter write fails (ENOSPC) a moment later
        await new Promise((r) => setTimeout(r, 100));
        yield SAMPLES.join('\n') + '\n'; // one in flight, one queued, the third push waits
      }
      const logs: string[] = [];
      const p = createPipeline(
        config,
        { stdin: Readable.from(input()), log: (l) => logs.push(l) },
        {
          shutdownTimeoutMs: 100,
          exporterModules: new Map([['fake-down', fakeDown]]),
        },
      );
      setTimeout(() => p.stop(), 400);
      await p.run().catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
      // 2 handed back + 1 refused, none written
      expect(logs).toContain('a: 3 event(s) not delivered before the shutdown deadline');
      expect(logs.some((l) => l.startsWith('a: 3 of them could not be written to the dead letter'))).toBe(true);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
