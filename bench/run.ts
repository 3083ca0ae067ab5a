// npm run bench [-- --json] [-- --quick] [-- --e2e (the real servers, see bench/e2e.ts)]
//   [-- --soak [--duration 300] [--quick] (overload, outage and drain against a fake slow sink, see bench/soak.ts)]
//   [-- --memory [--json] [--collector] [--runs N] [--sources] (peak RSS, events/s, CPU/event of the command, file → OTLP, see bench/memory.ts)]
//   [-- --startup [--runs 7] (start-up of the installed command beside `node -e 0`, see bench/startup.ts)]
//   [-- --peer [--times 10] [--pairs 3] [--vs <git ref>] (file -> OTLP next to the OpenTelemetry Collector, and
//    with --vs next to that commit's build in the same pairs, see bench/peer.ts)]
//   [-- --exporters [--times 2] [--pairs 1] [--json] (kafka and opensearch into the real servers, ratio to otlp_http
//    in the same run; an absent server is named and its rows left out, see bench/exporters.ts)]
// Throughput on one core, each figure next to a baseline measured in the same run. The machine's
// cores are shared (other processes run too): every row alternates passes with floor passes (ABBA
// order), times them in CPU time of this process (wall time would count other processes' turns),
// and reports medians: events/s of its passes, and its ratio to the floor of the adjacent passes.
//   floor            JSON.parse + JSON.stringify of the same lines (what any JSON pipeline pays)
//   decode           lossless parse + shape detection + normalize
//   map-ecs          decode + map to ECS + serialize as NDJSON (the `map --to ecs` hot path: batches of
//                    16 lines decoded, then written as JSON text directly); -per-line: one line at a
//                    time; map-ecs-objects: per line through toEcs objects + JSON.stringify (before);
//                    map-ecs-stage: the mapping stage alone, from events decoded before the pass
//   ecs-output-floor JSON.parse of the input + JSON.stringify of its finished ECS document (built
//                    before the pass): what reading this input and writing this output cost in any
//                    JSON pipeline, with no mapping at all (the ceiling of a generic object path)
//   map-otel         decode + map to an OTel record
//   map-otel-protobuf decode + map to OTel records + OTLP protobuf with our writer (requests of 512)
//   otlp-output-floor JSON.parse of the input + our OTLP protobuf encoding of its finished OTel
//                    records (mapped before the pass), the same requests: map-otel-protobuf with no mapping
//   otlp-encode      OTLP protobuf encoding of mapped records (the OTel JS serializer, 512/request);
//                    -direct: our writer (src/exporters/otlp-http/encode-logs-proto.ts), same requests
//   es-bulk          Elasticsearch bulk body building from mapped records (create actions, routing);
//                    -from-json: records carrying their JSON text; -from-bytes: as UTF-8 bytes, as the
//                    exporter's queue holds them
// `--rows a,b`: only these rows (names as printed); `--datasets dns_capture,sample_mix`: only these.
// Datasets: the real 24,010-event DNS capture (test/data) and a mix cycling through every
// single-event sample in test/fixtures/tracee.

import { decodeText } from '../src/normalize/decode.ts';
import { MAP_BATCH } from '../src/cli/map-command.ts';
import { parseLossless } from '../src/util/lossless-json.ts';
import type { EcsRecord, OtelRecord } from '../src/model/records.ts';
import { testMapper } from '../test/helpers/samples.ts';
import { loadDataset, loadMix } from './datasets.ts';
import { OTLP_BATCH, otlpDirectEncodePass, otlpDirectEncoder, otlpEncodePass } from './otlp-encode.ts';
import { esBulkBodyPass } from './es-bulk.ts';
import { EcsBytesRecord } from '../src/model/ecs-bytes.ts';
import { toEncodedRecord } from '../src/exporters/otlp-http/encode-log-record.ts';

