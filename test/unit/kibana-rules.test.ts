// examples/kibana/rules/tracee-rules.ndjson and the query cheat sheet of docs/kibana-security.md,
// checked without Kibana: every rule has what the detection engine's import API requires, reads
// only logs-tracee.*, and every field a rule or a query names is mapped by the index templates the
// Elasticsearch exporter installs. (The ES|QL queries also run against a real Elasticsearch:
// test/integration/kibana-cheatsheet.test.ts.)

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveElasticsearchOptions } from '../../src/exporters/elasticsearch/config.ts';
import type { EsProperty } from '../../src/exporters/elasticsearch/ecs-mappings.ts';
import { loadTemplateSet } from '../../src/exporters/elasticsearch/templates.ts';

const rules = readFileSync(new URL('../../examples/kibana/rules/tracee-rules.ndjson', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Record<string, any>);
const doc = readFileSync(new URL('../../docs/kibana-security.md', import.meta.url), 'utf8');
const blocks = (lang: string) =>
  [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);

function mappedFields(): Set<string> {
  const set = loadTemplateSet(resolveElasticsearchOptions({ endpoints: 'http://x:9200' }).targets);
  const out = new Set<string>();
  const walk = (props: Record<string, EsProperty>, prefix: string) => {
    for (const [k, v] of Object.entries(props)) {
      const name = prefix ? `${prefix}.${k}` : k;
      if (v.type) out.add(name);
      if (v.properties) walk(v.properties, name);
    }
  };
  for (const t of [...set.components, set.indexTemplate]) {
    const props = (t.body.template as { mappings?: { properties?: Record<string, EsProperty> } } | undefined)?.mappings
      ?.properties;
    if (props) walk(props, '');
  }
  return out;
}
const MAPPED = mappedFields();
const withoutStrings = (q: string) => q.replace(/"(?:[^"\\]|\\.)*"/g, '""');
/** Field names a KQL query compares (`field:value`). */
const kqlFields = (q: string) => [...withoutStrings(q).matchAll(/([A-Za-z_@][\w.@]*)\s*:/g)].map((m) => m[1]);
/** Dotted names in an ES|QL query other than its FROM index pattern (fields; ES|QL names no other dotted thing here). */
const esqlFields = (q: string) =>
  [
    ...withoutStrings(q.replace(/^FROM\s+\S+/m, '')).matchAll(/(?<![\w.])(@timestamp|[a-z_]+(?:\.[a-z_]+)+)(?![\w(])/g),
  ].map((m) => m[1]);

describe('examples/kibana/rules/tracee-rules.ndjson', () => {
  it('each line is a detection rule the import API takes: required fields, known types and severities', () => {
    expect(rules.length).toBe(2);
    const ids = new Set<string>();
    for (const r of rules) {
      for (const k of [
        'rule_id',
        'name',
        'description',
        'type',
        'language',
        'query',
        'index',
        'severity',
        'risk_score',
        'interval',
        'from',
        'enabled',
        'version',
      ])
        expect(r[k], `${r.rule_id}: ${k}`).toBeDefined();
      expect(ids.has(r.rule_id)).toBe(false);
      ids.add(r.rule_id);
      expect(r.type).toBe('query');
      expect(r.language).toBe('kuery');
      expect(['low', 'medium', 'high', 'critical']).toContain(r.severity);
      expect(r.risk_score).toBeGreaterThanOrEqual(0);
      expect(r.risk_score).toBeLessThanOrEqual(100);
      expect(r.enabled).toBe(false);
      for (const i of r.index) expect(i).toMatch(/^logs-tracee\.(alerts|events)-\*$/);
      for (const m of r.severity_mapping ?? []) expect(['low', 'medium', 'high', 'critical']).toContain(m.severity);
      for (const t of r.threat ?? []) {
        expect(t.framework).toBe('MITRE ATT&CK');
        expect(t.tactic.id).toMatch(/^TA\d{4}$/);
        for (const te of t.technique) expect(te.id).toMatch(/^T\d{4}$/);
      }
    }
  });

  it('the detection rule maps severity and risk like External Alerts, title from rule.name, window on event.ingested', () => {
    const r = rules.find((x) => x.rule_id === 'tracee-exporter-detection')!;
    expect(r.query).toBe('event.kind:alert and event.module:tracee');
    expect(r.severity_mapping.map((m: { value: string; severity: string }) => `${m.value}:${m.severity}`)).toEqual([
      '21:low',
      '47:medium',
      '73:high',
      '99:critical',
    ]);
    expect(r.risk_score_mapping).toEqual([{ field: 'event.risk_score', operator: 'equals', value: '' }]);
    expect(r.rule_name_override).toBe('rule.name');
    expect(r.timestamp_override).toBe('event.ingested');
  });

  it('every field a rule names is in the index templates', () => {
    const missing: string[] = [];
    for (const r of rules) {
      const fields = [
        ...kqlFields(r.query),
        ...(r.severity_mapping ?? []).map((m: { field: string }) => m.field),
        ...(r.risk_score_mapping ?? []).map((m: { field: string }) => m.field),
        r.rule_name_override,
        r.timestamp_override,
      ].filter(Boolean);
      for (const f of fields) if (!MAPPED.has(f)) missing.push(`${r.rule_id}: ${f}`);
    }
    expect(missing).toEqual([]);
  });
});

describe('docs/kibana-security.md cheat sheet', () => {
  it('ten detections, each with a KQL and an ES|QL query, plus the cross-detection ones', () => {
    expect(doc.match(/^### \d+\. /gm)?.length).toBe(10);
    expect(blocks('kql').length).toBeGreaterThanOrEqual(11);
    expect(blocks('esql').length).toBeGreaterThanOrEqual(12);
    for (const q of blocks('esql')) expect(q).toMatch(/^FROM logs-tracee\.(alerts|events)-\*\n/);
  });

  it('every field the queries name is in the index templates', () => {
    const missing: string[] = [];
    for (const q of blocks('kql')) for (const f of kqlFields(q)) if (!MAPPED.has(f)) missing.push(`kql ${f}`);
    for (const q of blocks('esql')) for (const f of esqlFields(q)) if (!MAPPED.has(f)) missing.push(`esql ${f}`);
    expect(missing).toEqual([]);
    expect(esqlFields(blocks('esql')[0])).toEqual([
      'rule.id',
      'file.path',
      'container.image.name',
      'orchestrator.namespace',
    ]);
  });
});
