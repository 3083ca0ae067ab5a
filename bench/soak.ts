// npm run bench -- --soak [--duration 300] [--quick] [--sink-rate N] [--outage-mode 503|refuse]
//                         [--disk-buffer [--buffer-max-mb 512]] [--json]
// The real pipeline (createPipeline, in this process) fed by a producer much faster than the sink,
// into a FAKE slow OTLP/HTTP receiver (bench/fake-slow-otlp-sink.ts, ratePerSec events/s):
//   overload  (first 60% of --duration)  the producer runs flat out; the queue fills and backpressure
//             holds the producer to the sink's rate: events/s, RSS over time (flat = bounded), queue
//   outage    (next 25%)                 the sink answers 503 (or refuses connections); the circuit
//             opens; what the buffer holds
//   drain     the sink is back and the producer stops: time until everything is delivered
// At the end every produced event is accounted for:
//   produced = received = mapped + rejected; mapped = delivered + dropped + dead-lettered + pending
// and the sink's own count equals delivered. Numbers only: nothing here asserts a time.
// The sink rate defaults to a tenth (rounded down to 100) of what the producer side measured alone
// (read + decode + map to OTel, ~2 s on this core), so the producer is at least 10× faster than the
// sink. `lag ms` is the longest event-loop delay since the previous sample.
// --disk-buffer: the exporter gets `buffer: { type: disk }` (data_dir in a temp directory, removed at
// the end; cap --buffer-max-mb, default 512): the table gains the buffer's events and MB. With a
// producer 10× faster than the sink, any cap fills during the overload already (the growth shows
// there); the outage then holds the producer back at the cap, and the drain replays the buffer.
// SOAK_TRACE=1 prints every sample on stderr as it is taken.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { createPipeline, type RunSummary } from '../src/pipeline/pipeline.ts';
import type { RunConfig } from '../src/config/run-config.ts';
import { createTelemetry } from '../src/telemetry/index.ts';
import { parsePromText, sumOf } from '../test/helpers/prom-text.ts';
import { testMapper } from '../test/helpers/samples.ts';
import { decodeText } from '../src/normalize/decode.ts';
import { startFakeSlowSink, type OutageMode } from './fake-slow-otlp-sink.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DATASET = path.resolve(ROOT, 'test/data/tracee-net_packet_dns-24010.ndjson.gz');
const LINES_PER_CHUNK = 40; // ~64 KB, like one fs read

interface SoakOptions {
  durationS: number;
  sinkRate: number | undefined;
  outageMode: OutageMode;
  json: boolean;
  diskBufferMb: number | undefined;
}

export function parseSoakArgs(argv: string[]): SoakOptions {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const durationS = Number(value('--duration') ?? (quick ? 20 : 300));
  const rate = value('--sink-rate');
  const outageMode = (value('--outage-mode') ?? '503') as OutageMode;
  if (!(durationS >= 5)) throw new Error('--duration: at least 5 (seconds)');
  if (outageMode !== '503' && outageMode !== 'refuse') throw new Error('--outage-mode: 503 or refuse');
  const diskBufferMb = argv.includes('--disk-buffer') ? Number(value('--buffer-max-mb') ?? 512) : undefined;
  return {
    durationS,
    sinkRate: rate === undefined ? undefined : Number(rate),
    outageMode,
    json: argv.includes('--json'),
    diskBufferMb,
  };
}

/** The DNS capture as ready-made NDJSON chunks of LINES_PER_CHUNK lines (reused, never copied). */
function loadChunks(): Buffer[] {
  const lines = zlib.gunzipSync(fs.readFileSync(DATASET)).toString('utf8').split('\n').filter(Boolean);
  const chunks: Buffer[] = [];
  for (let i = 0; i + LINES_PER_CHUNK <= lines.length; i += LINES_PER_CHUNK)
    chunks.push(Buffer.from(lines.slice(i, i + LINES_PER_CHUNK).join('\n') + '\n'));
  return chunks;
}

/**
 * An endless NDJSON producer: a chunk per macrotask (as a file or socket delivers them), as fast as
 * it is read, until stop(). Counts the lines it handed out.
 */
function producer(chunks: Buffer[]) {
  let i = 0;
  let lines = 0;
  let stopped = false;
  const stream = new Readable({
    highWaterMark: 1 << 16,
    read() {
      setImmediate(() => {
        if (stopped) {
          this.push(null);
          return;
        }
        lines += LINES_PER_CHUNK;
        this.push(chunks[i++ % chunks.length]);
      });
    },
  });
  return {
    stream,
    get lines() {
      return lines;
    },
    stop() {
      stopped = true;
    },
  };
}