const args = new Set(process.argv.slice(2));
const asJson = args.has('--json');
const quick = args.has('--quick');
/** The value after `--flag` as a set of names (comma-separated), or undefined: all. */
const listArg = (flag: string): Set<string> | undefined => {
  const argv = process.argv.slice(2);
  const k = argv.indexOf(flag);
  return k < 0 || k + 1 >= argv.length ? undefined : new Set(argv[k + 1].split(','));
};
const onlyRows = listArg('--rows');
const onlyDatasets = listArg('--datasets');

/** CPU time of this process (user + system) in seconds. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** A pass handles every line (or record) of a dataset once; it returns something to keep. */
type Pass = () => unknown;
let sink = 0;

/** Events/s of one pass over `events` events. */
function rate(events: number, pass: Pass): number {
  const t0 = cpuSeconds();
  if (pass() !== undefined) sink++;
  return events / (cpuSeconds() - t0);
}

/**
 * Warm-up: passes until one is no more than 5% faster than the best before it (at most 5). The
 * mapper compiles one writer per event group on first use and V8 optimizes each only once it is
 * hot: on the sample mix (15 groups) a single pass of 24k events is not enough to get there.
 */
function warmUp(events: number, pass: Pass): void {
  let best = rate(events, pass);
  for (let k = 1; k < 5; k++) {
    const r = rate(events, pass);
    if (r <= best * 1.05) return;
    best = r;
  }
}

/**
 * `pass` against `floor`: both warmed up, then `rounds` pairs in ABBA order (floor, pass, pass,
 * floor…). Medians of the pass rates, of the floor rates, and of the per-pair ratios.
 */
function compare(
  events: number,
  floor: Pass,
  pass: Pass,
  rounds = quick ? 3 : 5,
): { rate: number; floor: number; ratio: number } {
  warmUp(events, floor);
  warmUp(events, pass);
  const rates: number[] = [],
    floors: number[] = [],
    ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let f: number, x: number;
    if (r % 2 === 0) {
      f = rate(events, floor);
      x = rate(events, pass);
    } else {
      x = rate(events, pass);
      f = rate(events, floor);
    }
    rates.push(x);
    floors.push(f);
    ratios.push(x / f);
  }
  return { rate: median(rates), floor: median(floors), ratio: median(ratios) };
}

/** A pass of fn over every line. */
const perLine =
  (lines: readonly string[], fn: (line: string, i: number) => unknown): Pass =>
  () => {
    let n = 0;
    for (let i = 0; i < lines.length; i++) if (fn(lines[i], i) !== undefined) n++;
    return n;
  };

/** A pass over batches of `size` lines: fn(from, to) handles lines[from..to). */
const batched =
  (lines: readonly string[], size: number, fn: (from: number, to: number) => unknown): Pass =>
  () => {
    let n = 0;
    for (let i = 0; i < lines.length; i += size) if (fn(i, Math.min(i + size, lines.length)) !== undefined) n++;
    return n;
  };

// --- Fixtures kept for the whole run (events decoded, records mapped before the passes) ---
// They are copies (structuredClone), not the objects decode/map returned. V8 decides per allocation
// site (an object literal in decode or the mapper) whether its objects are allocated straight into
// old space ("pretenuring"): when most objects of a site outlive a young-generation GC, as 24k kept
// events or records do while the fixtures are built, the site is switched to old space, and stays
// so. The measured passes then allocate their short-lived events and records into old space (slower
// to allocate, more full GCs): the mapping rows looked slower than they are. A copy is made by the
// clone's own deserializer, so what decode and the mapper allocate dies young, as in the passes.
const keep = <T>(v: T): T => structuredClone(v);
/** An OtelRecord's copy keeps its Resource object: the encoder groups records by it (identity). */
const keepOtel = (r: OtelRecord): OtelRecord =>
  Object.assign(structuredClone({ ...r, resource: null }), { resource: r.resource });

const mapper = testMapper();
const decode = (l: string) => {
  const r = decodeText(l);
  if (!r.ok) throw new Error(r.reason);
  return r.event;
};

