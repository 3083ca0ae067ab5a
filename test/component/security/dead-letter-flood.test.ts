// The disk-fill attack of issue 15: 10 webhook bodies of ~4 MB of bad lines, without auth. Before
// the cap the dead letter grew by every rejected line (50.9 MB in 2.5 s); now it stays within
// max_bytes × (max_files + 1), and what rotation deleted is counted: the closing summary line, a
// log line per dropped file and the /metrics counters.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/samples.ts';
import { parsePromText } from '../../helpers/prom-text.ts';

const BIN = path.join(ROOT, 'bin/tracee-exporter.js');
const MAX_BYTES = 1024 * 1024;
const MAX_FILES = 2;

describe('dead letter under a bad-line flood through the webhook', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`10 bodies of ~4 MB of bad lines: the dead letter stays ≤ max_bytes × (max_files + 1); drops counted`, async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-flood-'));
    const cfg = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      cfg,
      `version: 1
sources: [{ type: webhook, listen: "127.0.0.1:0" }]
dead_letter: { path: ${dir}/dead.ndjson, max_bytes: ${MAX_BYTES}, max_files: ${MAX_FILES} }
telemetry: { listen: "127.0.0.1:0", log_interval_ms: 0 }
exporters: [{ type: console, path: ${dir}/out.ndjson }]
`,
    );
    const child = spawn(process.execPath, [BIN, 'run', '--config', cfg, '--shutdown-timeout', '5000'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const [url, telemetry] = await new Promise<[string, string]>((resolve, reject) => {
      child.stderr.on('data', (c: string) => {
        if (stderr.length < 1e6) stderr += c;
        else stderr = stderr.slice(-5e5) + c; // one line per rejected line: keep the tail
        const w = /webhook: listening on (http:\/\/\S+)/.exec(stderr);
        const t = /telemetry: listening on (\S+)/.exec(stderr);
        if (w && t) resolve([w[1], t[1].startsWith('http') ? t[1] : `http://${t[1]}`]);
      });
      void exited.then(() => reject(new Error(`exited before listening:\n${stderr}`)));
    });
    const line = `not json ${'x'.repeat(1000)}\n`;
    const body = line.repeat(Math.floor((4 * 1024 * 1024 - 1024) / line.length));
    const perBody = body.length / line.length;
    for (let i = 0; i < 10; i++) {
      const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson' } });
      expect(r.status).toBe(400);
      await r.text();
    }
    const metrics = parsePromText(await (await fetch(`${telemetry}/metrics`)).text());
    child.kill('SIGTERM');
    await exited;

    const files = fs.readdirSync(dir).filter((f) => f.startsWith('dead.ndjson'));
    expect(files.sort()).toEqual(['dead.ndjson', 'dead.ndjson.1', 'dead.ndjson.2']);
    const total = files.reduce((n, f) => n + fs.statSync(path.join(dir!, f)).size, 0);
    expect(total).toBeLessThanOrEqual(MAX_BYTES * (MAX_FILES + 1));
    const kept = files.reduce(
      (n, f) => n + fs.readFileSync(path.join(dir!, f), 'utf8').trimEnd().split('\n').length,
      0,
    );
    const m =
      /dead letter \S+: rotated (\d+) time\(s\) at max_bytes \d+; dropped (\d+) line\(s\), (\d+) bytes with (\d+) oldest file\(s\)/.exec(
        stderr,
      );
    expect(m, stderr.slice(-2000)).not.toBeNull();
    // every rejected line is either kept or counted as dropped
    expect(kept + Number(m![2])).toBe(10 * perBody);
    expect(Number(m![3])).toBeGreaterThan(0);
    // the scrape came before the last flush: its counters are at most the final ones, and not zero
    const scraped = metrics.find((s) => s.name === 'tracee_exporter_dead_letter_dropped_lines_total')?.value ?? 0;
    expect(scraped).toBeGreaterThan(0);
    expect(scraped).toBeLessThanOrEqual(Number(m![2]));
    expect(metrics.find((s) => s.name === 'tracee_exporter_dead_letter_rotations_total')?.value).toBeGreaterThan(0);
  });
});
