// `tracee-exporter replay`: dead-lettered events go back to the exporter they failed for, re-mapped from the
// stored input; what still fails goes to a new dead letter; input rejections are decoded again.
// The destinations here are FAKE in-process exporters (the real Elasticsearch case: test/integration).

import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../../src/config/run-config.ts';
import type { ExporterFactory } from '../../../src/exporters/registry.ts';
import type { Exporter } from '../../../src/model/exporter.ts';
import type { EcsRecord } from '../../../src/model/records.ts';
import { createPipeline } from '../../../src/pipeline/pipeline.ts';
import { replaySummaryLines, runReplay } from '../../../src/cli/replay-command.ts';
import { ROOT } from '../../helpers/samples.ts';
import { decodeText } from '../../../src/normalize/decode.ts';
import { eventId } from '../../../src/mapping/transforms/event-identity.ts';
import { tmpDir } from '../../helpers/file-source-harness.ts';

const SAMPLES = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').trim().split('\n');

/** A FAKE store keyed by event.id: down while `down`, 409-like duplicate for an id it has. */
function fakeStore(state: { down: boolean; ids: Map<string, number> }): ExporterFactory {
  return (o) =>
    ({
      name: String(o.name),
      target: 'ecs',
      start: async () => {},
      shutdown: async () => {},
      send: async (batch) => {
        if (state.down) return { status: 'retryable', reason: 'FAKE down: HTTP 503' };
        return {
          status: 'partial',
          items: batch.map((i) => {
            const id = ((i.record as EcsRecord).doc as { event: { id: string } }).event.id;
            if (state.ids.has(id)) return { status: 'duplicate' };
            state.ids.set(id, 1);
            return { status: 'ok' };
          }),
        };
      },
    }) as Exporter;
}

// examples/events/tracee-samples.ndjson holds one event twice (lines 3 and 8): 7 distinct events in 8 lines
const DISTINCT = new Set(
  SAMPLES.map((l) => {
    const d = decodeText(l);
    if (!d.ok) throw new Error(d.reason);
    return eventId(d.event);
  }),
).size;

