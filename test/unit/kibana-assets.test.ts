// examples/kibana/tracee.ndjson checked structurally (no Kibana runs here): every line parses, ids are unique,
// every reference resolves inside the file, every dashboard panel has its reference, and every field a panel
// uses exists in the index templates the Elasticsearch exporter installs.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveElasticsearchOptions } from '../../src/exporters/elasticsearch/config.ts';
import type { EsProperty } from '../../src/exporters/elasticsearch/ecs-mappings.ts';
import { loadTemplateSet } from '../../src/exporters/elasticsearch/templates.ts';

interface SavedObject {
  id: string;
  type: string;
  attributes: Record<string, any>;
  references: Array<{ id: string; type: string; name: string }>;
}

const text = readFileSync(new URL('../../examples/kibana/tracee.ndjson', import.meta.url), 'utf8');
const lines = text.split('\n').filter((l) => l.trim() !== '');
const objects: SavedObject[] = lines.map((l) => JSON.parse(l));

function mappedFields(): Set<string> {
  const set = loadTemplateSet(resolveElasticsearchOptions({ endpoints: 'http://x:9200' }).targets);
  const out = new Set<string>();
  const walk = (props: Record<string, EsProperty>, prefix: string) => {
    for (const [k, v] of Object.entries(props)) {
      const name = prefix ? `${prefix}.${k}` : k;
      if (v.type) out.add(name);
      if (v.properties) walk(v.properties, name);
      if (v.fields) for (const f of Object.keys(v.fields)) out.add(`${name}.${f}`);
    }
  };
  for (const t of [...set.components, set.indexTemplate]) {
    const props = (t.body.template as { mappings?: { properties?: Record<string, EsProperty> } } | undefined)?.mappings
      ?.properties;
    if (props) walk(props, '');
  }
  return out;
}

describe('examples/kibana/tracee.ndjson', () => {
  it('every line is a JSON saved object', () => {
    expect(lines.length).toBeGreaterThan(2);
    for (const o of objects) {
      expect(typeof o.id).toBe('string');
      expect(typeof o.type).toBe('string');
      expect(typeof o.attributes).toBe('object');
      expect(Array.isArray(o.references)).toBe(true);
    }
  });

  it('ids are unique', () => {
    const keys = objects.map((o) => `${o.type}:${o.id}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(objects.map((o) => o.id)).size).toBe(objects.length);
  });

  it('every reference resolves to an object in the file', () => {
    const have = new Set(objects.map((o) => `${o.type}:${o.id}`));
    const missing = objects.flatMap((o) =>
      o.references.filter((r) => !have.has(`${r.type}:${r.id}`)).map((r) => `${o.id} → ${r.type}:${r.id}`),
    );
    expect(missing).toEqual([]);
  });

  it('has a data view over logs-tracee.* with @timestamp', () => {
    const dv = objects.filter((o) => o.type === 'index-pattern');
    expect(dv).toHaveLength(1);
    expect(dv[0].attributes).toMatchObject({ title: 'logs-tracee.*', timeFieldName: '@timestamp' });
  });

  it('the dashboard has one resolvable reference per panel', () => {
    const dashboards = objects.filter((o) => o.type === 'dashboard');
    expect(dashboards).toHaveLength(1);
    const d = dashboards[0];
    const panels = JSON.parse(d.attributes.panelsJSON) as Array<{
      panelIndex: string;
      panelRefName: string;
      gridData: { x: number; y: number; w: number; h: number; i: string };
    }>;
    JSON.parse(d.attributes.optionsJSON);
    JSON.parse(d.attributes.kibanaSavedObjectMeta.searchSourceJSON);
    expect(panels.length).toBeGreaterThanOrEqual(6);
    for (const p of panels) {
      const ref = d.references.find((r) => r.name === `${p.panelIndex}:${p.panelRefName}`);
      expect(ref, p.panelRefName).toBeDefined();
      expect(p.gridData.x + p.gridData.w).toBeLessThanOrEqual(48);
    }
    expect(new Set(panels.map((p) => p.panelIndex)).size).toBe(panels.length);
  });

  it('every Lens layer references the data view', () => {
    for (const o of objects.filter((x) => x.type === 'lens')) {
      const layers = Object.keys(o.attributes.state.datasourceStates.formBased.layers);
      for (const l of layers)
        expect(
          o.references.map((r) => r.name),
          o.id,
        ).toContain(`indexpattern-datasource-layer-${l}`);
    }
  });

  it('panels cover the asked-for views', () => {
    const used = new Set(
      objects
        .filter((o) => o.type === 'lens')
        .flatMap((o) =>
          Object.values(o.attributes.state.datasourceStates.formBased.layers).flatMap((l: any) =>
            Object.values(l.columns).map((c: any) => c.sourceField),
          ),
        ),
    );
    for (const f of [
      'event.action',
      'process.name',
      'process.executable',
      'container.name',
      'container.image.name',
      'orchestrator.resource.name',
      'orchestrator.namespace',
      'threat.tactic.name',
      'threat.technique.id',
      'threat.technique.name',
      'event.severity',
    ])
      expect(used, f).toContain(f);
  });

  it('every field a panel or the data view uses exists in our index templates', () => {
    const fields = mappedFields();
    const used: string[] = [];
    for (const o of objects) {
      if (o.type === 'index-pattern') used.push(o.attributes.timeFieldName);
      if (o.type !== 'lens') continue;
      for (const layer of Object.values(o.attributes.state.datasourceStates.formBased.layers) as any[]) {
        for (const c of Object.values(layer.columns) as any[]) {
          if (c.sourceField !== '___records___') used.push(c.sourceField);
          if (c.params?.sortField) used.push(c.params.sortField);
        }
      }
      const q: string = o.attributes.state.query.query;
      for (const m of q.matchAll(/([a-z_@][\w.@]*)\s*:/g)) used.push(m[1]);
    }
    expect(used.filter((f) => !fields.has(f))).toEqual([]);
  });
});
