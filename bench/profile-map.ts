// node bench/profile-map.ts [--rows map_ecs_ndjson,map_otel_protobuf] [--datasets dns_capture,sample_mix]
//   [--passes 6] [--top 15] [--json]
// Where the mapping rows of `npm run bench` (bench/run.ts) spend their time: each row's pass, as the
// bench runs it (batches of MAP_BATCH lines for ECS NDJSON, requests of OTLP_BATCH records for OTLP
// protobuf), runs under the V8 CPU profiler (node:inspector) after a warm-up, and the functions with
// the most self time are printed, as % of the samples (including "(garbage collector)" and
// "(program)"), then the total time of the main stages (decodeText, toEcsJson, toOtel, encodeLogsProto,
// eventId, dataObjectJson: self + callees). Only what the row's own pass runs is profiled: the kept fixtures of other rows are
// not built. For the before/after lists of issue #16 (performance).

import inspector from 'node:inspector';
import path from 'node:path';
import { decodeText } from '../src/normalize/decode.ts';
import { MAP_BATCH } from '../src/cli/map-command.ts';
import type { OtelRecord } from '../src/model/records.ts';
import { testMapper } from '../test/helpers/samples.ts';
import { loadDataset, loadMix } from './datasets.ts';
import { OTLP_BATCH, otlpDirectEncoder } from './otlp-encode.ts';

const argv = process.argv.slice(2);
const argOf = (flag: string): string | undefined => {
  const k = argv.indexOf(flag);
  return k < 0 || k + 1 >= argv.length ? undefined : argv[k + 1];
};
const rows = (argOf('--rows') ?? 'map_ecs_ndjson,map_otel_protobuf').split(',');
const datasets = (argOf('--datasets') ?? 'dns_capture,sample_mix').split(',');
const passes = Number(argOf('--passes') ?? 6);
const top = Number(argOf('--top') ?? 15);
const asJson = argv.includes('--json');

const ROOT = path.resolve(import.meta.dirname, '..');

const mapper = testMapper();
const decode = (l: string) => {
  const r = decodeText(l);
  if (!r.ok) throw new Error(r.reason);
  return r.event;
};

/** One pass of `row` over `lines`, as bench/run.ts runs it. */
function passOf(row: string, lines: readonly string[]): () => unknown {
  if (row === 'map_ecs_ndjson')
    return () => {
      let n = 0;
      for (let from = 0; from < lines.length; from += MAP_BATCH) {
        const to = Math.min(from + MAP_BATCH, lines.length);
        const events = [];
        for (let i = from; i < to; i++) events.push(decode(lines[i]));
        let out = '';
        for (const e of events) out += mapper.toEcsJson(e).json + '\n';
        n += out.length;
      }
      return n;
    };
  if (row === 'map_otel_protobuf') {
    const encodeBatch = otlpDirectEncoder();
    return () => {
      let n = 0;
      for (let from = 0; from < lines.length; from += OTLP_BATCH) {
        const to = Math.min(from + OTLP_BATCH, lines.length);
        const records: OtelRecord[] = [];
        for (let i = from; i < to; i++) records.push(mapper.toOtel(decode(lines[i])));
        n += encodeBatch(records);
      }
      return n;
    };
  }
  throw new Error(`profile-map: no row ${row} (map_ecs_ndjson, map_otel_protobuf)`);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Stages whose total time (self + callees) is listed under each profile. */
const STAGES = ['decodeText', 'toEcsJson', 'toOtel', 'encodeLogsProto', 'eventId', 'dataObjectJson'];

/** Total time per stage function (its own and its callees' samples, once per sample), as % of the samples. */
function totals(nodes: ProfileNode[], samples: number[]): Array<{ fn: string; pct: number }> {
  const parent = new Map<number, number>();
  for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const counts = new Map<string, number>();
  for (const id of samples) {
    const seen = new Set<string>();
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
      const name = byId.get(x)!.callFrame.functionName;
      if (STAGES.includes(name) && !seen.has(name)) {
        seen.add(name);
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
    }
  }
  return STAGES.filter((f) => counts.has(f)).map((fn) => ({ fn, pct: (100 * counts.get(fn)!) / samples.length }));
}

const post = <T>(s: inspector.Session, method: string, params?: object): Promise<T> =>
  new Promise((resolve, reject) => s.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))));

/** Self time per function (name, file, line), as % of the samples, highest first. */
function selfTimes(nodes: ProfileNode[], samples: number[]): Array<{ fn: string; pct: number }> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const counts = new Map<string, number>();
  for (const id of samples) {
    const f = byId.get(id)!.callFrame;
    const file = f.url === '' ? '' : ` ${path.relative(ROOT, f.url.replace(/^file:\/\//, ''))}:${f.lineNumber + 1}`;
    const key = `${f.functionName || '(anonymous)'}${file}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([fn, n]) => ({ fn, pct: (100 * n) / samples.length })).sort((a, b) => b.pct - a.pct);
}

async function main(): Promise<void> {
  const all: Record<string, Record<string, Array<{ fn: string; pct: number }>>> = {};
  const dns = loadDataset();
  const linesOf: Record<string, string[]> = { dns_capture: dns, sample_mix: loadMix(dns.length) };
  const s = new inspector.Session();
  s.connect();
  await post(s, 'Profiler.enable');
  await post(s, 'Profiler.setSamplingInterval', { interval: 100 }); // µs
  for (const ds of datasets) {
    const lines = linesOf[ds];
    if (lines === undefined) throw new Error(`profile-map: no dataset ${ds}`);
    for (const row of rows) {
      const pass = passOf(row, lines);
      for (let k = 0; k < 4; k++) pass(); // warm-up: writers compiled and optimized
      await post(s, 'Profiler.start');
      for (let k = 0; k < passes; k++) pass();
      const { profile } = await post<{ profile: { nodes: ProfileNode[]; samples: number[] } }>(s, 'Profiler.stop');
      const list = selfTimes(profile.nodes, profile.samples);
      (all[ds] ??= {})[row] = list.slice(0, top);
      if (!asJson) {
        console.log(`${ds} ${row} (${profile.samples.length} samples, self time)`);
        for (const x of list.slice(0, top)) console.log(`  ${x.pct.toFixed(1).padStart(5)}%  ${x.fn}`);
        const t = totals(profile.nodes, profile.samples);
        console.log(`  total (self + callees): ${t.map((x) => `${x.fn} ${x.pct.toFixed(1)}%`).join(', ')}`);
      }
    }
  }
  s.disconnect();
  if (asJson) console.log(JSON.stringify(all));
}

await main();
