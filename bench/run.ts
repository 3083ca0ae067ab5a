// npm run bench [-- --json] [-- --quick] [-- --e2e (the real servers, see bench/e2e.ts)]
// Throughput on one core, each figure next to a baseline measured in the same run:
//   floor            JSON.parse + JSON.stringify of the same lines (what any JSON pipeline pays)
//   decode           lossless parse + shape detection + normalize
//   map-ecs          decode + map to ECS + serialize as NDJSON (the `map --to ecs` hot path: batches of
//                    16 lines decoded, then written as JSON text directly); -per-line: one line at a
//                    time; map-ecs-objects: per line through toEcs objects + JSON.stringify (before)
//   map-otel         decode + map to an OTel record
//   otlp-encode      OTLP protobuf encoding of mapped records (the exporter's serializer, 512/request)
//   es-bulk          Elasticsearch bulk body building from mapped records (create actions, routing)
// Datasets: the real 24,010-event DNS capture (../shared/datasets) and a mix cycling through every
// single-event sample in ../shared/fixtures/tracee.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { decodeText } from '../src/normalize/decode.ts';
import { MAP_BATCH } from '../src/cli/map-command.ts';
import { parseLossless } from '../src/util/lossless-json.ts';
import type { EcsRecord, OtelRecord } from '../src/model/records.ts';
import { sharedSamples, testMapper } from '../test/helpers/samples.ts';
import { benchOtlpEncode } from './otlp-encode.ts';
import { benchEsBulkBody } from './es-bulk.ts';

const args = new Set(process.argv.slice(2));
const asJson = args.has('--json');
const quick = args.has('--quick');
const ROOT = path.resolve(import.meta.dirname, '..');
const DATASET = path.resolve(ROOT, '../shared/datasets/tracee-net_packet_dns-24010.ndjson.gz');

function loadDataset(): string[] {
  const text = zlib.gunzipSync(fs.readFileSync(DATASET)).toString('utf8');
  return text.split('\n').filter((l) => l !== '');
}

function loadMix(n: number): string[] {
  const singles = sharedSamples(Infinity).filter((s) => !s.rel.endsWith('.ndjson')).flatMap((s) => s.records.map((r) => r.trim())).filter((r) => !r.includes('\n'));
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) out.push(singles[i % singles.length]);
  return out;
}

/** Events per second for fn over all lines, best of `rounds` after a warm-up round. */
function measure(lines: readonly string[], fn: (line: string) => unknown, rounds = quick ? 2 : 5): number {
  let best = 0;
  let sink = 0;
  for (let r = 0; r <= rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < lines.length; i++) { const x = fn(lines[i]); if (x !== undefined) sink++; }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r > 0) best = Math.max(best, lines.length / s);
  }
  if (sink < 0) console.log(sink);
  return best;
}

/** Like measure, over batches of `size` lines: fn(from, to) handles lines[from..to). */
function measureBatched(lines: readonly string[], size: number, fn: (from: number, to: number) => unknown, rounds = quick ? 2 : 5): number {
  let best = 0;
  let sink = 0;
  for (let r = 0; r <= rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < lines.length; i += size) { const x = fn(i, Math.min(i + size, lines.length)); if (x !== undefined) sink++; }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r > 0) best = Math.max(best, lines.length / s);
  }
  if (sink < 0) console.log(sink);
  return best;
}

const mapper = testMapper();
const decode = (l: string) => { const r = decodeText(l); if (!r.ok) throw new Error(r.reason); return r.event; };

async function main() {
  const datasets: Record<string, string[]> = { dns_capture: loadDataset() };
  datasets.sample_mix = loadMix(quick ? 5000 : datasets.dns_capture.length);
  if (quick) datasets.dns_capture = datasets.dns_capture.slice(0, 5000);

  const results: Record<string, Record<string, number>> = {};
  for (const [name, lines] of Object.entries(datasets)) {
    const r: Record<string, number> = {};
    r.events = lines.length;
    r.floor_parse_stringify = measure(lines, (l) => JSON.stringify(JSON.parse(l)));
    r.json_parse = measure(lines, (l) => JSON.parse(l));
    r.lossless_parse = measure(lines, (l) => parseLossless(l));
    r.decode_normalize = measure(lines, decode);
    // the `map --to ecs` path: batches of MAP_BATCH lines decoded, then written as JSON text by
    // Mapper.toEcsJson (a flat string, as JSON.stringify's). Also per line, and the object path
    // (toEcs + JSON.stringify, per line: what `map` did before).
    r.map_ecs_ndjson = measureBatched(lines, MAP_BATCH, (from, to) => {
      const events = [];
      for (let i = from; i < to; i++) events.push(decode(lines[i]));
      let out = '';
      for (const e of events) out += mapper.toEcsJson(e).json + '\n';
      return out;
    });
    r.map_ecs_ndjson_per_line = measure(lines, (l) => mapper.toEcsJson(decode(l)).json + '\n');
    r.map_ecs_objects_ndjson = measure(lines, (l) => JSON.stringify(mapper.toEcs(decode(l)).doc) + '\n');
    r.map_otel = measure(lines, (l) => mapper.toOtel(decode(l)));
    const events = lines.map(decode);
    const otel: OtelRecord[] = events.map((e) => mapper.toOtel(e));
    r.otlp_protobuf_encode = benchOtlpEncode(otel, { minMs: quick ? 500 : 2000 }).eventsPerSec;
    const ecs: EcsRecord[] = events.map((e) => mapper.toEcs(e));
    r.es_bulk_body = benchEsBulkBody(ecs, { minMs: quick ? 500 : 2000 }).eventsPerSec;
    // records from toEcsJson: the bulk body reuses their JSON text
    r.es_bulk_body_from_json = benchEsBulkBody(events.map((e) => mapper.toEcsJson(e)), { minMs: quick ? 500 : 2000 }).eventsPerSec;
    for (const k of Object.keys(r)) if (k !== 'events' && k !== 'floor_parse_stringify') r[`${k}_vs_floor`] = Math.round((r[k] / r.floor_parse_stringify) * 100) / 100;
    results[name] = r;
  }
  const report = { node: process.version, date: new Date().toISOString(), unit: 'events/s (best of rounds, one core)', results };
  if (asJson) {
    console.log(JSON.stringify(report));
    return;
  }
  console.log(`tracee-exporter bench (${report.node}), events/s on one core, ratio to the floor measured in this run\n`);
  for (const [name, r] of Object.entries(results)) {
    console.log(`${name} (${r.events} events)`);
    for (const k of Object.keys(r)) {
      if (k === 'events' || k.endsWith('_vs_floor')) continue;
      const ratio = k === 'floor_parse_stringify' ? '1.00 (floor)' : `${r[`${k}_vs_floor`].toFixed(2)}x`;
      console.log(`  ${k.padEnd(24)} ${Math.round(r[k]).toString().padStart(9)}   ${ratio}`);
    }
  }
}

if (args.has('--e2e')) {
  const { benchEndToEnd } = await import('./e2e.ts');
  await benchEndToEnd(asJson);
} else {
  await main();
}
