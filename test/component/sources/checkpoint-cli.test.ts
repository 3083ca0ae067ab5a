// `tracee-exporter run` with a followed file and checkpoints, stopped with SIGTERM (exactly once
// across the restart) and killed with SIGKILL (at-least-once: only the uncommitted tail again).

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/samples.ts';
import { lines, tmpDir, until } from '../../helpers/file-source-harness.ts';

const BIN = path.join(ROOT, 'bin/tracee-exporter.js');

function setup(prefix: string) {
  const dir = tmpDir(prefix);
  const events = path.join(dir, 'events.json');
  const out = path.join(dir, 'out.ndjson');
  const cfg = path.join(dir, 'config.yaml');
  fs.writeFileSync(
    cfg,
    `version: 1
data_dir: ${dir}/data
sources: [{ type: file, path: ${events}, follow: true }]
exporters: [{ type: console, path: ${out}, delivery: { flush_interval_ms: 20 } }]
`,
  );
  return { dir, events, out, cfg };
}

function start(cfg: string): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'run', '--config', cfg, '--shutdown-timeout', '5000'], {
    env: { ...process.env, NODE_NAME: 'cp-node' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c) => {
    err += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exited };
}

/** Delivered count per event index (from the ECS @timestamp's nanoseconds, see harness eventLine). */
function delivered(out: string): Map<number, number> {
  const m = new Map<number, number>();
  if (!fs.existsSync(out)) return m;
  for (const l of fs.readFileSync(out, 'utf8').split('\n')) {
    if (l === '') continue;
    const ns = Number(/\.(\d{9})Z/.exec(JSON.parse(l)['@timestamp'])![1]) - 822467299;
    m.set(ns, (m.get(ns) ?? 0) + 1);
  }
  return m;
}

const checkpointOffset = (dir: string): number | undefined => {
  const cps = path.join(dir, 'data', 'checkpoints');
  if (!fs.existsSync(cps)) return undefined;
  const f = fs.readdirSync(cps).find((n) => n.endsWith('.json'));
  try {
    return f === undefined ? undefined : JSON.parse(fs.readFileSync(path.join(cps, f), 'utf8')).files[0]?.offset;
  } catch {
    return undefined;
  }
};

describe('tracee-exporter run: file checkpoints across restarts', () => {
  it('SIGTERM, append while stopped, start again: every event exactly once', async () => {
    const s = setup('cp-cli-term-');
    fs.writeFileSync(s.events, lines(0, 100));
    const r1 = start(s.cfg);
    await until(() => delivered(s.out).size === 100, 15000, '100 delivered');
    fs.appendFileSync(s.events, lines(100, 50));
    await until(() => delivered(s.out).size === 150, 15000, '150 delivered');
    r1.child.kill('SIGTERM');
    await r1.exited;
    expect(checkpointOffset(s.dir)).toBe(fs.statSync(s.events).size);
    fs.appendFileSync(s.events, lines(150, 50));
    const r2 = start(s.cfg);
    await until(() => delivered(s.out).size === 200, 15000, '200 delivered');
    await new Promise((res) => setTimeout(res, 300));
    r2.child.kill('SIGTERM');
    await r2.exited;
    const d = delivered(s.out);
    expect([...d.values()].every((n) => n === 1)).toBe(true);
    expect(d.size).toBe(200);
    expect(r2.stderr()).toMatch(/resuming at byte \d+ \(line 150\) from the checkpoint/);
  }, 40_000);

  it('SIGKILL, start again: nothing lost, only events after the last checkpoint delivered twice', async () => {
    const s = setup('cp-cli-kill-');
    fs.writeFileSync(s.events, lines(0, 100));
    const r1 = start(s.cfg);
    await until(() => checkpointOffset(s.dir) === fs.statSync(s.events).size, 15000, 'checkpoint of 100');
    fs.appendFileSync(s.events, lines(100, 50));
    await until(() => delivered(s.out).size === 150, 15000, '150 delivered');
    r1.child.kill('SIGKILL');
    await r1.exited;
    const r2 = start(s.cfg);
    await until(
      () => delivered(s.out).size === 150 && checkpointOffset(s.dir) === fs.statSync(s.events).size,
      15000,
      'all again',
    );
    r2.child.kill('SIGTERM');
    await r2.exited;
    const d = delivered(s.out);
    const twice = [...d].filter(([, n]) => n > 1).map(([i]) => i);
    expect(d.size).toBe(150);
    expect([...d.values()].every((n) => n <= 2)).toBe(true);
    expect(twice.every((i) => i >= 100)).toBe(true); // the committed first 100 were not read again
  }, 40_000);
});
