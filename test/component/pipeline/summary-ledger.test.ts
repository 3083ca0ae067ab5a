// The closing summary reconciles: per exporter, entered = delivered + duplicates + dead-lettered (by kind) +
// dropped + buffered + unsettled + filtered. And an event is either in the dead letter or re-read from its
// file at the next start, never both (docs/delivery.md "Shutdown").

import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseRunConfig, type RunConfig } from '../../../src/config/run-config.ts';
import type { ExporterFactory } from '../../../src/exporters/registry.ts';
import type { Exporter, ItemOutcome } from '../../../src/model/exporter.ts';
import { createPipeline, ledgerGap } from '../../../src/pipeline/pipeline.ts';
import { summaryLines } from '../../../src/cli/run-command.ts';
import { ROOT } from '../../helpers/samples.ts';
import { lines, tmpDir, until } from '../../helpers/file-source-harness.ts';

const SAMPLES = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').trim().split('\n');

/** Answers per item by position in the run: ok, duplicate, permanent rejection, template drift, then down for good. */
function fakeMixed(): ExporterFactory {
  let seen = 0;
  return (o) =>
    ({
      name: String(o.name),
      target: 'ecs',
      start: async () => {},
      shutdown: async () => {},
      send: async (batch) => {
        const items: ItemOutcome[] = batch.map(() => {
          const k = seen++;
          if (k < 4) return { status: 'ok' };
          if (k < 5) return { status: 'duplicate' };
          if (k < 7) return { status: 'rejected', reason: 'FAKE 400 document_parsing_exception', cause: 'permanent' };
          if (k < 8) return { status: 'rejected', reason: 'template drift: FAKE', cause: 'destination_state' };
          return { status: 'retryable', reason: 'FAKE 503' };
        });
        return { status: 'partial', items };
      },
    }) as Exporter;
}

const fakeDown: ExporterFactory = (o) =>
  ({
    name: String(o.name),
    target: 'ecs',
    start: async () => {},
    shutdown: async () => {},
    send: async () => ({ status: 'retryable', reason: 'FAKE down: HTTP 503' }),
  }) as Exporter;

describe('closing summary', () => {
  it('adds up per exporter: delivered, duplicates, dead-lettered by kind (incl. shutdown_deadline), filtered', async () => {
    const dir = tmpDir('ledger-');
    const dl = path.join(dir, 'dl.ndjson');
    const config = parseRunConfig(
      `version: 1
dead_letter: { path: ${dl} }
delivery: { initial_backoff_ms: 20, max_backoff_ms: 40, flush_interval_ms: 5, max_batch_items: 3 }
exporters:
  - { type: module, module: fake-mixed, name: mixed }
  - { type: module, module: fake-down, name: down, filter: { exclude_event_names: [security_file_open] } }
`,
      'test.yaml',
      {},
    );
    const input = [...SAMPLES, ...SAMPLES].join('\n') + '\n';
    const n = 2 * SAMPLES.length;
    const p = createPipeline(
      config,
      { stdin: Readable.from([input]), log: () => {} },
      {
        shutdownTimeoutMs: 400,
        exporterModules: new Map([
          ['fake-mixed', fakeMixed()],
          ['fake-down', fakeDown],
        ]),
      },
    );
    const summary = await p.run();
    const [mixed, down] = summary.exporters;
    expect(mixed.ledger).toEqual({
      entered: n,
      delivered: 4,
      duplicates: 1,
      dropped: 0,
      buffered: 0,
      unsettled: 0,
      filtered: 0,
      deadLettered: { rejected: 2, destination_state: 1, shutdown_deadline: n - 8 },
    });
    const filtered =
      SAMPLES.filter((l) => /"eventName":"security_file_open"|"name":"security_file_open"/.test(l)).length * 2;
    expect(filtered).toBeGreaterThan(0);
    expect(down.ledger).toEqual({
      entered: n,
      delivered: 0,
      duplicates: 0,
      dropped: 0,
      buffered: 0,
      unsettled: 0,
      filtered,
      deadLettered: { shutdown_deadline: n - filtered },
    });
    for (const e of summary.exporters) expect(ledgerGap(e.ledger), e.name).toBe(0);
    // the dead letter holds exactly what the summary says was dead-lettered
    const entries = fs
      .readFileSync(dl, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { exporter: string; reason: string });
    expect(entries.filter((e) => e.exporter === 'mixed').length).toBe(n - 5);
    expect(entries.filter((e) => e.exporter === 'down').length).toBe(n - filtered);
    expect(entries.filter((e) => e.reason.startsWith('shutdown_deadline:')).length).toBe(2 * n - 8 - filtered);
    const text = summaryLines(summary);
    expect(text[1]).toBe(
      `mixed: entered ${n} = delivered 4 + duplicates 1 + dead-lettered ${n - 5} (rejected 2, destination_state 1, shutdown_deadline ${n - 8}) + dropped 0 + buffered 0 + unsettled 0 + filtered 0; retries ${mixed.stats.retries}`,
    );
  });

  it('without a dead letter, what failed for a clearable reason is unsettled (not acked), and still adds up', async () => {
    const config = parseRunConfig(
      `version: 1
delivery: { initial_backoff_ms: 20, max_backoff_ms: 40, flush_interval_ms: 5, max_batch_items: 3 }
exporters:
  - { type: module, module: fake-mixed, name: mixed }
`,
      'test.yaml',
      {},
    );
    const n = SAMPLES.length;
    const p = createPipeline(
      config,
      { stdin: Readable.from([SAMPLES.join('\n') + '\n']), log: () => {} },
      {
        shutdownTimeoutMs: 300,
        exporterModules: new Map([['fake-mixed', fakeMixed()]]),
      },
    );
    const [mixed] = (await p.run()).exporters;
    // the permanent rejections are settled; the drift and the shutdown leftovers are not stored anywhere
    expect(mixed.ledger).toEqual({
      entered: n,
      delivered: 4,
      duplicates: 1,
      dropped: 0,
      buffered: 0,
      filtered: 0,
      deadLettered: { rejected: 2 },
      unsettled: n - 7,
    });
    expect(ledgerGap(mixed.ledger)).toBe(0);
  });
});

