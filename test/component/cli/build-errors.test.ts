// Config errors raised while `run` (and `replay`) build the exporters from the config name file:line:col
// and the key, as `config check` does; `config check` refuses what `run` refuses (disk-buffer names).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseRunConfig, type ParseDetails } from '../../../src/config/run-config.ts';
import { checkConfigFile } from '../../../src/config/check.ts';
import { runReplay } from '../../../src/cli/replay-command.ts';
import { ROOT } from '../../helpers/samples.ts';

const BIN = path.join(ROOT, 'bin/tracee-exporter.js');

function tmpConfig(text: string): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'te-build-errors-'));
  const file = path.join(dir, 'cfg.yaml');
  fs.writeFileSync(file, text);
  return { dir, file };
}

const cli = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { input: '', encoding: 'utf8', env: { ...process.env, NODE_NAME: 'n' } });

describe('config errors at run-time build', () => {
  it('an exporter option refused by its factory: run names file:line:col and the key, like config check', () => {
    const { dir, file } = tmpConfig(
      'version: 1\nsources: [{ type: stdin }]\nexporters:\n  - type: console\n  - type: elasticsearch\n    endpoints: http://es:9200\n    tls: { ca_fingerprint: "AA:BB" }\n',
    );
    const r = cli(['run', '--config', file]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/cfg\.yaml:7:\d+: exporters\[1\]\.tls\.ca_fingerprint: only applies to https endpoints/);
    const check = cli(['config', 'check', file]);
    expect(check.stderr).toMatch(
      /cfg\.yaml:7:\d+: exporters\[1\]\.tls\.ca_fingerprint: only applies to https endpoints/,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a drop_fields entry the mapping does not write: run names its place in the file', () => {
    const { dir, file } = tmpConfig(
      'version: 1\nsources: [{ type: stdin }]\nexporters:\n  - type: console\n    drop_fields: [no.such.field]\n',
    );
    const r = cli(['run', '--config', file]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/cfg\.yaml:5:\d+: exporters\[0\]\.drop_fields: "no\.such\.field" is not an ECS field/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('disk-buffer names: run and config check both refuse a shared or unusable name, at the name in the file', () => {
    const text = `version: 1
data_dir: /tmp/te-build-errors-never-created
sources: [{ type: stdin }]
delivery: { buffer: { type: disk } }
exporters:
  - { type: console, name: out }
  - { type: console, name: out, path: stderr }
`;
    const { dir, file } = tmpConfig(text);
    const want =
      /cfg\.yaml:6:\d+: exporters\[0\]\.name: "out" is also the name of exporters\[1\]: an exporter with a disk buffer needs a unique name/;
    const r = cli(['run', '--config', file]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(want);
    expect(() => checkConfigFile(file, {})).toThrow(want);
    const check = cli(['config', 'check', file]);
    expect(check.status).toBe(1);
    expect(check.stderr).toMatch(want);
    // a name that cannot be a directory
    fs.writeFileSync(
      file,
      text.replace('  - { type: console, name: out, path: stderr }\n', '').replace('name: out', 'name: "a/b"'),
    );
    expect(() => checkConfigFile(file, {})).toThrow(
      /cfg\.yaml:6:\d+: exporters\[0\]\.name: "a\/b" cannot name a buffer directory/,
    );
    // the same names with a memory buffer are fine
    fs.writeFileSync(file, text.replace('delivery: { buffer: { type: disk } }\n', ''));
    expect(checkConfigFile(file, {}).summary.length).toBeGreaterThan(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('replay: an error building the target exporter names its index in the configuration and its place', async () => {
    const { dir, file } = tmpConfig(
      `version: 1
exporters:
  - { type: console, name: a, path: stderr }
  - { type: console, name: b, path: stderr }
  - type: console
    name: c
    path: stderr
    drop_fields: [no.such.field]
`,
    );
    const details: ParseDetails = {};
    const config = parseRunConfig(fs.readFileSync(file, 'utf8'), file, {}, details);
    const dl = path.join(dir, 'dl.ndjson');
    const input = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').split('\n')[0];
    fs.writeFileSync(
      dl,
      `${JSON.stringify({ exporter: 'c', reason: 'x', origin: { source: 'stdin', line: 1 }, input })}\n`,
    );
    const err = await runReplay({
      files: [dl],
      config,
      shutdownTimeoutMs: 1000,
      log: () => {},
      locate: details.locate,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    // the target runs as exporters[0] of a pipeline of its own: the error still says exporters[2]
    expect((err as Error).message).toMatch(
      /cfg\.yaml:8:\d+: exporters\[2\]\.drop_fields: "no\.such\.field" is not an ECS field/,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
