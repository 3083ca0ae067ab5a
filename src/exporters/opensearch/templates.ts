// The Elasticsearch template set, adapted to what OpenSearch accepts (checked on OpenSearch 2.19.1):
// - `flattened` does not exist; OpenSearch's equivalent is `flat_object` (2.7+), which takes no ignore_above;
// - index templates have no `ignore_missing_component_templates`, and a composed_of naming a missing component
//   template is refused: the optional `tracee@custom` hook is left out (add it to composed_of yourself);
// - `constant_keyword` requires its `value` in the mapping (Elasticsearch takes it from the first document), and
//   one template serves every data stream: data_stream.* become `keyword`.
// wildcard, match_only_text and date_nanos are core in OpenSearch 2.19 and stay as they are.

import type { Body, NamedTemplate, TemplateAdapt, TemplateSet } from '../bulk-common/index.ts';

export const CUSTOM_COMPONENT = 'tracee@custom';

function adaptProps(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(adaptProps);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = adaptProps(x);
  if (o.type === 'flattened') {
    out.type = 'flat_object';
    delete out.ignore_above;
  }
  if (o.type === 'constant_keyword' && o.value === undefined) out.type = 'keyword';
  return out;
}

function adaptBody(b: Body): Body {
  const t = b.template as Body | undefined;
  return t?.mappings ? { ...b, template: { ...t, mappings: adaptProps(t.mappings) } } : b;
}

export const openSearchTemplates: TemplateAdapt = (set: TemplateSet): TemplateSet => {
  const it = { ...set.indexTemplate.body };
  delete it.ignore_missing_component_templates;
  if (Array.isArray(it.composed_of))
    it.composed_of = (it.composed_of as string[]).filter((n) => n !== CUSTOM_COMPONENT);
  const indexTemplate: NamedTemplate = { name: set.indexTemplate.name, body: adaptBody(it) };
  return { components: set.components.map((c) => ({ name: c.name, body: adaptBody(c.body) })), indexTemplate };
};
