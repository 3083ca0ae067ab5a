// The disk buffer as the pipeline wires it from the run config: data_dir, buffer settings, unique
// names, the lock, and shutdown leaving undelivered events in the buffer (not in the dead letter).

import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseRunConfig, type RunConfig } from '../../../../src/config/run-config.ts';
import { createPipeline } from '../../../../src/pipeline/pipeline.ts';
import { bufferConfigOf, checkDiskBufferNames, resolveDataDir } from '../../../../src/pipeline/disk-buffers.ts';
import { createFakeOutageProxy } from '../../../helpers/fake-outage-proxy.ts';
import { ROOT } from '../../../helpers/samples.ts';
import { tmpDir } from '../../../helpers/disk-buffer-setup.ts';

const SAMPLES = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').trim().split('\n');
const parse = (yaml: string, env: NodeJS.ProcessEnv = {}): RunConfig => parseRunConfig(yaml, 'test.yaml', env);

describe('disk buffer config', () => {
  it('buffer settings: exporters[].buffer over exporters[].delivery.buffer over delivery.buffer', () => {
    const c = parse(`version: 1
delivery: { buffer: { type: disk, fsync: always, max_bytes: 1048576 } }
exporters:
  - { type: console, name: a }
  - { type: console, name: b, delivery: { buffer: { fsync: never } }, buffer: { when_full: drop_oldest } }
  - { type: console, name: c, buffer: { type: memory } }
`);
    expect(bufferConfigOf(c, c.exporters[0])).toEqual({ type: 'disk', fsync: 'always', max_bytes: 1048576 });
    expect(bufferConfigOf(c, c.exporters[1])).toEqual({
      type: 'disk',
      fsync: 'never',
      max_bytes: 1048576,
      when_full: 'drop_oldest',
    });
    expect(bufferConfigOf(c, c.exporters[2]).type).toBe('memory');
  });

  it('the schema refuses unknown policies and keys, naming the key', () => {
    expect(() =>
      parse('version: 1\nexporters: [{ type: console, buffer: { type: disk, when_full: drop_newest } }]\n'),
    ).toThrow(/test\.yaml:2:\d+: exporters\[0\]\.delivery\.buffer\.when_full/);
    expect(() =>
      parse('version: 1\nexporters: [{ type: console, buffer: { type: disk, fsync: sometimes } }]\n'),
    ).toThrow(/buffer\.fsync/);
    expect(() => parse('version: 1\nexporters: [{ type: console, buffer: { type: disk, size: 1 } }]\n')).toThrow(
      /"size"/,
    );
  });

  it('data_dir: the config, else TRACEE_EXPORTER_DATA_DIR, else /var/lib/tracee-exporter', () => {
    expect(
      resolveDataDir(parse('version: 1\ndata_dir: /srv/te\nexporters: [{ type: console }]\n'), {
        TRACEE_EXPORTER_DATA_DIR: '/x',
      }),
    ).toBe('/srv/te');
    expect(
      resolveDataDir(parse('version: 1\nexporters: [{ type: console }]\n'), { TRACEE_EXPORTER_DATA_DIR: '/x' }),
    ).toBe('/x');
    expect(resolveDataDir(parse('version: 1\nexporters: [{ type: console }]\n'), {})).toBe('/var/lib/tracee-exporter');
  });

  it('exporters with a disk buffer need unique, directory-safe names', () => {
    expect(() =>
      checkDiskBufferNames(
        parse('version: 1\nexporters: [{ type: console, buffer: { type: disk } }, { type: console }]\n'),
      ),
    ).toThrow(
      /exporters\[0\]\.name: "console" is also the name of exporters\[1\]: an exporter with a disk buffer needs a unique name/,
    );
    expect(() =>
      checkDiskBufferNames(parse('version: 1\nexporters: [{ type: console, name: ../up, buffer: { type: disk } }]\n')),
    ).toThrow(/cannot name a buffer directory/);
    expect(() =>
      checkDiskBufferNames(
        parse('version: 1\nexporters: [{ type: console, name: a, buffer: { type: disk } }, { type: console }]\n'),
      ),
    ).not.toThrow();
    expect(() =>
      checkDiskBufferNames(parse('version: 1\nexporters: [{ type: console }, { type: console }]\n')),
    ).not.toThrow();
  });
});

describe('disk buffer in the pipeline', () => {
  it('a second pipeline on the same data_dir fails at start-up with a clear error', async () => {
    const dir = tmpDir();
    const config = parse(
      `version: 1\ndata_dir: ${dir}\nexporters: [{ type: console, name: out, path: ${dir}/out.ndjson, buffer: { type: disk } }]\n`,
    );
    const stdin = new PassThrough(); // the first pipeline runs (its buffer open) until this ends
    const first = createPipeline(config, { stdin, log: () => {} });
    const running = first.run();
    await first.ready();
    const second = createPipeline(config, { stdin: Readable.from([]), log: () => {} });
    await expect(second.run()).rejects.toThrow(
      new RegExp(`exporter out: buffer directory ${dir}/buffer/out is in use by process ${process.pid}`),
    );
    await expect(second.ready()).rejects.toThrow(/in use by process/);
    stdin.end();
    await running;
  });

  it('shutdown with the destination down: events stay in the buffer (logged, not dead-lettered) and the next start delivers them', async () => {
    const dir = tmpDir();
    const proxy = await createFakeOutageProxy({ host: '127.0.0.1', port: 9 }); // never up: connections reset
    const logs: string[] = [];
    const config = parse(`version: 1
data_dir: ${dir}/data
dead_letter: { path: ${dir}/dl.ndjson }
delivery: { initial_backoff_ms: 50, max_backoff_ms: 100 }
exporters: [{ type: otlp_http, name: dest, endpoint: ${proxy.url}, buffer: { type: disk } }]
`);
    const summary = await createPipeline(
      config,
      { stdin: Readable.from([SAMPLES.join('\n') + '\n']), log: (l) => logs.push(l) },
      { shutdownTimeoutMs: 300 },
    ).run();
    await proxy.close();
    expect(summary.mapped).toBe(SAMPLES.length);
    expect(summary.exporters[0].pendingAtShutdown).toBe(0);
    expect(logs).toContain(`dest: ${SAMPLES.length} event(s) stay in the disk buffer for the next start`);
    expect(fs.existsSync(`${dir}/dl.ndjson`) ? fs.readFileSync(`${dir}/dl.ndjson`, 'utf8') : '').toBe('');

    // the same exporter name, now a console exporter (ECS): the stored input is mapped again for it
    const next = parse(`version: 1
data_dir: ${dir}/data
exporters: [{ type: console, name: dest, format: ecs, path: ${dir}/out.ndjson, buffer: { type: disk } }]
`);
    const logs2: string[] = [];
    const s2 = await createPipeline(
      next,
      { stdin: Readable.from([]), log: (l) => logs2.push(l) },
      { shutdownTimeoutMs: 5000 },
    ).run();
    expect(logs2.join('\n')).toMatch(
      new RegExp(`dest: disk buffer \\S+: ${SAMPLES.length} buffered event\\(s\\) to replay`),
    );
    const out = fs
      .readFileSync(`${dir}/out.ndjson`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: { id: string } });
    expect(out.length).toBe(SAMPLES.length);
    expect(out.every((d) => typeof d.event.id === 'string' && d.event.id.length > 0)).toBe(true);
    expect(s2.exporters[0].stats.delivered).toBe(SAMPLES.length);
    expect(fs.readdirSync(`${dir}/data/buffer/dest`).filter((f) => f.endsWith('.seg'))).toEqual([]);
  });
});
