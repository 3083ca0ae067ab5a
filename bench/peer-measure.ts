// The pure parts of `npm run bench -- --peer` (bench/peer.ts): reading a process's CPU time and
// peak RSS from /proc, the paired-run ratio math, and the two pipelines' configurations.
// Nothing here spawns or times anything, so test/unit/bench/peer-measure.test.ts covers it.

import { stringify } from 'yaml';

/**
 * utime + stime of /proc/<pid>/stat, in seconds. The command name (field 2) is in parentheses and
 * may hold spaces or ')' itself, so fields are counted from the LAST ')'. After it come field 3
 * (state) onwards: utime is field 14 and stime field 15, in clock ticks.
 */
export function cpuSecondsFromStat(stat: string, clockTicksPerSec: number): number {
  const close = stat.lastIndexOf(')');
  if (close < 0) throw new Error('/proc/<pid>/stat: no command name');
  const rest = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const utime = Number(rest[14 - 3]);
  const stime = Number(rest[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('/proc/<pid>/stat: no utime/stime');
  return (utime + stime) / clockTicksPerSec;
}

/** Peak resident set size (VmHWM of /proc/<pid>/status) in MB (2^20 bytes); undefined when absent. */
export function peakRssMbFromStatus(status: string): number | undefined {
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) / 1024 : undefined;
}

export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(xs: number[]): Spread {
  if (xs.length === 0) throw new Error('spread of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return { min: s[0], median: s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2, max: s[s.length - 1] };
}

/** One pipeline's run: N records counted at the sink after `seconds` (from spawn), with the process's CPU and peak RSS then. */
export interface PipelineRun {
  events: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
}

/**
 * One pair: ours and the peer, run back to back on the same input into the same sink; with
 * `--vs <ref>`, also `base`: the installed command of that commit, in the same round.
 */
export interface PeerPair {
  ours: PipelineRun;
  peer: PipelineRun;
  base?: PipelineRun;
}

export interface PeerRatios {
  /** ours CPU-seconds per event / the peer's, per pair (below 1: we use less CPU). */
  cpuPerEvent: Spread;
  /** ours events/s / the peer's, per pair (above 1: we are faster). */
  eventsPerSec: Spread;
  rssMb: { ours: Spread; peer: Spread };
  cpuSecondsPer100k: { ours: Spread; peer: Spread };
  eventsPerSecond: { ours: Spread; peer: Spread };
  /** With a base build in every pair: ours against it, and it against the peer, per pair. */
  vsBase?: {
    /** ours CPU per event / the base's (below 1: this build uses less CPU). */
    cpuPerEvent: Spread;
    /** ours events/s / the base's. */
    eventsPerSec: Spread;
    /** the base's CPU per event / the peer's (what ours's cpuPerEvent was before). */
    baseCpuPerEvent: Spread;
    rssMb: Spread;
  };
}

/** Ratios are taken within each pair (the two runs saw the same machine load), then medians over pairs. */
export function peerRatios(pairs: PeerPair[]): PeerRatios {
  const perEvent = (r: PipelineRun) => r.cpuSeconds / r.events;
  const eps = (r: PipelineRun) => r.events / r.seconds;
  if (pairs.some((p) => p.base === undefined) && pairs.some((p) => p.base !== undefined))
    throw new Error('peerRatios: a base run in some pairs only');
  const withBase = pairs.filter((p): p is PeerPair & { base: PipelineRun } => p.base !== undefined);
  return {
    cpuPerEvent: spread(pairs.map((p) => perEvent(p.ours) / perEvent(p.peer))),
    eventsPerSec: spread(pairs.map((p) => eps(p.ours) / eps(p.peer))),
    rssMb: { ours: spread(pairs.map((p) => p.ours.peakRssMb)), peer: spread(pairs.map((p) => p.peer.peakRssMb)) },
    cpuSecondsPer100k: {
      ours: spread(pairs.map((p) => perEvent(p.ours) * 1e5)),
      peer: spread(pairs.map((p) => perEvent(p.peer) * 1e5)),
    },
    eventsPerSecond: { ours: spread(pairs.map((p) => eps(p.ours))), peer: spread(pairs.map((p) => eps(p.peer))) },
    vsBase:
      withBase.length === 0
        ? undefined
        : {
            cpuPerEvent: spread(withBase.map((p) => perEvent(p.ours) / perEvent(p.base))),
            eventsPerSec: spread(withBase.map((p) => eps(p.ours) / eps(p.base))),
            baseCpuPerEvent: spread(withBase.map((p) => perEvent(p.base) / perEvent(p.peer))),
            rssMb: spread(withBase.map((p) => p.base.peakRssMb)),
          },
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export interface PeerJson {
  peer: {
    events: number;
    cpu_per_event_ratio: number;
    rss_mb: { ours: number; peer: number };
    events_per_s_ratio: number;
  };
  /** With `--vs <ref>`: this build against that commit's, measured in the same pairs. */
  vs?: {
    ref: string;
    commit: string;
    cpu_per_event_ratio: number;
    events_per_s_ratio: number;
    base_cpu_per_event_ratio_to_peer: number;
    base_rss_mb: number;
  };
}

/** The `--json` line the issue (#16) asks for: medians over the pairs. */
export function peerJson(events: number, r: PeerRatios, base?: { ref: string; commit: string }): PeerJson {
  const out: PeerJson = {
    peer: {
      events,
      cpu_per_event_ratio: round2(r.cpuPerEvent.median),
      rss_mb: { ours: Math.round(r.rssMb.ours.median), peer: Math.round(r.rssMb.peer.median) },
      events_per_s_ratio: round2(r.eventsPerSec.median),
    },
  };
  if (base !== undefined && r.vsBase !== undefined)
    out.vs = {
      ...base,
      cpu_per_event_ratio: round2(r.vsBase.cpuPerEvent.median),
      events_per_s_ratio: round2(r.vsBase.eventsPerSec.median),
      base_cpu_per_event_ratio_to_peer: round2(r.vsBase.baseCpuPerEvent.median),
      base_rss_mb: Math.round(r.vsBase.rssMb.median),
    };
  return out;
}

/**
 * The Collector pipeline users would run instead (test/peer-collector/README.md): Tracee's JSON lines
 * read by file_log with a json_parser (event time from `timestamp`, in ns), the OTTL renames to the
 * attributes tracee-exporter writes, batch, otlp_http (protobuf + gzip, its defaults) to `endpoint`.
 */
export function peerCollectorConfig(input: string, endpoint: string): string {
  const renames: [string, string][] = [
    ['processId', 'process.vpid'],
    ['hostProcessId', 'process.pid'],
    ['processName', 'thread.name'],
    ['hostName', 'host.name'],
  ];
  const statements = [
    ...renames.flatMap(([from, to]) => [
      `set(log.attributes["${to}"], log.attributes["${from}"])`,
      `delete_key(log.attributes, "${from}")`,
    ]),
    'set(log.event_name, Concat(["tracee", log.attributes["eventName"]], "."))',
    'delete_key(log.attributes, "eventName")',
    'set(resource.attributes["container.id"], log.attributes["containerId"]) where log.attributes["containerId"] != ""',
    'delete_key(log.attributes, "containerId")',
  ];
  return stringify({
    receivers: {
      file_log: {
        include: [input],
        start_at: 'beginning',
        // parse_ints: the nanosecond timestamp stays an exact int64 (a float64 would round it)
        operators: [
          {
            type: 'json_parser',
            parse_ints: true,
            timestamp: { parse_from: 'attributes.timestamp', layout_type: 'epoch', layout: 'ns' },
          },
        ],
      },
    },
    processors: { transform: { error_mode: 'ignore', log_statements: [{ context: 'log', statements }] }, batch: {} },
    exporters: { otlp_http: { endpoint, compression: 'gzip', encoding: 'proto' } },
    service: {
      telemetry: { metrics: { level: 'none' }, logs: { level: 'warn' } },
      pipelines: { logs: { receivers: ['file_log'], processors: ['transform', 'batch'], exporters: ['otlp_http'] } },
    },
  });
}

/** Our side: `tracee-exporter run` reading the same file once (no follow) into an otlp_http exporter, default settings. */
export function oursRunConfig(input: string, endpoint: string): Record<string, unknown> {
  return {
    version: 1,
    sources: [{ type: 'file', path: input }],
    exporters: [{ type: 'otlp_http', endpoint, compression: 'gzip', protocol: 'http/protobuf' }],
  };
}

/**
 * Round `r` of the capture with every event's `timestamp` moved by `r` ns, so the rounds of a
 * repeated input are distinct events (same shape and size). Lines without one are left as they are.
 */
export function restamp(line: string, r: number): string {
  if (r === 0) return line;
  return line.replace(/"timestamp":(\d+)/, (_m, ts: string) => `"timestamp":${BigInt(ts) + BigInt(r)}`);
}
