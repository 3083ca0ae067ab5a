// npm run bench -- --memory [--json] [--collector] [--runs N] [--rounds 10] [--sources]
// The installed command (bench/installed.ts: npm pack + install; --sources: the checkout's bin,
// which runs the TypeScript sources) end to end on the 240,100-event real DNS capture (the 24,010-event capture ×10,
// each round re-stamped so no two events share a timestamp; written to a temp file at bench time):
// file → map → OTLP/HTTP protobuf + gzip → a sink, with default settings and no heap flag.
// Prints the child's peak RSS (VmHWM from /proc/<pid>/status, read just before it exits), events/s
// and CPU per event (the child's user + system time). The sink is a FAKE OTLP receiver in this
// process with no throughput limit (bench/fake-slow-otlp-sink.ts), or with --collector the real
// OpenTelemetry Collector on 127.0.0.1:4318 (`npm run services:start`).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawn } from 'node:child_process';
import { startFakeSlowSink } from './fake-slow-otlp-sink.ts';
import { installPackage } from './installed.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

export function inputFile(dir: string, ROUNDS: number): { file: string; events: number } {
  const lines = zlib
    .gunzipSync(fs.readFileSync(path.join(ROOT, 'test/data/tracee-net_packet_dns-24010.ndjson.gz')))
    .toString('utf8')
    .split('\n')
    .filter(Boolean);
  const file = path.join(dir, 'input.ndjson');
  const fd = fs.openSync(file, 'w', 0o600);
  for (let r = 0; r < ROUNDS; r++) {
    fs.writeSync(
      fd,
      lines.map((l) => l.replace(/"timestamp":(\d+)/, (_m, ts) => `"timestamp":${BigInt(ts) + BigInt(r)}`)).join('\n') +
        '\n',
    );
  }
  fs.closeSync(fd);
  return { file, events: lines.length * ROUNDS };
}

interface ChildResult {
  peakRssMb: number;
  cpuSeconds: number;
  /** CPU time of the busiest process's main thread alone (its JavaScript event loop; without worker and GC threads). */
  mainThreadCpuSeconds: number;
  seconds: number;
  exitCode: number | null;
  stderrTail: string;
}

/** /proc/<pid>/status VmHWM (peak resident set), polled: the last value seen before the process went away. */
function vmHwmKb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
/** utime + stime of the process from /proc/<pid>/stat (of its main thread alone: /proc/<pid>/task/<pid>/stat), in seconds. */
function cpuSecs(pid: number, mainThread = false): number | undefined {
  try {
    const s = fs.readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // clock ticks: 100/s on Linux
  } catch {
    return undefined;
  }
}

