// npm run bench -- --peer [--json] [--times 10] [--pairs 3] [--quick (= --times 1)] [--sources] [--vs <ref>]
// tracee-exporter next to the pipeline users would run instead: the OpenTelemetry Collector contrib
// 0.161 built from test/peer-collector/ (file_log + json_parser + the OTTL renames + batch + otlp_http,
// protobuf + gzip; scripts/services/peer-collector.sh builds and caches it, cold: minutes).
// Both read the same NDJSON file once (the 24,010-event DNS capture repeated --times times, each
// round re-stamped so its events are distinct; written to a temp file at bench time, removed at the
// end) into the same FAKE counting OTLP/HTTP sink (bench/peer-sink.ts), alternately (ours, peer,
// ours, peer, …: --pairs pairs). A run ends when the sink has counted every record; then the
// process's CPU (utime + stime of /proc/<pid>/stat) and peak RSS (VmHWM) are read. Both figures
// include start-up. Ratios are taken within each pair; medians over the pairs (min/median/max in the
// human output). Ours: `tracee-exporter run` with default settings, the installed package's bin
// (bench/installed.ts; --sources: the checkout's bin, which runs the TypeScript sources).
// --vs <ref>: the installed command of another commit (a tag, branch or hash; bench/installed.ts
// installRef) runs too, in every pair (base, ours, peer; the order of base and ours alternates), so a
// change is measured against its base in the same rounds: CPU per event on this machine drifts ±15%
// between hours, and ratios only compare within a round. An even --pairs runs each order equally often.
// No Elasticsearch peer: the Collector's elasticsearch exporter
// (opentelemetry-collector-contrib/exporter/elasticsearchexporter) is not served by the Go module proxy.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { installPackage, installRef } from './installed.ts';
import { startCountingSink, type CountingSink } from './peer-sink.ts';
import {
  cpuSecondsFromStat,
  oursRunConfig,
  peakRssMbFromStatus,
  peerCollectorConfig,
  peerJson,
  peerRatios,
  restamp,
  type PeerPair,
  type PipelineRun,
  type Spread,
} from './peer-measure.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DATASET = path.resolve(ROOT, 'test/data/tracee-net_packet_dns-24010.ndjson.gz');
const RUN_TIMEOUT_MS = 900_000;
const POLL_MS = 20;
export const NO_ELASTICSEARCH_PEER =
  "no Elasticsearch peer: the Collector's elasticsearch exporter (opentelemetry-collector-contrib/exporter/elasticsearchexporter) is not served by the Go module proxy";

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

function writeInput(file: string, times: number): number {
  const lines = zlib.gunzipSync(fs.readFileSync(DATASET)).toString('utf8').split('\n').filter(Boolean);
  const fd = fs.openSync(file, 'w', 0o600);
  for (let r = 0; r < times; r++) fs.writeSync(fd, lines.map((l) => restamp(l, r)).join('\n') + '\n');
  fs.closeSync(fd);
  return lines.length * times;
}

