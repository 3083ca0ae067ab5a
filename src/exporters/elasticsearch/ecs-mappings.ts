// Builds the Elasticsearch `mappings` of the ECS fields the project emits, with the types ECS defines
// (ecs_flat.yml: type, ignore_above, multi_fields, index/doc_values, scaling_factor, object_type).
// `tracee.*` entries carry their own type; any other name must be an ECS field.

export interface EcsFlatField {
  type: string;
  ignore_above?: number;
  multi_fields?: Array<{ name: string; type: string; norms?: boolean }>;
  index?: boolean;
  doc_values?: boolean;
  scaling_factor?: number;
  object_type?: string;
}
export type EcsFlat = Readonly<Record<string, EcsFlatField>>;

export interface FieldSpec {
  name: string;
  type?: string;
}

export interface EsProperty {
  type?: string;
  properties?: Record<string, EsProperty>;
  fields?: Record<string, EsProperty>;
  [param: string]: unknown;
}
export interface EsMappings {
  dynamic?: boolean | 'strict' | 'runtime';
  dynamic_templates?: Array<Record<string, unknown>>;
  properties: Record<string, EsProperty>;
}

function leafFor(f: EcsFlatField): EsProperty {
  const p: EsProperty = { type: f.type };
  if (f.ignore_above !== undefined) p.ignore_above = f.ignore_above;
  if (f.index === false) p.index = false;
  if (f.doc_values === false) p.doc_values = false;
  if (f.scaling_factor !== undefined) p.scaling_factor = f.scaling_factor;
  if (f.multi_fields?.length) {
    p.fields = {};
    for (const m of f.multi_fields)
      p.fields[m.name] = m.norms === false ? { type: m.type, norms: false } : { type: m.type };
  }
  return p;
}

function pathOf(name: string): string[] {
  return name === '@timestamp' ? [name] : name.split('.');
}

export function buildEcsMappings(fields: ReadonlyArray<FieldSpec>, ecsFlat: EcsFlat): EsMappings {
  const root: EsMappings = { dynamic: false, properties: {} };
  const dynamicTemplates: Array<Record<string, unknown>> = [];
  const seen = new Set<string>();
  const sorted = [...fields].sort((a, b) => a.name.localeCompare(b.name));
  for (const spec of sorted) {
    if (seen.has(spec.name)) continue;
    seen.add(spec.name);
    const ecs = ecsFlat[spec.name];
    let leaf: EsProperty;
    if (spec.name.startsWith('tracee.')) {
      if (!spec.type) throw new Error(`${spec.name}: tracee.* fields need an explicit type`);
      leaf = { type: spec.type };
    } else if (!ecs) {
      throw new Error(`${spec.name} is not an ECS 9.4.0 field (only tracee.* may be outside ECS)`);
    } else {
      if (spec.type && spec.type !== ecs.type)
        throw new Error(`${spec.name}: type ${spec.type} differs from ECS type ${ecs.type}`);
      leaf = leafFor(ecs);
    }
    let props = root.properties;
    const parts = pathOf(spec.name);
    for (let i = 0; i < parts.length - 1; i++) {
      const node = (props[parts[i]] ??= { properties: {} });
      if (node.type !== undefined && node.type !== 'object' && node.type !== 'nested') {
        throw new Error(`${spec.name}: parent ${parts.slice(0, i + 1).join('.')} is a ${node.type}, not an object`);
      }
      props = node.properties ??= {};
    }
    const last = parts[parts.length - 1];
    const existing = props[last];
    if (leaf.type === 'object' || leaf.type === 'nested') {
      const node: EsProperty = { type: leaf.type, properties: existing?.properties ?? {} };
      if (ecs?.object_type) {
        node.dynamic = true;
        dynamicTemplates.push({
          [spec.name]: {
            path_match: `${spec.name}.*`,
            match_mapping_type: 'string',
            mapping: { type: ecs.object_type },
          },
        });
      }
      props[last] = node;
    } else {
      if (existing) throw new Error(`${spec.name}: a ${leaf.type} cannot have sub-fields`);
      props[last] = leaf;
    }
  }
  if (dynamicTemplates.length) root.dynamic_templates = dynamicTemplates;
  return root;
}
