// A plugin (`type: module`) is code that runs with the exporter's privileges. It is loaded only
// from a path written in the config file: environment variables alone cannot add or redirect one,
// and `config check` imports none unless --load-plugins asks. The plugin used here writes a marker
// file as soon as it is imported, so "not executed" is checked, not assumed.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/samples.ts';

const BIN = path.join(ROOT, 'bin/tracee-exporter.js');

describe('plugins are code: loaded only when the config file lists them, imported by config check only when asked', () => {
  let dir: string;
  let marker: string;
  let plugin: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plugin-sec-'));
    marker = path.join(dir, 'imported.marker');
    plugin = path.join(dir, 'marker-plugin.mjs');
    fs.writeFileSync(
      plugin,
      `import fs from 'node:fs';
fs.writeFileSync(${JSON.stringify(marker)}, 'the plugin ran');
export function createExporter() {
  return { name: 'marker', target: 'ecs', async start() {}, async send() { return { status: 'ok' }; }, async shutdown() {} };
}
`,
    );
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [BIN, ...args], {
      encoding: 'utf8',
      input: '',
      env: { ...process.env, NODE_NAME: 'n', ...env },
    });

  it('environment variables cannot add a plugin or point an exporter at a module (run and config check refuse; nothing is imported)', () => {
    const cfg = path.join(dir, 'console.yaml');
    fs.writeFileSync(cfg, 'version: 1\nexporters: [{ type: console }]\n');
    const attempts: Array<[string[], Record<string, string>]> = [
      // a whole configuration from the environment
      [['run'], { TRACEE_EXPORTER_EXPORTERS__MODULE__MODULE: plugin }],
      // an exporter of the file turned into a plugin
      [
        ['run', '--config', cfg],
        { TRACEE_EXPORTER_EXPORTERS__CONSOLE__TYPE: 'module', TRACEE_EXPORTER_EXPORTERS__CONSOLE__MODULE: plugin },
      ],
      [['config', 'check', cfg, '--load-plugins'], { TRACEE_EXPORTER_EXPORTERS__MODULE__MODULE: plugin }],
    ];
    for (const [args, env] of attempts) {
      const r = cli(args, env);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).not.toBe(0);
      expect(r.stderr).toMatch(
        /TRACEE_EXPORTER_EXPORTERS__\w+: exporter plugins \(type: module, module:\) run code with the exporter's privileges: they are loaded only from a path written in the config file, never from environment variables/,
      );
      expect(fs.existsSync(marker)).toBe(false);
    }
  });

  it('a plugin listed in the config file: redirecting its module from the environment is refused too', () => {
    const cfg = path.join(dir, 'plugin.yaml');
    fs.writeFileSync(cfg, 'version: 1\nexporters: [{ type: module, name: p, module: ./marker-plugin.mjs }]\n');
    const r = cli(['config', 'check', cfg], { TRACEE_EXPORTER_EXPORTERS__P__MODULE: '/elsewhere/evil.mjs' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/TRACEE_EXPORTER_EXPORTERS__P__MODULE: exporter plugins/);
  });

  it('config check does not import a plugin unless --load-plugins; it says it skipped it', () => {
    const cfg = path.join(dir, 'plugin.yaml');
    fs.writeFileSync(cfg, 'version: 1\nexporters: [{ type: module, name: p, module: ./marker-plugin.mjs }]\n');
    const skipped = cli(['config', 'check', cfg]);
    expect(skipped.status, skipped.stderr).toBe(0);
    expect(skipped.stdout).toMatch(/exporters: p \(module \S+marker-plugin\.mjs: not loaded\)/);
    expect(skipped.stdout).toMatch(
      /plugins: 1 module\(s\) not imported \(\S+marker-plugin\.mjs\): a plugin is code that runs with the exporter's privileges; --load-plugins imports and builds them/,
    );
    expect(fs.existsSync(marker)).toBe(false);
    const loaded = cli(['config', 'check', cfg, '--load-plugins']);
    expect(loaded.status, loaded.stderr).toBe(0);
    expect(loaded.stdout).toMatch(/exporters: p \(module \S+marker-plugin\.mjs → ecs\)/);
    expect(fs.readFileSync(marker, 'utf8')).toBe('the plugin ran');
  });
});
