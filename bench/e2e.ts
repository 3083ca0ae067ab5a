// npm run bench -- --e2e   (needs `npm run services:start`)
// The whole pipeline in this process (read → decode → map → delivery → exporter → network) into
// the REAL OpenTelemetry Collector, the REAL Elasticsearch and the REAL OpenSearch on 127.0.0.1: sustained
// events/s and peak RSS of this process, next to the JSON.parse + JSON.stringify floor of the same lines and
// (vs_otlp) the OTLP exporter's rate measured in the same run.

import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { preparePipeline } from '../src/pipeline/pipeline.ts';
import type { RunConfig } from '../src/config/run-config.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const lines = zlib
  .gunzipSync(fs.readFileSync(path.resolve(ROOT, 'test/data/tracee-net_packet_dns-24010.ndjson.gz')))
  .toString('utf8')
  .split('\n')
  .filter(Boolean);

export function floor(): number {
  const t0 = process.hrtime.bigint();
  for (const l of lines) JSON.stringify(JSON.parse(l));
  return lines.length / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/** The capture repeated `times` times in a temp file (read as a file source, so the input is not held in memory). */
function inputFile(times: number): string {
  const file = path.join(os.tmpdir(), `tracee-bench-${process.pid}-${times}.ndjson`);
  const fd = fs.openSync(file, 'w');
  for (let r = 0; r < times; r++) {
    // re-stamp each round so Elasticsearch sees new events (same shape and size), not duplicates
    fs.writeSync(
      fd,
      lines.map((l) => l.replace(/"timestamp":(\d+)/, (_m, ts) => `"timestamp":${BigInt(ts) + BigInt(r)}`)).join('\n') +
        '\n',
    );
  }
  fs.closeSync(fd);
  return file;
}

export async function run(name: string, exporter: RunConfig['exporters'][number], rounds: number) {
  const file = inputFile(rounds);
  if (typeof globalThis.gc === 'function') globalThis.gc();
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const logs: string[] = [];
  const p = await preparePipeline(
    { version: 1, node: { name: 'bench' }, sources: [{ type: 'file', path: file }], exporters: [exporter] },
    { stdin: Readable.from([]), log: (l) => logs.push(l) },
    { shutdownTimeoutMs: 120_000 },
  );
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const summary = await p.run();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(timer);
  fs.rmSync(file, { force: true });
  const st = summary.exporters[0].stats;
  return {
    name,
    events: summary.mapped,
    delivered: st.delivered,
    duplicates: st.duplicates,
    seconds: Math.round(secs * 10) / 10,
    eventsPerSec: Math.round(summary.mapped / secs),
    peakRssMb: Math.round(peak / 1048576),
    exporterCpuShare: Math.round(((cpu.user + cpu.system) / 1e6 / secs) * 100) / 100,
    problems: logs.filter((l) => !/healthy/.test(l)).slice(0, 3),
  };
}

export async function benchEndToEnd(json: boolean): Promise<void> {
  const f = floor();
  const results = [
    await run(
      'otlp_http → real collector',
      {
        type: 'otlp_http',
        endpoint: 'http://127.0.0.1:4318',
        compression: 'gzip',
        delivery: { max_batch_items: 2000, concurrency: 4 },
      },
      4,
    ),
    await run(
      'elasticsearch → real node',
      {
        type: 'elasticsearch',
        endpoints: 'http://127.0.0.1:9200',
        data_stream: { namespace: `bench${Date.now()}` },
        delivery: { max_batch_items: 2000, concurrency: 2 },
      },
      2,
    ),
    await run(
      'opensearch → real node',
      {
        type: 'opensearch',
        endpoints: process.env.OS_URL ?? 'http://127.0.0.1:9201',
        data_stream: { namespace: `bench${Date.now()}` },
        delivery: { max_batch_items: 2000, concurrency: 2 },
      } as unknown as RunConfig['exporters'][number],
      2,
    ),
  ].map((r, _i, all) => ({ ...r, vsOtlp: Math.round((r.eventsPerSec / all[0].eventsPerSec) * 100) / 100 }));
  if (json) {
    console.log(JSON.stringify({ floor_parse_stringify: Math.round(f), results }));
    return;
  }
  console.log(
    `end to end (${process.version}); floor JSON.parse+stringify of the same lines: ${Math.round(f)} events/s`,
  );
  for (const r of results)
    console.log(
      `  ${r.name.padEnd(28)} ${String(r.eventsPerSec).padStart(7)} events/s (${(r.eventsPerSec / f).toFixed(2)}x floor, ${r.vsOtlp.toFixed(2)}x otlp_http), ${r.events} events in ${r.seconds} s, delivered ${r.delivered}, peak RSS ${r.peakRssMb} MB, tracee-exporter CPU ${Math.round(r.exporterCpuShare * 100)}% of one core${r.problems.length ? `; ${r.problems.join(' | ')}` : ''}`,
    );
}