/** Events/s the producer side can hand to the delivery (read + decode + map to OTel, one core, ~2 s). */
function producerCapacity(chunks: Buffer[]): number {
  const mapper = testMapper();
  const lines = chunks.flatMap((c) => c.toString('utf8').split('\n').filter(Boolean));
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 2000) {
    for (let i = 0; i < 1000; i++, n++) {
      const d = decodeText(lines[n % lines.length]);
      if (d.ok) mapper.toOtel(d.event);
    }
  }
  return n / ((performance.now() - t0) / 1000);
}

const mb = (b: number) => Math.round(b / 1048576);

interface Sample {
  lagMs: number;
  t: number;
  phase: string;
  rssMb: number;
  heapMb: number;
  queued: number;
  queuedMb: number;
  inFlight: number;
  delivered: number;
  sinkAccepted: number;
  state: string;
  rate: number;
  diskMb?: number;
  diskEvents?: number;
}

interface RunResult {
  summary: RunSummary;
  produced: number;
  sinkAccepted: number;
  sinkRequests: number;
  sinkRefused: number;
  samples: Sample[];
  logs: string[];
  phases: Record<string, { seconds: number; delivered: number }>;
  drainSeconds: number;
  queueAtOutageStart: { items: number; bytes: number; diskEvents?: number; diskMb?: number };
  queueAtOutageEnd: { items: number; bytes: number; diskEvents?: number; diskMb?: number };
  peakRssMb: number;
}

