// npm run bench -- --startup [--json] [--runs N]
// Start-up of the installed command (npm pack, which builds dist/, then npm install of the tarball
// into a temporary prefix: its bin/tracee-exporter.js, as a user runs it) next to `node -e 0` and the
// source run (node src/cli/main.ts), in alternating order, N runs each (default 7), medians (min/max
// beside them in the JSON):
//   map_start_s       wall time of `map --to ecs` on one event, start to exit
//   run_start_cpu_s   CPU time (user + system) of `run` (bench/startup/run.yaml: OTLP and
//                     Elasticsearch exporters, stdin) until it is ready for its first event
//   run_start_rss_mb  its peak RSS until then
// CPU and RSS are the child's own (process.resourceUsage, read by bench/startup/probe.mjs, loaded
// with --import in every process measured, `node -e 0` included). Wall time counts other processes'
// turns on a shared machine: compare with node_e0_start_s of the same run.

import { spawn } from 'node:child_process';
import { installPackage } from './installed.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const PROBE = path.join(import.meta.dirname, 'startup/probe.mjs');
const RUN_CONFIG = path.join(import.meta.dirname, 'startup/run.yaml');
const ONE_EVENT =
  fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').split('\n')[0] + '\n';

interface Sample {
  wall_s: number;
  cpu_s: number;
  rss_mb: number;
}

/** Start `args` under the probe; `ready` decides from stderr text when it counts as started. */
function measure(args: string[], opts: { stdin?: string; untilReady?: boolean }): Promise<Sample> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'startup-')), 'probe.json');
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', PROBE, ...args], {
      cwd: ROOT,
      env: { ...process.env, STARTUP_PROBE_OUT: out },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let wall = 0;
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d;
      if (opts.untilReady && wall === 0 && err.includes('telemetry: listening on')) {
        wall = (performance.now() - t0) / 1000;
        child.stdin.end(); // end of input: the run stops
      }
    });
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    else if (!opts.untilReady) child.stdin.end();
    child.on('error', reject);
    child.on('close', (code) => {
      if (wall === 0) wall = (performance.now() - t0) / 1000;
      let probe: { cpu_s: number; rss_mb: number };
      try {
        probe = JSON.parse(fs.readFileSync(out, 'utf8'));
      } catch {
        return reject(new Error(`${args.join(' ')}: no probe output (exit ${code}): ${err.slice(0, 500)}`));
      }
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
      if (opts.untilReady && !err.includes('telemetry: listening on'))
        return reject(new Error(`${args.join(' ')}: never ready (exit ${code}): ${err.slice(0, 500)}`));
      resolve({ wall_s: wall, ...probe });
    });
  });
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { median: r(s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2), min: r(s[0]), max: r(s[s.length - 1]) };
};

export async function benchStartup(argv: string[]): Promise<void> {
  const asJson = argv.includes('--json');
  const i = argv.indexOf('--runs');
  const runs = i >= 0 ? Number(argv[i + 1]) : 7;
  const BIN = installPackage(asJson);
  const SRC = path.join(ROOT, 'src/cli/main.ts');
  const cases: Record<string, () => Promise<Sample>> = {
    node_e0: () => measure(['-e', '0'], {}),
    map: () => measure([BIN, 'map', '--to', 'ecs', '-'], { stdin: ONE_EVENT }),
    run: () => measure([BIN, 'run', '--config', RUN_CONFIG], { untilReady: true }),
    source_map: () => measure([SRC, 'map', '--to', 'ecs', '-'], { stdin: ONE_EVENT }),
    source_run: () => measure([SRC, 'run', '--config', RUN_CONFIG], { untilReady: true }),
  };
  const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  const names = Object.keys(cases);
  for (let r = 0; r < runs; r++) {
    // alternate the order so that no case always runs right after a given other one
    for (const name of r % 2 ? [...names].reverse() : names) samples[name].push(await cases[name]());
  }
  const s = (name: string, k: keyof Sample) => stats(samples[name].map((x) => x[k]));
  const report = {
    node: process.version,
    runs,
    map_start_s: s('map', 'wall_s').median,
    run_start_cpu_s: s('run', 'cpu_s').median,
    run_start_rss_mb: s('run', 'rss_mb').median,
    node_e0_start_s: s('node_e0', 'wall_s').median,
    node_e0_cpu_s: s('node_e0', 'cpu_s').median,
    node_e0_rss_mb: s('node_e0', 'rss_mb').median,
    detail: Object.fromEntries(
      names.map((n) => [n, { wall_s: s(n, 'wall_s'), cpu_s: s(n, 'cpu_s'), rss_mb: s(n, 'rss_mb') }]),
    ),
  };
  if (asJson) {
    console.log(JSON.stringify(report));
    return;
  }
  console.log(`start-up (${report.node}), ${runs} runs each, median [min – max]`);
  for (const n of names) {
    const d = report.detail[n];
    const f = (x: { median: number; min: number; max: number }, u: string) => `${x.median}${u} [${x.min} – ${x.max}]`;
    console.log(
      `  ${n.padEnd(11)} wall ${f(d.wall_s, ' s').padEnd(26)} cpu ${f(d.cpu_s, ' s').padEnd(26)} rss ${f(d.rss_mb, ' MB')}`,
    );
  }
}
