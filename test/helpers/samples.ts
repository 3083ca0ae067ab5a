// The real Tracee samples in test/fixtures/tracee (verbatim copies, see its PROVENANCE.md; never
// edited) and the project's derived ones (test/fixtures/structured),
// plus one fixed mapping context so mapped output is reproducible.

import fs from 'node:fs';
import path from 'node:path';
import { compileMapper, type Mapper } from '../../src/mapping/compile.ts';
import { loadMappingTables } from '../../src/mapping/load.ts';
import type { NodeInfo } from '../../src/mapping/input.ts';
import type { TableFile } from '../../src/mapping/table-types.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** The real Tracee samples (the name is historical: they were first kept outside the repository). */
export const SHARED_FIXTURES = path.join(ROOT, 'test/fixtures/tracee');
/** The real 24,010-event net_packet_dns capture (test/data/README.md). */
export const DNS_CAPTURE = path.join(ROOT, 'test/data/tracee-net_packet_dns-24010.ndjson.gz');
export const STRUCTURED_FIXTURES = path.join(ROOT, 'test/fixtures/structured');
export const GOLDEN_DIR = path.join(ROOT, 'test/golden');

export const TEST_NODE: NodeInfo = {
  name: 'node-1',
  cluster_name: 'test-cluster',
  arch: 'amd64',
  kernel: '6.8.0-test',
  tracee_version: '0.24.1',
  exporter_version: 'test',
};
export const TEST_NOW = 1767225600000000000n; // 2026-01-01T00:00:00Z

export function testMapper(overrides: TableFile[] = []): Mapper {
  return compileMapper(loadMappingTables(undefined, overrides), { node: TEST_NODE, now: () => TEST_NOW });
}

export interface Sample {
  file: string;
  rel: string;
  records: string[];
}

/** Streams contribute their first `streamLimit` lines (goldens stay reviewable). */
export function sharedSamples(streamLimit = Infinity): Sample[] {
  const out: Sample[] = [];
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (fs.statSync(p).isDirectory()) {
        walk(p);
        continue;
      }
      const rel = path.relative(SHARED_FIXTURES, p);
      if (!/\.(json|ndjson)$/.test(name) || rel.startsWith('malformed')) continue;
      const text = fs.readFileSync(p, 'utf8');
      const records = name.endsWith('.ndjson')
        ? text
            .split('\n')
            .filter((l) => l.trim() !== '')
            .slice(0, streamLimit)
        : [text];
      out.push({ file: p, rel, records });
    }
  };
  walk(SHARED_FIXTURES);
  return out;
}

export function structuredSamples(): Sample[] {
  return fs
    .readdirSync(STRUCTURED_FIXTURES)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => {
      const p = path.join(STRUCTURED_FIXTURES, n);
      return { file: p, rel: `structured/${n}`, records: [fs.readFileSync(p, 'utf8')] };
    });
}
