// `tracee-exporter run` with telemetry, as a user runs it: the server address from
// TRACEE_EXPORTER_TELEMETRY_LISTEN, probes and /metrics over HTTP, a progress line, then SIGTERM.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePromText, sumOf } from '../../helpers/prom-text.ts';
import { ROOT } from '../../helpers/samples.ts';

const BIN = path.join(ROOT, 'bin/tracee-exporter.js');
const SAMPLES = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').trim().split('\n');

describe('tracee-exporter run with telemetry', () => {
  it('serves /healthz, /readyz, /metrics while running; logs progress; the metrics match the summary', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-cli-'));
    const cfg = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      cfg,
      `version: 1
sources: [{ type: webhook, listen: "127.0.0.1:0", path: /events }]
telemetry: { log_interval_ms: 100 }
exporters:
  - { type: console, format: ecs, path: ${dir}/out.ndjson, delivery: { flush_interval_ms: 20 } }
`,
    );
    const child = spawn(process.execPath, [BIN, 'run', '--config', cfg, '--shutdown-timeout', '5000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TRACEE_EXPORTER_TELEMETRY_LISTEN: '127.0.0.1:0' },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const waiters = new Set<() => void>();
    child.stderr.on('data', (c: string) => {
      stderr += c;
      for (const w of waiters) w();
    });
    const waitFor = (re: RegExp) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const m = re.exec(stderr);
          if (m) {
            waiters.delete(check);
            resolve(m[1]);
          }
        };
        waiters.add(check);
        check();
        void exited.then(() => reject(new Error(`exited:\n${stderr}`)));
      });
    const base = await waitFor(/telemetry: listening on (http:\/\/\S+)/);
    const hook = await waitFor(/webhook: listening on (http:\/\/\S+)/);
    let ready = await fetch(`${base}/readyz`);
    for (let i = 0; i < 50 && ready.status !== 200; i++) {
      await ready.text();
      await new Promise((r) => setTimeout(r, 20));
      ready = await fetch(`${base}/readyz`);
    }
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('ready\n');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    for (const line of SAMPLES) expect((await fetch(hook, { method: 'POST', body: line })).status).toBe(200);
    expect((await fetch(hook, { method: 'POST', body: 'nope' })).status).toBe(400);
    await waitFor(new RegExp(`(progress: received ${SAMPLES.length + 1} .*console: delivered ${SAMPLES.length},)`));
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^process_cpu_user_seconds_total /m); // process metrics in the run command
    const m = parsePromText(text);
    expect(sumOf(m, 'tracee_exporter_events_received_total', { source: 'webhook' })).toBe(SAMPLES.length + 1);
    expect(sumOf(m, 'tracee_exporter_events_rejected_total', { source: 'webhook', reason: 'malformed_json' })).toBe(1);
    expect(sumOf(m, 'tracee_exporter_events_delivered_total', { exporter: 'console' })).toBe(SAMPLES.length);
    expect(sumOf(m, 'tracee_exporter_webhook_requests_total', { status: '200' })).toBe(SAMPLES.length);

    child.kill('SIGTERM');
    expect(await exited).toBe(1); // one rejected input
    expect(stderr).toContain(`received ${SAMPLES.length + 1}, mapped ${SAMPLES.length}, rejected 1\n`);
    expect(stderr).toContain(`console: entered ${SAMPLES.length} = delivered ${SAMPLES.length} + duplicates 0`);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow(); // the server is closed at exit
  });
});
