// npm run bench -- --workers [--json] [--otlp] [--runs 3] [--rounds 10] [--counts 0,1,2] [--sources]
// `workers: N` end to end: the installed command (bench/installed.ts; --sources: the checkout's bin)
// reads the 240,100-event DNS capture (bench/memory.ts builds it: the 24,010-event capture ×10,
// re-stamped) from a file and writes ECS to a file (console exporter, `path: /dev/null`: the
// write syscalls are paid, the disk is not filled), or with --otlp sends OTLP/HTTP protobuf + gzip
// to a FAKE sink in this process, with workers 0, 1, 2. Runs alternate (0, 1, 2, 0, 1, 2, …) so
// the machine's other load falls on each count alike; each run's events/s is compared with the
// workers 0 run of the same round. Prints events/s and its ratio to workers 0, peak RSS (the whole
// process: worker heaps included), CPU per event (all threads, and the main thread alone) and the
// load average around each run. On a shared machine events/s follows the other load; the CPU times
// do not, so the bench also prints the ratio they bound with 2 or 3 cores free:
// min(1 / main-thread CPU per event, cores / CPU per event), against workers 0's.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeSlowSink } from './fake-slow-otlp-sink.ts';
import { installPackage } from './installed.ts';
import { inputFile, runChild } from './memory.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

interface Run {
  workers: number;
  round: number;
  exit: number | null;
  events_per_s: number;
  ratio_to_workers_0: number;
  peak_rss_mb: number;
  cpu_us_per_event: number;
  /** CPU of the main thread alone per event: the part that does not spread over workers. */
  main_thread_us_per_event: number;
  cpu_cores_used: number;
  seconds: number;
  load_1m_before: number;
  load_1m_after: number;
  stderr?: string;
}

function opt(argv: string[], name: string, dflt: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
}

const spread = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return {
    min: s[0],
    median: s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2,
    max: s[s.length - 1],
  };
};