const lines = (f: string) =>
  fs.existsSync(f)
    ? fs
        .readFileSync(f, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

describe('replay', () => {
  it('shutdown with the destination down, then replay once it is back: each event stored once; a second replay finds only duplicates', async () => {
    const dir = tmpDir('replay-');
    const dl = path.join(dir, 'dl.ndjson');
    const a = { down: true, ids: new Map<string, number>() };
    const b = { down: false, ids: new Map<string, number>() };
    const modules = new Map([
      ['store-a', fakeStore(a)],
      ['store-b', fakeStore(b)],
    ]);
    const yaml = `version: 1
dead_letter: { path: ${dl} }
delivery: { initial_backoff_ms: 20, max_backoff_ms: 40, flush_interval_ms: 5 }
exporters:
  - { type: module, module: store-a, name: a }
  - { type: module, module: store-b, name: b }
`;
    const config = parseRunConfig(yaml, 'test.yaml', {});
    const input = [...SAMPLES, 'not json', '{"foo":1}'].join('\n') + '\n';
    const run = await createPipeline(
      config,
      { stdin: Readable.from([input]), log: () => {} },
      { shutdownTimeoutMs: 300, exporterModules: modules },
    ).run();
    expect(run.exporters[0].ledger.deadLettered).toEqual({ shutdown_deadline: SAMPLES.length });
    expect(DISTINCT).toBe(SAMPLES.length - 1);
    expect(b.ids.size).toBe(DISTINCT);
    expect(run.exporters[1].ledger).toMatchObject({ delivered: DISTINCT, duplicates: 1 });
    expect(lines(dl).length).toBe(SAMPLES.length + 2);

    // the destination is back: replay
    a.down = false;
    const out = path.join(dir, 'still-failing.ndjson');
    const s = await runReplay({
      files: [dl],
      config,
      out,
      shutdownTimeoutMs: 2000,
      log: () => {},
      exporterModules: modules,
    });
    expect(s.read).toBe(SAMPLES.length + 2);
    expect(s.replayed).toBe(SAMPLES.length + 2);
    expect(s.targets.find((t) => t.exporter === 'a')).toEqual({
      exporter: 'a',
      replayed: SAMPLES.length,
      delivered: DISTINCT,
      duplicates: 1,
      filtered: 0,
      stillFailing: 0,
    });
    expect(a.ids.size).toBe(DISTINCT);
    // the two bad input lines are still bad: rejected again, into the new dead letter (never the file read)
    expect(s.stillFailing).toBe(2);
    expect(lines(out).map((e) => e.exporter)).toEqual(['input', 'input']);
    expect(lines(dl).length).toBe(SAMPLES.length + 2); // the file read is left as it was
    expect(replaySummaryLines(s).at(-1)).toBe(`replayed ${SAMPLES.length + 2}, still failing 2: written to ${out}`);

    // replaying again is idempotent: the same ids, all duplicates
    const out2 = path.join(dir, 'again.ndjson');
    const s2 = await runReplay({
      files: [dl],
      exporter: 'a',
      config,
      out: out2,
      shutdownTimeoutMs: 2000,
      log: () => {},
      exporterModules: modules,
    });
    expect(s2.targets).toEqual([
      {
        exporter: 'a',
        replayed: SAMPLES.length,
        delivered: 0,
        duplicates: SAMPLES.length,
        filtered: 0,
        stillFailing: 0,
      },
    ]);
    expect(s2.skipped).toBe(2);
    expect(a.ids.size).toBe(DISTINCT);
  });

  it('an input rejection that is valid now (a fixed line) goes to every exporter; what fails again is kept with its reason', async () => {
    const dir = tmpDir('replay-input-');
    const dl = path.join(dir, 'dl.ndjson');
    const a = { down: false, ids: new Map<string, number>() };
    const b = { down: true, ids: new Map<string, number>() };
    const modules = new Map([
      ['store-a', fakeStore(a)],
      ['store-b', fakeStore(b)],
    ]);
    const config = parseRunConfig(
      `version: 1
delivery: { initial_backoff_ms: 20, max_backoff_ms: 40, flush_interval_ms: 5 }
exporters:
  - { type: module, module: store-a, name: a }
  - { type: module, module: store-b, name: b }
`,
      'test.yaml',
      {},
    );
    // an input rejection as the dead letter holds it, whose input decodes now (e.g. after an upgrade)
    fs.writeFileSync(
      dl,
      `${JSON.stringify({ time: 'x', exporter: 'input', reason: 'malformed JSON', origin: { source: 'stdin', line: 7 }, input: SAMPLES[0] })}\n` +
        'garbage that is not an entry\n',
    );
    const out = path.join(dir, 'out.ndjson');
    const logs: string[] = [];
    const s = await runReplay({
      files: [path.join(dir, 'dl.nd*')],
      config,
      out,
      shutdownTimeoutMs: 300,
      log: (l) => logs.push(l),
      exporterModules: modules,
    });
    expect(s.unreadable).toBe(1);
    expect(logs.some((l) => /dl\.ndjson:2: skipped: not JSON/.test(l))).toBe(true);
    expect(a.ids.size).toBe(1);
    // b is down: its copy fails again and is kept, with the original origin
    expect(s.stillFailing).toBe(1);
    expect(lines(out)).toEqual([
      expect.objectContaining({
        exporter: 'b',
        origin: expect.objectContaining({
          source: 'stdin',
          line: 7,
          detail: expect.stringMatching(/^replay of .*dl\.ndjson:1$/),
        }),
        reason: expect.stringMatching(/^shutdown_deadline:/),
      }),
    ]);
  });

  it('replays through a memory queue even when the top-level delivery.buffer is a disk buffer (the running exporter owns it)', async () => {
    const dir = tmpDir('replay-disk-');
    const dl = path.join(dir, 'dl.ndjson');
    const dataDir = path.join(dir, 'data');
    const a = { down: false, ids: new Map<string, number>() };
    const config = parseRunConfig(
      `version: 1
data_dir: ${dataDir}
delivery: { flush_interval_ms: 5, buffer: { type: disk } }
exporters:
  - { type: module, module: store-a, name: a }
`,
      'test.yaml',
      {},
    );
    fs.writeFileSync(
      dl,
      `${JSON.stringify({ time: 'x', exporter: 'input', reason: 'malformed JSON', origin: { source: 'stdin', line: 1 }, input: SAMPLES[0] })}\n`,
    );
    const s = await runReplay({
      files: [dl],
      config,
      out: path.join(dir, 'out.ndjson'),
      shutdownTimeoutMs: 300,
      log: () => {},
      exporterModules: new Map([['store-a', fakeStore(a)]]),
    });
    expect(s.replayed).toBe(1);
    expect(a.ids.size).toBe(1);
    // the exporter's disk buffer directory was never opened (nor locked) by the replay
    expect(fs.existsSync(path.join(dataDir, 'buffer'))).toBe(false);
  });

  it('refuses to write what still fails into a file it reads', async () => {
    const dir = tmpDir('replay-out-');
    const dl = path.join(dir, 'dl.ndjson');
    fs.writeFileSync(dl, '');
    const config = parseRunConfig('version: 1\nexporters: [{ type: console }]\n', 'test.yaml', {});
    await expect(runReplay({ files: [dl], config, out: dl, shutdownTimeoutMs: 100, log: () => {} })).rejects.toThrow(
      /one of the files being replayed/,
    );
  });
});