async function main() {
  const datasets: Record<string, string[]> = { dns_capture: loadDataset() };
  datasets.sample_mix = loadMix(quick ? 5000 : datasets.dns_capture.length);
  if (quick) datasets.dns_capture = datasets.dns_capture.slice(0, 5000);

  const results: Record<string, Record<string, number>> = {};
  for (const [name, lines] of Object.entries(datasets)) {
    if (onlyDatasets !== undefined && !onlyDatasets.has(name)) continue;
    const r: Record<string, number> = {};
    r.events = lines.length;
    r.floor_parse_stringify = 0; // the median of every row's floor passes, below
    const n = lines.length;
    const floor = perLine(lines, (l) => JSON.stringify(JSON.parse(l)));
    const passes: Record<string, Pass> = {};
    passes.json_parse = perLine(lines, (l) => JSON.parse(l));
    passes.lossless_parse = perLine(lines, (l) => parseLossless(l));
    passes.decode_normalize = perLine(lines, decode);
    // the `map --to ecs` path: batches of MAP_BATCH lines decoded, then written as JSON text by
    // Mapper.toEcsJson (a flat string, as JSON.stringify's). Also per line, and the object path
    // (toEcs + JSON.stringify, per line: what `map` did before).
    passes.map_ecs_ndjson = batched(lines, MAP_BATCH, (from, to) => {
      const events = [];
      for (let i = from; i < to; i++) events.push(decode(lines[i]));
      let out = '';
      for (const e of events) out += mapper.toEcsJson(e).json + '\n';
      return out;
    });
    passes.map_ecs_ndjson_per_line = perLine(lines, (l) => mapper.toEcsJson(decode(l)).json + '\n');
    // the mapping stage alone: events decoded before the pass (what map_ecs_ndjson adds to decode)
    const events = lines.map((l) => keep(decode(l)));
    passes.map_ecs_stage = perLine(lines, (_l, i) => mapper.toEcsJson(events[i]).json + '\n');
    // no mapping: parse the line, stringify the document the mapper made of it before the pass
    const finished = events.map((e) => JSON.parse(mapper.toEcsJson(e).json) as unknown);
    passes.ecs_output_floor = perLine(lines, (l, i) => {
      JSON.parse(l);
      return JSON.stringify(finished[i]);
    });
    passes.map_ecs_objects_ndjson = perLine(lines, (l) => JSON.stringify(mapper.toEcs(decode(l)).doc) + '\n');
    passes.map_otel = perLine(lines, (l) => mapper.toOtel(decode(l)));
    const otel: OtelRecord[] = events.map((e) => keepOtel(mapper.toOtel(e)));
    // OTLP: decode + map + our protobuf writer, per request of OTLP_BATCH lines; its floor parses the
    // same lines and encodes the records mapped before the pass (the same requests, no mapping)
    const encodeBatch = otlpDirectEncoder();
    passes.map_otel_protobuf = batched(lines, OTLP_BATCH, (from, to) => {
      const records: OtelRecord[] = [];
      for (let i = from; i < to; i++) records.push(mapper.toOtel(decode(lines[i])));
      return encodeBatch(records);
    });
    // the otlp_http protobuf route's mapping: records queued as LogRecord bytes, written by the mapper
    // directly (toOtelEncoded), and before it the object path encoded as queued (toOtel + toEncodedRecord)
    passes.map_otel_direct = batched(lines, OTLP_BATCH, (from, to) => {
      const records: OtelRecord[] = [];
      for (let i = from; i < to; i++) records.push(mapper.toOtelEncoded!(decode(lines[i])));
      return encodeBatch(records);
    });
    passes.map_otel_encoded = batched(lines, OTLP_BATCH, (from, to) => {
      const records: OtelRecord[] = [];
      for (let i = from; i < to; i++) records.push(toEncodedRecord(mapper.toOtel(decode(lines[i]))));
      return encodeBatch(records);
    });
    passes.otlp_output_floor = batched(lines, OTLP_BATCH, (from, to) => {
      for (let i = from; i < to; i++) JSON.parse(lines[i]);
      return encodeBatch(otel.slice(from, to));
    });
    passes.otlp_protobuf_encode = otlpEncodePass(otel);
    passes.otlp_protobuf_encode_direct = otlpDirectEncodePass(otel);
    const ecs: EcsRecord[] = events.map((e) => keep(mapper.toEcs(e)));
    passes.es_bulk_body = esBulkBodyPass(ecs);
    // records from toEcsJson: the bulk body reuses their JSON text
    passes.es_bulk_body_from_json = esBulkBodyPass(events.map((e) => mapper.toEcsJson(e)));
    // as the exporter gets them: its queue holds each record's JSON as bytes (src/pipeline/queued-ecs.ts)
    passes.es_bulk_body_from_bytes = esBulkBodyPass(
      events.map((e) => {
        const r = mapper.toEcsJson(e);
        return new EcsBytesRecord(r.id, r.kind, Buffer.from(r.json));
      }),
    );
    const floors: number[] = [];
    const ratios: Record<string, number> = {};
    for (const [k, pass] of Object.entries(passes)) {
      if (onlyRows !== undefined && !onlyRows.has(k)) continue;
      const c = compare(n, floor, pass);
      r[k] = c.rate;
      ratios[`${k}_vs_floor`] = Math.round(c.ratio * 100) / 100;
      floors.push(c.floor);
    }
    r.floor_parse_stringify = median(floors);
    Object.assign(r, ratios);
    // the targets of issue #16: the mapping paths against their own output floors (both ratios to
    // the floor of the same run)
    for (const [row, outFloor] of [
      ['map_ecs_ndjson', 'ecs_output_floor'],
      ['map_otel_protobuf', 'otlp_output_floor'],
      ['map_otel_encoded', 'otlp_output_floor'],
      ['map_otel_direct', 'otlp_output_floor'],
    ]) {
      const a = ratios[`${row}_vs_floor`],
        b = ratios[`${outFloor}_vs_floor`];
      if (a !== undefined && b !== undefined) r[`${row}_vs_${outFloor}`] = Math.round((a / b) * 100) / 100;
    }
    results[name] = r;
  }
  const report = {
    node: process.version,
    date: new Date().toISOString(),
    unit: 'events/s (median of rounds in CPU time, one core); *_vs_floor: median ratio to the adjacent floor passes',
    results,
  };
  if (asJson) {
    console.log(JSON.stringify(report));
    return;
  }
  console.log(
    `tracee-exporter bench (${report.node}), events/s on one core, ratio to the floor measured in this run\n`,
  );
  for (const [name, r] of Object.entries(results)) {
    console.log(`${name} (${r.events} events)`);
    for (const k of Object.keys(r)) {
      if (k.includes('_vs_') && k.endsWith('_output_floor')) {
        console.log(`  ${k.padEnd(44)} ${r[k].toFixed(2)}x`);
        continue;
      }
      if (k === 'events' || k.endsWith('_vs_floor')) continue;
      const ratio = k === 'floor_parse_stringify' ? '1.00 (floor)' : `${r[`${k}_vs_floor`].toFixed(2)}x`;
      console.log(`  ${k.padEnd(24)} ${Math.round(r[k]).toString().padStart(9)}   ${ratio}`);
    }
  }
}

if (args.has('--workers')) {
  await (await import('./workers.ts')).benchWorkers(process.argv.slice(2));
} else if (args.has('--peer')) {
  const { benchPeer } = await import('./peer.ts');
  await benchPeer(process.argv.slice(2));
} else if (args.has('--memory')) {
  const { benchMemory } = await import('./memory.ts');
  await benchMemory(process.argv.slice(2));
} else if (args.has('--startup')) {
  const { benchStartup } = await import('./startup.ts');
  await benchStartup(process.argv.slice(2));
} else if (args.has('--soak')) {
  const { benchSoak } = await import('./soak.ts');
  await benchSoak(process.argv.slice(2));
} else if (args.has('--exporters')) {
  const { benchExporters } = await import('./exporters.ts');
  await benchExporters(process.argv.slice(2));
} else if (args.has('--e2e')) {
  const { benchEndToEnd } = await import('./e2e.ts');
  await benchEndToEnd(asJson);
} else {
  await main();
  if (sink < 0) console.log(sink);
}
