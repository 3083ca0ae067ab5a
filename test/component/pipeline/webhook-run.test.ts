// `tracee-exporter run` with a webhook source, fed the way Tracee's webhook output does it: one
// POST per event, Content-Type application/json, the URL's query string included; then SIGTERM.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/samples.ts';

const BIN = path.join(ROOT, 'bin/tracee-exporter.js');
const SAMPLES = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').trim().split('\n');

describe('tracee-exporter run with a webhook source', () => {
  it('every event POSTed one per request is delivered; SIGTERM closes the server, flushes, exit 0', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-run-'));
    const cfg = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      cfg,
      `version: 1
node: { name: webhook-run-node }
sources:
  - type: webhook
    listen: 127.0.0.1:0
    path: /events
dead_letter: { path: ${dir}/dl.ndjson }
exporters:
  - { type: console, format: ecs, path: ${dir}/out.ndjson }
`,
    );
    const child = spawn(process.execPath, [BIN, 'run', '--config', cfg, '--shutdown-timeout', '5000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (c: string) => {
        stderr += c;
        const m = /webhook: listening on (http:\/\/\S+)/.exec(stderr);
        if (m) resolve(m[1]);
      });
      void exited.then(() => reject(new Error(`exited before listening:\n${stderr}`)));
    });
    for (const line of SAMPLES) {
      const r = await fetch(`${url}?timeout=5s`, {
        method: 'POST',
        body: line,
        headers: { 'content-type': 'application/json' },
      });
      expect(r.status).toBe(200);
      await r.text();
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const out = fs
      .readFileSync(path.join(dir, 'out.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out).toHaveLength(SAMPLES.length);
    expect(out.every((d) => d.host.name === 'webhook-run-node')).toBe(true);
    expect(fs.existsSync(path.join(dir, 'dl.ndjson')) ? fs.readFileSync(path.join(dir, 'dl.ndjson'), 'utf8') : '').toBe(
      '',
    );
    expect(stderr).toMatch(new RegExp(`closed after ${SAMPLES.length} request\\(s\\) \\(200×${SAMPLES.length}\\)`));
    expect(stderr).toContain(`received ${SAMPLES.length}, mapped ${SAMPLES.length}, rejected 0\n`);
    expect(stderr).toContain(`console: entered ${SAMPLES.length} = delivered ${SAMPLES.length} + duplicates 0`);
  });
});