export async function runChild(bin: string, config: string, env: NodeJS.ProcessEnv): Promise<ChildResult> {
  const node = path.join(ROOT, 'node_modules/.bin/node');
  const t0 = performance.now();
  const child = spawn(
    fs.existsSync(node) ? node : process.execPath,
    [
      ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      bin,
      'run',
      '--config',
      config,
      '--shutdown-timeout',
      '120000',
    ],
    { env, stdio: ['ignore', process.env.BENCH_NODE_ARGS ? 'inherit' : 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (c: Buffer) => {
    err = (err + c.toString()).slice(-4000);
  });
  let peak = 0;
  let cpu = 0;
  let mainCpu = 0;
  // the bin may re-exec itself (heap flags): follow the newest descendant as well
  const poll = setInterval(() => {
    for (const pid of [child.pid!, ...descendants(child.pid!)]) {
      peak = Math.max(peak, vmHwmKb(pid) ?? 0);
      mainCpu = Math.max(mainCpu, cpuSecs(pid, true) ?? 0);
    }
    cpu = Math.max(cpu, totalCpu(child.pid!));
  }, 20);
  const exitCode: number | null = await new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  clearInterval(poll);
  return {
    peakRssMb: Math.round(peak / 1024),
    cpuSeconds: cpu,
    mainThreadCpuSeconds: mainCpu,
    seconds: (performance.now() - t0) / 1000,
    exitCode,
    stderrTail: err.split('\n').slice(-6).join('\n'),
  };
}

function descendants(pid: number): number[] {
  try {
    const kids = fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    return kids.flatMap((k) => [k, ...descendants(k)]);
  } catch {
    return [];
  }
}
function totalCpu(pid: number): number {
  return [pid, ...descendants(pid)].reduce((s, p) => s + (cpuSecs(p) ?? 0), 0);
}

export async function benchMemory(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const useCollector = argv.includes('--collector');
  const runsAt = argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 1;
  const sources = argv.includes('--sources');
  const bin = sources ? path.join(ROOT, 'bin/tracee-exporter.js') : installPackage(json);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-bench-memory-'));
  try {
    const roundsAt = argv.indexOf('--rounds');
    const { file, events } = inputFile(dir, roundsAt >= 0 ? Number(argv[roundsAt + 1]) : 10);
    const sink = useCollector ? undefined : await startFakeSlowSink(1e9);
    const endpoint = sink?.url ?? 'http://127.0.0.1:4318';
    const config = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      config,
      [
        'version: 1',
        'node: {name: bench}',
        `sources: [{type: file, path: ${JSON.stringify(file)}}]`,
        `dead_letter: {path: ${JSON.stringify(path.join(dir, 'dead-letter.ndjson'))}}`,
        `exporters: [{type: otlp_http, endpoint: ${JSON.stringify(endpoint)}, protocol: http/protobuf, compression: gzip${process.env.BENCH_DELIVERY ? `, delivery: ${process.env.BENCH_DELIVERY}` : ''}}]`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // no heap flag from the caller (BENCH_NODE_OPTIONS sets one for an experiment)
    if (process.env.BENCH_NODE_OPTIONS) env.NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS;
    const results: Array<{
      events: number;
      delivered?: number;
      exit: number | null;
      peak_rss_mb: number;
      events_per_s: number;
      cpu_us_per_event: number;
      seconds: number;
      stderr?: string;
    }> = [];
    for (let i = 0; i < runs; i++) {
      const before = sink?.accepted ?? 0;
      const r = await runChild(bin, config, env);
      const delivered = sink ? sink.accepted - before : undefined;
      results.push({
        events,
        delivered,
        exit: r.exitCode,
        peak_rss_mb: r.peakRssMb,
        events_per_s: Math.round(events / r.seconds),
        cpu_us_per_event: Math.round((r.cpuSeconds / events) * 1e7) / 10,
        seconds: Math.round(r.seconds * 10) / 10,
        ...(r.exitCode === 0 && !process.env.BENCH_NODE_OPTIONS ? {} : { stderr: r.stderrTail }),
      });
    }
    await sink?.close();
    const spread = (k: 'peak_rss_mb' | 'events_per_s' | 'cpu_us_per_event') => {
      const v = results.map((r) => r[k]).sort((a, b) => a - b);
      return {
        min: v[0],
        median: v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2,
        max: v[v.length - 1],
      };
    };
    const summary = {
      peak_rss_mb: spread('peak_rss_mb'),
      events_per_s: spread('events_per_s'),
      cpu_us_per_event: spread('cpu_us_per_event'),
    };
    const out = {
      memory: {
        summary,
        command: sources ? 'the checkout (TypeScript sources)' : 'the installed package',
        sink: sink ? 'FAKE otlp sink (no limit)' : 'real collector 127.0.0.1:4318',
        node: process.version,
        runs: results,
      },
    };
    if (json) {
      console.log(JSON.stringify(out));
      return;
    }
    console.log(
      `end to end memory: ${out.memory.command}, file → otlp_http protobuf+gzip → ${out.memory.sink}, ${events} events, default settings`,
    );
    for (const r of results) {
      console.log(
        `  peak RSS ${r.peak_rss_mb} MB  ${r.events_per_s} events/s  ${r.cpu_us_per_event} µs CPU/event  ${r.seconds} s  exit ${r.exit}${r.delivered !== undefined ? `  delivered ${r.delivered}` : ''}`,
      );
      if (r.stderr) console.log(r.stderr);
    }
    const f = (x: { min: number; median: number; max: number }) => `${x.min} / ${x.median} / ${x.max}`;
    if (runs > 1)
      console.log(
        `  min / median / max: peak RSS ${f(summary.peak_rss_mb)} MB, ${f(summary.events_per_s)} events/s, ${f(summary.cpu_us_per_event)} µs CPU/event`,
      );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
