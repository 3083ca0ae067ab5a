// npm run bench -- --exporters [--times 2] [--pairs 1] [--json]   (uses the servers of `npm run services:start`)
// The fleet exporters through the whole pipeline (file → decode → map → delivery → exporter → network) into
// the REAL servers on 127.0.0.1, each row next to the OTLP exporter (otlp_http → the real Collector) measured
// in the same run: kafka with each encoding (broker KAFKA_BROKER, default 127.0.0.1:9092) and opensearch
// (OS_URL, default http://127.0.0.1:9201). Rows run in turn, `--pairs` times (OTLP first in each pair); the
// ratio of a row is the median over pairs of (row events/s) / (OTLP events/s of the same pair). A server that
// does not answer is named and its rows are left out (the report says so); without the Collector there is no
// baseline, so only the absolute rates are printed.

import net from 'node:net';
import type { RunConfig } from '../src/config/run-config.ts';
import { floor, run } from './e2e.ts';

type Exporter = RunConfig['exporters'][number];

const KAFKA = process.env.KAFKA_BROKER ?? '127.0.0.1:9092';
const OS_URL = process.env.OS_URL ?? 'http://127.0.0.1:9201';
const OTLP_URL = process.env.OTLP_URL ?? 'http://127.0.0.1:4318';

function reachable(hostPort: string): Promise<boolean> {
  const i = hostPort.lastIndexOf(':');
  return new Promise((resolve) => {
    const s = net.connect({ host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)), timeout: 2000 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round2 = (x: number) => Math.round(x * 100) / 100;

export async function benchExporters(argv: string[]): Promise<void> {
  const opt = (name: string, def: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : def;
  };
  const times = opt('--times', 2); // the 24,010-event capture repeated this often per row
  const pairs = opt('--pairs', 1);
  const json = argv.includes('--json');
  const stamp = Date.now();
  const servers = {
    collector: { where: OTLP_URL, up: await reachable(new URL(OTLP_URL).host) },
    kafka: { where: KAFKA, up: await reachable(KAFKA) },
    opensearch: { where: OS_URL, up: await reachable(new URL(OS_URL).host) },
  };
  const absent = Object.entries(servers)
    .filter(([, s]) => !s.up)
    .map(([k, s]) => `${k} (${s.where})`);
  for (const a of absent)
    console.error(
      `bench --exporters: no server at ${a}: its rows are left out (start the servers with: npm run services:start)`,
    );

  const kafka = (encoding: string): Exporter =>
    ({
      type: 'kafka',
      name: `kafka_${encoding}`,
      brokers: [KAFKA],
      encoding,
      topics: { events: `bench.${stamp}.${encoding}.events`, alerts: `bench.${stamp}.${encoding}.alerts` },
      delivery: { max_batch_items: 2000, concurrency: 2 },
    }) as unknown as Exporter;
  const rows: Array<{ name: string; server: keyof typeof servers; exporter: () => Exporter }> = [
    {
      name: 'otlp_http → collector',
      server: 'collector',
      exporter: () =>
        ({
          type: 'otlp_http',
          endpoint: OTLP_URL,
          compression: 'gzip',
          delivery: { max_batch_items: 2000, concurrency: 4 },
        }) as unknown as Exporter,
    },
    { name: 'kafka otlp_proto', server: 'kafka', exporter: () => kafka('otlp_proto') },
    { name: 'kafka ecs_json', server: 'kafka', exporter: () => kafka('ecs_json') },
    { name: 'kafka tracee_json', server: 'kafka', exporter: () => kafka('tracee_json') },
    {
      name: 'opensearch → node',
      server: 'opensearch',
      exporter: () =>
        ({
          type: 'opensearch',
          endpoints: OS_URL,
          data_stream: { namespace: `bench${stamp}` },
          delivery: { max_batch_items: 2000, concurrency: 2 },
        }) as unknown as Exporter,
    },
  ];
  const present = rows.filter((r) => servers[r.server].up);
  const rates = new Map<string, number[]>(present.map((r) => [r.name, []]));
  const ratios = new Map<string, number[]>(present.map((r) => [r.name, []]));
  const details = new Map<string, Awaited<ReturnType<typeof run>>>();
  for (let p = 0; p < pairs; p++) {
    let base: number | undefined;
    for (const r of present) {
      const res = await run(r.name, r.exporter(), times);
      if (res.delivered + res.duplicates !== res.events)
        console.error(
          `bench --exporters: ${r.name}: delivered ${res.delivered} + duplicates ${res.duplicates} of ${res.events} events${res.problems.length ? `: ${res.problems.join(' | ')}` : ''}`,
        );
      details.set(r.name, res);
      rates.get(r.name)!.push(res.eventsPerSec);
      if (r.server === 'collector') base = res.eventsPerSec;
      if (base !== undefined) ratios.get(r.name)!.push(res.eventsPerSec / base);
    }
  }
  const f = floor();
  const results = present.map((r) => {
    const d = details.get(r.name)!;
    const rs = ratios.get(r.name)!;
    return {
      name: r.name,
      eventsPerSec: Math.round(median(rates.get(r.name)!)),
      vsOtlp: rs.length ? round2(median(rs)) : null,
      events: d.events,
      delivered: d.delivered,
      peakRssMb: d.peakRssMb,
      exporterCpuShare: d.exporterCpuShare,
    };
  });
  if (json) {
    console.log(
      JSON.stringify({
        floor_parse_stringify: Math.round(f),
        pairs,
        events_per_row: results[0]?.events ?? 0,
        absent,
        results,
      }),
    );
    return;
  }
  console.log(
    `fleet exporters end to end (${process.version}), ${pairs} pair(s); floor JSON.parse+stringify: ${Math.round(f)} events/s${absent.length ? `; absent: ${absent.join(', ')}` : ''}`,
  );
  for (const r of results) {
    console.log(
      `  ${r.name.padEnd(24)} ${String(r.eventsPerSec).padStart(7)} events/s  ${r.vsOtlp === null ? 'no otlp baseline' : `${r.vsOtlp.toFixed(2)}x otlp_http`}, ${r.delivered}/${r.events} delivered, peak RSS ${r.peakRssMb} MB, CPU ${Math.round(r.exporterCpuShare * 100)}% of one core`,
    );
  }
}