async function runOnce(
  chunks: Buffer[],
  sinkRate: number,
  overloadS: number,
  outageS: number,
  outageMode: OutageMode,
  sampleEveryMs: number,
  diskBufferMb?: number,
): Promise<RunResult> {
  const sink = await startFakeSlowSink(sinkRate);
  const telemetry = createTelemetry();
  const prod = producer(chunks);
  const logs: string[] = [];
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const dataDir = diskBufferMb === undefined ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'soak-data-'));
  const config = {
    version: 1,
    node: { name: 'soak' },
    sources: [{ type: 'stdin' }],
    ...(dataDir === undefined ? {} : { data_dir: dataDir }),
    exporters: [
      {
        // 4 × 250 events in flight: at most 1000 events wait in the sink's pipe, well within the 30 s request deadline
        type: 'otlp_http',
        name: 'fake-slow-otlp',
        endpoint: sink.url,
        compression: 'none',
        timeout_ms: 30_000,
        delivery: { max_batch_items: 250, concurrency: 4, initial_backoff_ms: 250, max_backoff_ms: 2_000 },
        ...(diskBufferMb === undefined
          ? {}
          : { buffer: { type: 'disk', max_bytes: diskBufferMb * 1048576, fsync: 'interval' } }),
      },
    ],
  } as RunConfig;
  /** The disk buffer's gauges (absent without one). */
  const disk = async (): Promise<{ diskEvents?: number; diskMb?: number }> => {
    if (dataDir === undefined) return {};
    const m = parsePromText(await telemetry.metrics());
    return {
      diskEvents: sumOf(m, 'tracee_exporter_buffer_events'),
      diskMb: Math.round(sumOf(m, 'tracee_exporter_buffer_bytes') / 104857.6) / 10,
    };
  };
  const pipeline = createPipeline(
    config,
    { stdin: prod.stream, log: (l) => logs.push(`[${elapsed().toFixed(1)} s] ${l}`) },
    { shutdownTimeoutMs: 600_000, telemetry },
  );
  let phase = 'overload';
  const samples: Sample[] = [];
  let peakRss = 0;
  let lastDelivered = 0;
  let lastAt = 0;
  const sample = async () => {
    const s = telemetry.snapshot();
    const e = s.exporters[0];
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    const t = elapsed();
    const rate = t > lastAt ? (e.delivered - lastDelivered) / (t - lastAt) : 0;
    lastDelivered = e.delivered;
    lastAt = t;
    const lagMs = Math.round(lag.max / 1e6);
    lag.reset();
    if (process.env.SOAK_TRACE)
      process.stderr.write(
        `soak: t=${t.toFixed(1)} ${phase} rss=${mb(m.rss)}MB queued=${e.queuedItems} inFlight=${e.inFlightItems} delivered=${e.delivered} sink=${sink.accepted} state=${e.state} lag=${lagMs}ms produced=${prod.lines}\n`,
      );
    samples.push({
      lagMs,
      t: Math.round(t),
      phase,
      rssMb: mb(m.rss),
      heapMb: mb(m.heapUsed),
      queued: e.queuedItems,
      queuedMb: Math.round(e.queuedBytes / 104857.6) / 10,
      inFlight: e.inFlightItems,
      delivered: e.delivered,
      sinkAccepted: sink.accepted,
      state: e.state,
      rate: Math.round(rate),
      ...(await disk()),
    });
  };
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  const sampler = setInterval(() => {
    void sample();
  }, sampleEveryMs);
  const phases: RunResult['phases'] = {};
  const mark = (name: string, since: number, deliveredBefore: number) => {
    phases[name] = {
      seconds: Math.round((elapsed() - since) * 10) / 10,
      delivered: telemetry.snapshot().exporters[0].delivered - deliveredBefore,
    };
  };
  const running = pipeline.run();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  await sleep(overloadS * 1000);
  mark('overload', 0, 0);
  const q0 = telemetry.snapshot().exporters[0];
  const queueAtOutageStart = { items: q0.queuedItems + q0.inFlightItems, bytes: q0.queuedBytes, ...(await disk()) };
  phase = 'outage';
  const outageAt = elapsed();
  const deliveredAtOutage = q0.delivered;
  await sink.down(outageMode);
  await sleep(outageS * 1000);
  const q1 = telemetry.snapshot().exporters[0];
  const queueAtOutageEnd = { items: q1.queuedItems + q1.inFlightItems, bytes: q1.queuedBytes, ...(await disk()) };
  mark('outage', outageAt, deliveredAtOutage);
  phase = 'drain';
  prod.stop();
  const upAt = elapsed();
  await sink.up();
  const summary = await running;
  const drainSeconds = elapsed() - upAt;
  mark('drain', upAt, q1.delivered);
  clearInterval(sampler);
  await sample();
  const result = {
    summary,
    produced: prod.lines,
    sinkAccepted: sink.accepted,
    sinkRequests: sink.requests,
    sinkRefused: sink.refusedRequests,
    samples,
    logs,
    phases,
    drainSeconds,
    queueAtOutageStart,
    queueAtOutageEnd,
    peakRssMb: mb(peakRss),
  };
  await sink.close();
  if (dataDir !== undefined) fs.rmSync(dataDir, { recursive: true, force: true });
  return result;
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0,
    den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export async function benchSoak(argv: string[]): Promise<void> {
  const o = parseSoakArgs(argv);
  const chunks = loadChunks();
  const capacity = producerCapacity(chunks);
  const sinkRate = o.sinkRate ?? Math.max(100, Math.floor(capacity / 10 / 100) * 100); // ≥ 10× below the producer
  const overloadS = Math.round(o.durationS * 0.6);
  const outageS = Math.round(o.durationS * 0.25);
  const r = await runOnce(
    chunks,
    sinkRate,
    overloadS,
    outageS,
    o.outageMode,
    Math.max(1000, Math.round((o.durationS * 1000) / 60)),
    o.diskBufferMb,
  );
  const ex = r.summary.exporters[0];
  const st = ex.stats;
  const accounted = st.delivered + st.duplicates + st.deadLettered + st.droppedTotal + ex.pendingAtShutdown;
  const steady = r.samples.filter((s) => s.phase !== 'drain' && s.t >= Math.min(10, overloadS / 3));
  const rssSlopeMbPerMin =
    slope(
      steady.map((s) => s.t),
      steady.map((s) => s.rssMb),
    ) * 60;
  const heapSlopeMbPerMin =
    slope(
      steady.map((s) => s.t),
      steady.map((s) => s.heapMb),
    ) * 60;
  const overloadRate = r.phases.overload.delivered / r.phases.overload.seconds;
  const report = {
    node: process.version,
    date: new Date().toISOString(),
    durationS: o.durationS,
    outageMode: o.outageMode,
    producerEventsPerSec: Math.round(capacity),
    sinkRatePerSec: sinkRate,
    producerToSinkRatio: Math.round((capacity / sinkRate) * 10) / 10,
    overload: {
      seconds: r.phases.overload.seconds,
      deliveredPerSec: Math.round(overloadRate),
      ofSinkRate: Math.round((overloadRate / sinkRate) * 100) / 100,
    },
    outage: {
      seconds: r.phases.outage.seconds,
      queueItemsAtStart: r.queueAtOutageStart.items,
      queueItemsAtEnd: r.queueAtOutageEnd.items,
      queueMbAtEnd: mb(r.queueAtOutageEnd.bytes),
      diskBuffer:
        o.diskBufferMb === undefined
          ? undefined
          : {
              maxMb: o.diskBufferMb,
              eventsAtStart: r.queueAtOutageStart.diskEvents,
              eventsAtEnd: r.queueAtOutageEnd.diskEvents,
              mbAtStart: r.queueAtOutageStart.diskMb,
              mbAtEnd: r.queueAtOutageEnd.diskMb,
            },
      sinkRefusedRequests: r.sinkRefused,
      retries: st.retries,
    },
    drain: { seconds: Math.round(r.drainSeconds * 10) / 10, delivered: r.phases.drain.delivered },
    memory: {
      peakRssMb: r.peakRssMb,
      rssSlopeMbPerMin: Math.round(rssSlopeMbPerMin * 10) / 10,
      heapSlopeMbPerMin: Math.round(heapSlopeMbPerMin * 10) / 10,
      rssMinMb: Math.min(...steady.map((s) => s.rssMb)),
      rssMaxMb: Math.max(...steady.map((s) => s.rssMb)),
    },
    accounting: {
      produced: r.produced,
      received: r.summary.received,
      mapped: r.summary.mapped,
      rejected: r.summary.rejected,
      delivered: st.delivered,
      duplicates: st.duplicates,
      deadLettered: st.deadLettered,
      dropped: st.droppedTotal,
      pendingAtShutdown: ex.pendingAtShutdown,
      sinkAccepted: r.sinkAccepted,
      balanced:
        r.produced === r.summary.received &&
        r.summary.received === r.summary.mapped + r.summary.rejected &&
        r.summary.mapped === accounted &&
        r.sinkAccepted === st.delivered,
    },
    transitions: r.logs.filter((l) => /circuit|retrying|healthy/.test(l)).slice(0, 10),
    samples: r.samples,
  };
  if (o.json) {
    console.log(JSON.stringify(report));
    return;
  }
  console.log(
    `soak (${report.node}), ${o.durationS} s: producer (read + decode + map) ${report.producerEventsPerSec} events/s; FAKE sink limited to ${sinkRate} events/s: the producer is ${report.producerToSinkRatio}× faster`,
  );
  console.log(
    `  overload ${report.overload.seconds} s: ${report.overload.deliveredPerSec} events/s delivered (${report.overload.ofSinkRate}× the sink rate)`,
  );
  console.log(
    `  outage   ${report.outage.seconds} s (${o.outageMode}): queue+in-flight ${report.outage.queueItemsAtStart} → ${report.outage.queueItemsAtEnd} items (${report.outage.queueMbAtEnd} MB), sink answered 503 to ${report.outage.sinkRefusedRequests} requests, batch retries ${report.outage.retries}`,
  );
  const db = report.outage.diskBuffer;
  if (db !== undefined)
    console.log(
      `           disk buffer (max ${db.maxMb} MB): ${db.eventsAtStart} → ${db.eventsAtEnd} events, ${db.mbAtStart} → ${db.mbAtEnd} MB`,
    );
  else console.log('           (memory queue only: with --disk-buffer the outage fills a disk buffer instead)');
  console.log(`  drain    ${report.drain.seconds} s after the sink came back (${report.drain.delivered} events)`);
  console.log(
    `  memory   peak RSS ${report.memory.peakRssMb} MB; overload+outage RSS ${report.memory.rssMinMb}–${report.memory.rssMaxMb} MB, slope ${report.memory.rssSlopeMbPerMin} MB/min (heap ${report.memory.heapSlopeMbPerMin} MB/min)`,
  );
  const a = report.accounting;
  console.log(
    `  account  produced ${a.produced} = received ${a.received} = mapped ${a.mapped} + rejected ${a.rejected}; delivered ${a.delivered} + duplicates ${a.duplicates} + dead-lettered ${a.deadLettered} + dropped ${a.dropped} + pending ${a.pendingAtShutdown}; sink counted ${a.sinkAccepted}: ${a.balanced ? 'BALANCED' : 'NOT BALANCED'}`,
  );
  for (const l of report.transitions) console.log(`  log      ${l}`);
  console.log(
    `\n     t  lag ms  phase     rss MB  heap MB  queued  queue MB  in flight  delivered/s  delivered  state${db ? '     disk events  disk MB' : ''}`,
  );
  for (const s of r.samples) {
    console.log(
      `  ${String(s.t).padStart(4)}  ${String(s.lagMs).padStart(6)}  ${s.phase.padEnd(8)}  ${String(s.rssMb).padStart(6)}  ${String(s.heapMb).padStart(7)}  ${String(s.queued).padStart(6)}  ${String(s.queuedMb).padStart(8)}  ${String(s.inFlight).padStart(9)}  ${String(s.rate).padStart(11)}  ${String(s.delivered).padStart(9)}  ${s.state.padEnd(8)}${db ? `  ${String(s.diskEvents).padStart(11)}  ${String(s.diskMb).padStart(7)}` : ''}`,
    );
  }
}
