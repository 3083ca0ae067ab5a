// Which type our templates give each field, to tell a bad event from template drift: when Elasticsearch fails
// to parse field F "of type [T]" and our template maps F as another type, the index was built from a template
// that is not ours (an operator changed it, or the data stream was created while ours was missing).

import type { DataStreamTargets } from './data-stream.ts';
import type { EsProperty } from './ecs-mappings.ts';
import { CORE_FALLBACK } from './field-types.ts';
import { loadTemplateSet, type Body, type TemplateSet } from './templates.ts';
import type { DriftCheck } from './classify.ts';

interface FieldTypes {
  template: string;
  types: Set<string>;
}

function walk(
  props: Record<string, EsProperty>,
  prefix: string,
  template: string,
  out: Map<string, { template: string; type: string }>,
): void {
  for (const [k, p] of Object.entries(props)) {
    const path = prefix + k;
    const type = p.type ?? (p.properties ? 'object' : undefined);
    if (type) out.set(path, { template, type }); // later in the composition wins, as in Elasticsearch
    if (p.properties) walk(p.properties, `${path}.`, template, out);
  }
}

function propsOf(body: Body): Record<string, EsProperty> | undefined {
  return (body.template as { mappings?: { properties?: Record<string, EsProperty> } } | undefined)?.mappings
    ?.properties;
}

/**
 * Field path → our template's type(s) (production and core-fallback variants) and the template naming it.
 * `adapt`: a server dialect's changes to the set (OpenSearch: flat_object, keyword for data_stream.*).
 */
export function templateFieldTypes(
  targets: DataStreamTargets,
  adapt: (s: TemplateSet) => TemplateSet = (s) => s,
): Map<string, FieldTypes> {
  const out = new Map<string, FieldTypes>();
  for (const set of [loadTemplateSet(targets), loadTemplateSet(targets, new Set(Object.keys(CORE_FALLBACK)))].map(
    adapt,
  )) {
    // the composed mapping: components in order, then the index template's own mappings
    const composed = new Map<string, { template: string; type: string }>();
    for (const t of [...set.components, set.indexTemplate]) {
      const p = propsOf(t.body);
      if (p) walk(p, '', t.name, composed);
    }
    for (const [path, { template, type }] of composed) {
      const e = out.get(path) ?? { template, types: new Set<string>() };
      e.types.add(type);
      out.set(path, e);
    }
  }
  return out;
}

export function driftCheck(targets: DataStreamTargets, adapt?: (s: TemplateSet) => TemplateSet): DriftCheck {
  let fields: Map<string, FieldTypes> | undefined;
  return (field, type) => {
    fields ??= templateFieldTypes(targets, adapt);
    const e = fields.get(field);
    if (e === undefined || e.types.has(type)) return undefined;
    return (
      `field ${field} is mapped as ${type} in the index, but tracee-exporter's template ${e.template} maps it as ${[...e.types].join(' / ')}` +
      ' (the index was not built from our templates: reinstall them and roll the data stream over, then replay the dead letter)'
    );
  };
}
