// Globs: every matching file with its own offset; with follow, files that appear later are read too.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isGlob } from '../../../src/sources/files/file-source.ts';
import { fileSourceOptions, type FileSourceConfig } from '../../../src/sources/files/config.ts';
import { parseRunConfig } from '../../../src/config/run-config.ts';
import { fakeSink, lines, startRun, tally, tmpDir, until } from '../../helpers/file-source-harness.ts';

describe('file source globs', () => {
  it('follow: a file that appears later is picked up; each file keeps its own offset across a restart', async () => {
    const dir = tmpDir('glob-');
    const a = path.join(dir, 'a.json');
    const b = path.join(dir, 'b.json');
    const cp = path.join(dir, 'cp.json'); // matched by the glob too: never read
    fs.writeFileSync(a, lines(0, 5));
    fs.writeFileSync(path.join(dir, 'ignored.txt'), lines(100, 3)); // not matched
    const sink = fakeSink();
    const opts = { paths: [path.join(dir, '*.json')], follow: true, checkpointPath: cp };
    const r1 = startRun(sink, opts);
    await until(() => sink.delivered.size === 5, 8000, 'a.json read');
    fs.writeFileSync(b, lines(5, 4));
    await until(() => sink.delivered.size === 9, 8000, 'b.json picked up');
    fs.appendFileSync(a, lines(9, 2));
    await until(() => sink.delivered.size === 11, 8000, 'a.json appended');
    await r1.stop();
    const entries = JSON.parse(fs.readFileSync(cp, 'utf8')).files as Array<{
      path: string;
      offset: number;
      line: number;
    }>;
    expect(entries.map((e) => [e.path, e.offset, e.line]).sort()).toEqual([
      [a, fs.statSync(a).size, 7],
      [b, fs.statSync(b).size, 4],
    ]);
    expect(sink.origins).toContain(`${b}:4`);
    expect(sink.origins).toContain(`${a}:7`);
    fs.appendFileSync(b, lines(11, 1));
    const r2 = startRun(sink, opts);
    await until(() => sink.delivered.size === 12, 8000, 'b.json appended while stopped');
    await new Promise((res) => setTimeout(res, 100));
    await r2.stop();
    expect(tally(sink, 12)).toEqual({ missing: [], duplicated: [], total: 12 });
    expect(sink.delivered.has(100)).toBe(false);
  });

  it('without follow: every matching file is read once, in name order; a glob matching nothing is reported', async () => {
    const dir = tmpDir('glob-once-');
    fs.mkdirSync(path.join(dir, 'x'));
    fs.writeFileSync(path.join(dir, 'x', '2.json'), lines(3, 2));
    fs.writeFileSync(path.join(dir, '1.json'), lines(0, 3));
    const sink = fakeSink();
    const r = startRun(sink, { paths: [path.join(dir, '**/*.json')], follow: false });
    await r.done;
    await r.stop();
    expect(tally(sink, 5)).toEqual({ missing: [], duplicated: [], total: 5 });
    expect(sink.origins[0]).toBe(`${path.join(dir, '1.json')}:1`);
    const none = startRun(fakeSink(), { paths: [path.join(dir, '*.nothing')], follow: false });
    await none.done;
    await none.stop();
    expect(none.logs).toEqual([`${path.join(dir, '*.nothing')}: no file matches`]);
    expect(none.errors).toEqual([]);
  });

  it('config: path and paths, globs recognised, checkpoint on by default only with follow', () => {
    expect(isGlob('/var/log/tracee/*.json')).toBe(true);
    expect(isGlob('/var/log/tracee/events.json')).toBe(false);
    const cfg = parseRunConfig(
      `version: 1
data_dir: /tmp/dd
sources:
  - { type: file, path: /a.json, paths: ["/logs/*.json"], follow: true }
  - { type: file, paths: [/b.json] }
  - { type: file, path: /c.json, checkpoint: true, checkpoint_path: /tmp/c.cp }
exporters: [{ type: console }]
`,
      'x.yaml',
      {},
    );
    const [s1, s2, s3] = cfg.sources!.map((s) => fileSourceOptions(s as FileSourceConfig, cfg.data_dir!));
    expect(s1.paths).toEqual(['/a.json', '/logs/*.json']);
    expect(s1.checkpointPath).toMatch(/^\/tmp\/dd\/checkpoints\/file-[0-9a-f]{16}\.json$/);
    expect(s1.checkpointRequired).toBe(false);
    expect(s2.checkpointPath).toBeUndefined();
    expect(s3).toMatchObject({ checkpointPath: '/tmp/c.cp', checkpointRequired: true });
    expect(() =>
      parseRunConfig('version: 1\nsources: [{ type: file }]\nexporters: [{ type: console }]\n', 'y.yaml', {}),
    ).toThrow(/y\.yaml:2:\d+: sources\[0\]: must have required property 'path'/);
  });
});
