// The two datasets of the throughput rows (bench/run.ts) and their profile (bench/profile-map.ts):
// the real 24,010-event DNS capture (test/data) and a mix cycling through every single-event sample.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { sharedSamples } from '../test/helpers/samples.ts';

const DATASET = path.resolve(import.meta.dirname, '..', 'test/data/tracee-net_packet_dns-24010.ndjson.gz');

/** dns_capture: the capture's lines. */
export function loadDataset(): string[] {
  const text = zlib.gunzipSync(fs.readFileSync(DATASET)).toString('utf8');
  return text.split('\n').filter((l) => l !== '');
}

/** sample_mix: every single-event sample, cycled to `n` lines. */
export function loadMix(n: number): string[] {
  const singles = sharedSamples(Infinity)
    .filter((s) => !s.rel.endsWith('.ndjson'))
    .flatMap((s) => s.records.map((r) => r.trim()))
    .filter((r) => !r.includes('\n'));
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) out.push(singles[i % singles.length]);
  return out;
}