export async function benchWorkers(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const otlp = argv.includes('--otlp');
  const runs = Number(opt(argv, '--runs', '3'));
  const counts = opt(argv, '--counts', '0,1,2').split(',').map(Number);
  if (counts[0] !== 0) counts.unshift(0); // the baseline of each round
  const sources = argv.includes('--sources');
  const bin = sources ? path.join(ROOT, 'bin/tracee-exporter.js') : installPackage(json);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-bench-workers-'));
  const sink = otlp ? await startFakeSlowSink(1e9) : undefined;
  try {
    const { file, events } = inputFile(dir, Number(opt(argv, '--rounds', '10')));
    const exporter = sink
      ? `{type: otlp_http, endpoint: ${JSON.stringify(sink.url)}, protocol: http/protobuf, compression: gzip}`
      : '{type: console, format: ecs, path: /dev/null}';
    const configOf = (w: number) => {
      const config = path.join(dir, `workers-${w}.yaml`);
      fs.writeFileSync(
        config,
        [
          'version: 1',
          `workers: ${w}`,
          'node: {name: bench}',
          `data_dir: ${JSON.stringify(path.join(dir, `data-${w}`))}`,
          `sources: [{type: file, path: ${JSON.stringify(file)}}]`,
          `dead_letter: {path: ${JSON.stringify(path.join(dir, 'dead-letter.ndjson'))}}`,
          `exporters: [${exporter}]`,
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      return config;
    };
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const uptimeBefore = os.loadavg();
    const results: Run[] = [];
    for (let round = 0; round < runs; round++) {
      let base = 0;
      for (const w of counts) {
        const config = configOf(w);
        // each run reads the file from the start (no checkpoint left from the run before)
        fs.rmSync(path.join(dir, `data-${w}`), { recursive: true, force: true });
        const load0 = os.loadavg()[0];
        const r = await runChild(bin, config, env);
        const eps = events / r.seconds;
        if (w === 0) base = eps;
        results.push({
          workers: w,
          round,
          exit: r.exitCode,
          events_per_s: Math.round(eps),
          ratio_to_workers_0: Math.round((eps / base) * 100) / 100,
          peak_rss_mb: r.peakRssMb,
          cpu_us_per_event: Math.round((r.cpuSeconds / events) * 1e7) / 10,
          main_thread_us_per_event: Math.round((r.mainThreadCpuSeconds / events) * 1e7) / 10,
          cpu_cores_used: Math.round((r.cpuSeconds / r.seconds) * 100) / 100,
          seconds: Math.round(r.seconds * 10) / 10,
          load_1m_before: Math.round(load0 * 100) / 100,
          load_1m_after: Math.round(os.loadavg()[0] * 100) / 100,
          ...(r.exitCode === 0 ? {} : { stderr: r.stderrTail }),
        });
        if (!json) {
          const x = results[results.length - 1];
          console.log(
            `  round ${round + 1} workers ${w}: ${x.events_per_s} events/s (${x.ratio_to_workers_0}×)  peak RSS ${x.peak_rss_mb} MB  ${x.cpu_us_per_event} µs CPU/event (main thread ${x.main_thread_us_per_event})  ${x.cpu_cores_used} cores  ${x.seconds} s  load ${x.load_1m_before} → ${x.load_1m_after}  exit ${x.exit}`,
          );
          if (x.stderr) console.log(x.stderr);
        }
      }
    }
    const summary = Object.fromEntries(
      counts.map((w) => {
        const mine = results.filter((r) => r.workers === w);
        return [
          `workers_${w}`,
          {
            events_per_s: spread(mine.map((r) => r.events_per_s)),
            ratio_to_workers_0: spread(mine.map((r) => r.ratio_to_workers_0)),
            peak_rss_mb: spread(mine.map((r) => r.peak_rss_mb)),
            cpu_us_per_event: spread(mine.map((r) => r.cpu_us_per_event)),
            main_thread_us_per_event: spread(mine.map((r) => r.main_thread_us_per_event)),
            cpu_cores_used: spread(mine.map((r) => r.cpu_cores_used)),
          },
        ];
      }),
    );
    // what CPU time says, whatever the machine's other load: with C cores free, events/s is bounded by
    // the main thread (1 / its CPU per event, it cannot spread) and by all threads (C / CPU per event)
    const med = (w: number, k: 'cpu_us_per_event' | 'main_thread_us_per_event') =>
      spread(results.filter((r) => r.workers === w).map((r) => r[k])).median;
    const bound = (w: number, cores: number) =>
      1e6 / Math.max(med(w, 'main_thread_us_per_event'), med(w, 'cpu_us_per_event') / cores);
    const cpuBound = Object.fromEntries(
      [2, 3].map((cores) => [
        `${cores}_cores_free`,
        Object.fromEntries(
          counts.map((w) => [`workers_${w}`, Math.round((bound(w, cores) / bound(0, cores)) * 100) / 100]),
        ),
      ]),
    );
    const out = {
      workers: {
        cpu_bound_ratio_to_workers_0: cpuBound,
        path: sink ? 'file → otlp_http protobuf+gzip → FAKE sink' : 'file → ECS → file (/dev/null)',
        events,
        command: sources ? 'the checkout (TypeScript sources)' : 'the installed package',
        node: process.version,
        cpus: os.cpus().length,
        load_avg_before: uptimeBefore.map((l) => Math.round(l * 100) / 100),
        load_avg_after: os.loadavg().map((l) => Math.round(l * 100) / 100),
        summary,
        runs: results,
      },
    };
    if (json) {
      console.log(JSON.stringify(out));
      return;
    }
    console.log(
      `workers: ${out.workers.path}, ${events} events, ${out.workers.command}, ${out.workers.cpus} CPUs; load average ${out.workers.load_avg_before.join(' ')} → ${out.workers.load_avg_after.join(' ')}`,
    );
    const f = (x: { min: number; median: number; max: number }) => `${x.min} / ${x.median} / ${x.max}`;
    for (const [k, s] of Object.entries(summary))
      console.log(
        `  ${k}: min / median / max  ${f(s.events_per_s)} events/s, ${f(s.ratio_to_workers_0)}× workers 0, peak RSS ${f(s.peak_rss_mb)} MB, ${f(s.cpu_us_per_event)} µs CPU/event (main thread ${f(s.main_thread_us_per_event)}), ${f(s.cpu_cores_used)} cores`,
      );
    for (const [k, v] of Object.entries(cpuBound))
      console.log(
        `  bound from CPU time with ${k.replaceAll('_', ' ')}: ${Object.entries(v)
          .map(([w, r]) => `${w.replace('_', ' ')} ${r}×`)
          .join(', ')}`,
      );
  } finally {
    await sink?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
