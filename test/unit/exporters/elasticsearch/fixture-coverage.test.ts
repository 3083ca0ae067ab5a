// Every field the real mapper writes for every real Tracee fixture (test/fixtures/tracee, malformed ones
// excluded) is mapped by the exporter's templates, so nothing lands unindexed under `dynamic: false`.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveElasticsearchOptions } from '../../../../src/exporters/elasticsearch/config.ts';
import type { EsProperty } from '../../../../src/exporters/elasticsearch/ecs-mappings.ts';
import { loadTemplateSet } from '../../../../src/exporters/elasticsearch/templates.ts';
import { compileMapper } from '../../../../src/mapping/compile.ts';
import { loadMappingTables } from '../../../../src/mapping/load.ts';
import { decodeText, decodeValue } from '../../../../src/normalize/decode.ts';
import { readRecords } from '../../../../src/sources/read-records.ts';

const FIXTURES = new URL('../../../fixtures/tracee/', import.meta.url).pathname;

function fixtureFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'malformed' ? [] : fixtureFiles(p);
    return /\.(json|ndjson|jsonl)$/.test(e.name) ? [p] : [];
  });
}

function templateFields(): Map<string, EsProperty> {
  const set = loadTemplateSet(resolveElasticsearchOptions({ endpoints: 'http://x:9200' }).targets);
  const out = new Map<string, EsProperty>();
  const walk = (props: Record<string, EsProperty>, prefix: string) => {
    for (const [k, v] of Object.entries(props)) {
      const n = prefix ? `${prefix}.${k}` : k;
      out.set(n, v);
      if (v.properties) walk(v.properties, n);
    }
  };
  for (const t of [...set.components, set.indexTemplate]) {
    const p = (t.body.template as { mappings?: { properties?: Record<string, EsProperty> } } | undefined)?.mappings
      ?.properties;
    if (p) walk(p, '');
  }
  return out;
}

describe('templates cover the mapper output of every Tracee fixture', () => {
  it('no unmapped field', async () => {
    const mapper = compileMapper(loadMappingTables());
    const mapped = templateFields();
    const unmapped = new Map<string, string>();
    const visit = (o: Record<string, unknown>, prefix: string, origin: string) => {
      for (const [k, v] of Object.entries(o)) {
        const n = prefix ? `${prefix}.${k}` : k;
        const m = mapped.get(n);
        if (m?.type === 'flattened') continue;
        const first = Array.isArray(v) ? v[0] : v;
        if (first !== null && typeof first === 'object') visit(first as Record<string, unknown>, n, origin);
        else if (first !== undefined && !m) unmapped.set(n, origin);
      }
    };
    let events = 0;
    const files = fixtureFiles(FIXTURES);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      for await (const rec of readRecords(fs.createReadStream(f), f)) {
        if (rec.kind === 'error') continue;
        const r = rec.kind === 'text' ? decodeText(rec.text) : decodeValue(rec.value, rec.marked);
        if (!r.ok) continue;
        events++;
        visit(mapper.toEcs(r.event).doc, '', path.relative(FIXTURES, f));
      }
    }
    expect(events).toBeGreaterThan(100);
    expect(Object.fromEntries(unmapped)).toEqual({});
  });
});