function committed(dataDir: string): number | undefined {
  const dir = path.join(dataDir, 'checkpoints');
  if (!fs.existsSync(dir)) return undefined;
  const f = fs.readdirSync(dir).find((x) => /^file-[0-9a-f]{16}\.json$/.test(x));
  return f === undefined ? undefined : JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).files[0]?.offset;
}

describe('a file source at shutdown: dead-lettered or re-read, never both', () => {
  it('events dead-lettered at the shutdown deadline are settled: the checkpoint moves past them, the next start reads nothing again', async () => {
    const dir = tmpDir('ledger-file-');
    const events = path.join(dir, 'events.json');
    const dl = path.join(dir, 'dl.ndjson');
    fs.writeFileSync(events, lines(0, 20));
    const config = (): RunConfig => ({
      version: 1,
      data_dir: path.join(dir, 'data'),
      node: { name: 'n' },
      dead_letter: { path: dl },
      sources: [{ type: 'file', path: events, checkpoint: true }],
      exporters: [
        {
          type: 'otlp_http',
          name: 'down',
          endpoint: 'http://127.0.0.1:9',
          delivery: { initial_backoff_ms: 50, max_backoff_ms: 100, flush_interval_ms: 20 },
        },
      ],
    });
    const first = await createPipeline(
      config(),
      { stdin: Readable.from([]), log: () => {} },
      { shutdownTimeoutMs: 300 },
    ).run();
    expect(first.exporters[0].ledger).toMatchObject({
      entered: 20,
      delivered: 0,
      deadLettered: { shutdown_deadline: 20 },
      unsettled: 0,
    });
    expect(fs.readFileSync(dl, 'utf8').trim().split('\n').length).toBe(20);
    await until(
      () => committed(config().data_dir!) === fs.statSync(events).size,
      2000,
      'committed past the dead-lettered events',
    );
    const second = await createPipeline(
      config(),
      { stdin: Readable.from([]), log: () => {} },
      { shutdownTimeoutMs: 300 },
    ).run();
    expect(second.received).toBe(0); // not re-read: the dead letter holds them (replay sends them)
    expect(fs.readFileSync(dl, 'utf8').trim().split('\n').length).toBe(20);
  });
});