/** Runs one pipeline until the sink has counted `events` records; its CPU and peak RSS at that moment. */
async function runOnce(
  name: string,
  cmd: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
  sink: CountingSink,
  events: number,
  ticks: number,
): Promise<PipelineRun> {
  sink.reset();
  const t0 = performance.now();
  const child = spawn(cmd, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4000);
  });
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', (code) => {
      exited = code;
      resolve();
    }),
  );
  let cpu = 0;
  let rss = 0;
  const sample = () => {
    try {
      cpu = cpuSecondsFromStat(fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8'), ticks);
      rss = peakRssMbFromStatus(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8')) ?? rss;
    } catch {
      /* exited between two samples: the last sample stands */
    }
  };
  let seconds = 0;
  try {
    for (;;) {
      const done = sink.records >= events;
      if (done) seconds = (performance.now() - t0) / 1000;
      if (exited === undefined) sample();
      if (done) break;
      if (exited !== undefined)
        throw new Error(
          `${name} exited (code ${exited}) after ${sink.records} of ${events} records; stderr tail:\n${stderr}`,
        );
      if (performance.now() - t0 > RUN_TIMEOUT_MS)
        throw new Error(
          `${name}: ${sink.records} of ${events} records after ${RUN_TIMEOUT_MS / 1000} s; stderr tail:\n${stderr}`,
        );
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    if (exited === undefined) {
      // ours (and the --vs base) ends by itself once the input is read and delivered; the Collector runs until told to stop
      const grace = setTimeout(() => child.kill('SIGTERM'), name === 'peer' ? 0 : 30_000);
      await exit;
      clearTimeout(grace);
    }
  }
  if (sink.badRequests > 0) throw new Error(`${name}: the sink refused ${sink.badRequests} requests`);
  if (sink.records !== events)
    throw new Error(`${name}: the sink counted ${sink.records} records, expected ${events} (duplicates)`);
  return { events, seconds, cpuSeconds: cpu, peakRssMb: rss };
}

function value(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

export async function benchPeer(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const times = Number(value(argv, '--times') ?? (argv.includes('--quick') ? 1 : 10));
  const pairs = Number(value(argv, '--pairs') ?? 3);
  if (!(Number.isInteger(times) && times >= 1) || !(Number.isInteger(pairs) && pairs >= 1))
    throw new Error('--times and --pairs: whole numbers >= 1');
  const log = (l: string) => {
    if (!json) console.log(l);
    else process.stderr.write(l + '\n');
  };

  const buildStart = performance.now();
  const peerBin = execFileSync('bash', [path.join(ROOT, 'scripts/services/peer-collector.sh'), 'build'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const buildS = (performance.now() - buildStart) / 1000;
  // the installed command through its bin, as users run it (the bin caps V8's heap, see bench/installed.ts)
  const oursEntry = argv.includes('--sources') ? path.join(ROOT, 'bin/tracee-exporter.js') : installPackage(json);
  const vsRef = value(argv, '--vs');
  if (argv.includes('--vs') && (vsRef === undefined || vsRef.startsWith('--')))
    throw new Error('--vs needs a git ref (a tag, branch or commit of this repository)');
  // the base is always an installed package: the sources' type stripping would weigh on ours alone
  if (vsRef !== undefined && argv.includes('--sources'))
    throw new Error('--vs compares installed builds: drop --sources');
  const base = vsRef === undefined ? undefined : { ref: vsRef, ...installRef(vsRef, json) };

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-peer-bench-'));
  const sink = await startCountingSink();
  try {
    const input = path.join(dir, 'input.ndjson');
    const events = writeInput(input, times);
    const oursConfig = path.join(dir, 'ours.json');
    fs.writeFileSync(oursConfig, JSON.stringify(oursRunConfig(input, sink.url)), { mode: 0o600 });
    const peerConfig = path.join(dir, 'peer.yaml');
    fs.writeFileSync(peerConfig, peerCollectorConfig(input, sink.url), { mode: 0o600 });
    const ticks = clockTicks();
    // the user's OTEL_EXPORTER_OTLP_* must not redirect our exporter away from the sink
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && !k.startsWith('TRACEE_EXPORTER_')),
    );
    log(
      `peer bench: ${events} events (${times}x the DNS capture), ${pairs} pairs; ours: ${argv.includes('--sources') ? 'the checkout (TypeScript sources)' : 'the installed package'}${base ? `; base: ${base.ref} (${base.commit.slice(0, 12)}, installed)` : ''}; peer: ${peerBin} (${buildS.toFixed(1)} s to build or find)`,
    );
    const runOurs = (name: string, entry: string) =>
      runOnce(name, process.execPath, [entry, 'run', '--config', oursConfig], env, sink, events, ticks);
    const results: PeerPair[] = [];
    for (let p = 0; p < pairs; p++) {
      let ours: PipelineRun;
      let baseRun: PipelineRun | undefined;
      if (base === undefined) ours = await runOurs('ours', oursEntry);
      else if (p % 2 === 0) {
        baseRun = await runOurs('base', base.bin);
        ours = await runOurs('ours', oursEntry);
      } else {
        ours = await runOurs('ours', oursEntry);
        baseRun = await runOurs('base', base.bin);
      }
      const peer = await runOnce('peer', peerBin, [`--config=file:${peerConfig}`], env, sink, events, ticks);
      results.push(baseRun === undefined ? { ours, peer } : { ours, peer, base: baseRun });
      const f = (r: PipelineRun) =>
        `${r.seconds.toFixed(1)} s, ${r.cpuSeconds.toFixed(1)} CPU-s, ${Math.round(r.peakRssMb)} MB`;
      log(`  pair ${p + 1}: ${baseRun ? `base ${f(baseRun)} | ` : ''}ours ${f(ours)} | peer ${f(peer)}`);
    }
    const r = peerRatios(results);
    if (json) {
      const b = base === undefined ? undefined : { ref: base.ref, commit: base.commit };
      console.log(JSON.stringify({ ...peerJson(events, r, b), note: NO_ELASTICSEARCH_PEER }));
      return;
    }
    const s = (x: Spread, d = 2) => `${x.min.toFixed(d)} / ${x.median.toFixed(d)} / ${x.max.toFixed(d)}`;
    console.log(`file -> OTLP/HTTP protobuf+gzip, ${events} events, min / median / max over ${pairs} pairs`);
    console.log(
      `  CPU per event, ours / peer     ${s(r.cpuPerEvent)}   (CPU-s per 100k: ours ${s(r.cpuSecondsPer100k.ours, 1)}, peer ${s(r.cpuSecondsPer100k.peer, 1)})`,
    );
    console.log(
      `  events/s, ours / peer          ${s(r.eventsPerSec)}   (ours ${s(r.eventsPerSecond.ours, 0)}, peer ${s(r.eventsPerSecond.peer, 0)})`,
    );
    console.log(`  peak RSS MB, ours              ${s(r.rssMb.ours, 0)}`);
    console.log(`  peak RSS MB, peer              ${s(r.rssMb.peer, 0)}`);
    if (base !== undefined && r.vsBase !== undefined) {
      console.log(`against ${base.ref} (${base.commit.slice(0, 12)}), in the same pairs`);
      console.log(`  CPU per event, ours / base     ${s(r.vsBase.cpuPerEvent)}`);
      console.log(`  events/s, ours / base          ${s(r.vsBase.eventsPerSec)}`);
      console.log(`  CPU per event, base / peer     ${s(r.vsBase.baseCpuPerEvent)}`);
      console.log(`  peak RSS MB, base              ${s(r.vsBase.rssMb, 0)}`);
    }
    console.log(`  ${NO_ELASTICSEARCH_PEER}`);
  } finally {
    await sink.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
