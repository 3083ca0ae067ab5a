// The template set installed by the exporter: three component templates and the `logs-tracee` index template,
// read from the JSON data files beside this module.

import { readFileSync } from 'node:fs';
import type { DataStreamTargets } from './data-stream.ts';
import type { EsProperty } from './ecs-mappings.ts';
import { downgradeTypes, usedTypes } from './field-types.ts';
import { packageFile } from '../../util/package-files.ts';

export const INDEX_TEMPLATE_NAME = 'logs-tracee';
const COMPONENT_FILES: ReadonlyArray<[name: string, file: string]> = [
  ['tracee-ecs@mappings', 'tracee-ecs-mappings.json'],
  ['tracee@mappings', 'tracee-mappings.json'],
  ['tracee@settings', 'tracee-settings.json'],
];
const INDEX_TEMPLATE_FILE = 'logs-tracee-index-template.json';
/** Where the template files are, from the package root (shipped as data, see package.json `files`). */
export const TEMPLATES_DIR = 'src/exporters/elasticsearch/templates';

export type Body = Record<string, unknown>;
export interface NamedTemplate {
  readonly name: string;
  readonly body: Body;
}
export interface TemplateSet {
  readonly components: readonly NamedTemplate[];
  readonly indexTemplate: NamedTemplate;
}

export function readTemplateFile(file: string): Body {
  return JSON.parse(readFileSync(packageFile(TEMPLATES_DIR, file), 'utf8')) as Body;
}

function propsOf(body: Body): Record<string, EsProperty> | undefined {
  const t = body.template as { mappings?: { properties?: Record<string, EsProperty> } } | undefined;
  return t?.mappings?.properties;
}

function withProps(body: Body, props: Record<string, EsProperty>): Body {
  const t = body.template as { mappings: Body };
  return { ...body, template: { ...t, mappings: { ...t.mappings, properties: props } } };
}

/** Field types used by the production templates (to know what a minimal cluster may lack). */
export function templateTypes(set: TemplateSet): Set<string> {
  const all = new Set<string>();
  for (const t of [...set.components, set.indexTemplate]) {
    const p = propsOf(t.body);
    if (p) for (const ty of usedTypes(p)) all.add(ty);
  }
  return all;
}

/**
 * The production template set, index patterns widened to the configured datasets, with the types in
 * `downgrade` replaced by their core fallbacks.
 */
export function loadTemplateSet(targets: DataStreamTargets, downgrade: ReadonlySet<string> = new Set()): TemplateSet {
  const fix = (body: Body): Body => {
    const p = propsOf(body);
    return p && downgrade.size ? withProps(body, downgradeTypes(p, downgrade)) : body;
  };
  const components = COMPONENT_FILES.map(([name, file]) => ({ name, body: fix(readTemplateFile(file)) }));
  const it = fix(readTemplateFile(INDEX_TEMPLATE_FILE));
  const patterns = [...(it.index_patterns as string[])];
  for (const t of [targets.event, targets.alert]) {
    const p = `${t.type}-${t.dataset}-*`;
    if (!t.dataset.startsWith('tracee.') && !patterns.includes(p)) patterns.push(p);
  }
  return { components, indexTemplate: { name: INDEX_TEMPLATE_NAME, body: { ...it, index_patterns: patterns } } };
}
