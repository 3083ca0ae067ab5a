// Derive the field-type tables the mapper needs at run time from the pinned references in
// reference/ (ECS 9.4.0 ecs_flat.yml, semconv 1.44.0 attribute registry; origins in reference/README.md).
// The outputs are committed under mappings/reference/; test/unit/mapping/conformance.test.ts checks they match.
// Usage: node scripts/gen-reference-types.ts [--check]

import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
const referenceDir = path.join(root, 'reference');

/** One ECS field: its type, array when ECS normalizes it to one, the values ECS allows (if it lists
 * them) and, for event.category, the event.type values each category expects. */
export interface EcsFieldRef {
  type: string;
  array?: true;
  allowed?: string[];
  expected_types?: Record<string, string[]>;
}

export function buildEcsTypes(): Record<string, EcsFieldRef> {
  type Allowed = { name: string; expected_event_types?: string[] };
  const flat = parse(fs.readFileSync(path.join(referenceDir, 'ecs_flat-9.4.0.yml'), 'utf8'), {
    maxAliasCount: -1,
  }) as Record<string, { type: string; normalize?: string[]; allowed_values?: Allowed[] }>;
  const out: Record<string, EcsFieldRef> = {};
  for (const name of Object.keys(flat).sort()) {
    const f = flat[name];
    const ref: EcsFieldRef = f.normalize?.includes('array') ? { type: f.type, array: true } : { type: f.type };
    if (f.allowed_values !== undefined) {
      ref.allowed = f.allowed_values.map((a) => a.name);
      const expected = f.allowed_values.filter((a) => a.expected_event_types !== undefined);
      if (expected.length > 0)
        ref.expected_types = Object.fromEntries(expected.map((a) => [a.name, a.expected_event_types!]));
    }
    out[name] = ref;
  }
  return out;
}

export function buildOtelTypes(): Record<string, { type: string; deprecated?: true }> {
  const out: Record<string, { type: string; deprecated?: true }> = {};
  for (const line of fs.readFileSync(path.join(referenceDir, 'semconv-attributes-1.44.0.tsv'), 'utf8').split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [name, type, , deprecated] = line.split('\t');
    out[name] = deprecated ? { type, deprecated: true } : { type };
  }
  return out;
}

function render(source: string, data: unknown): string {
  return (
    JSON.stringify({ _source: source, _generated_by: 'scripts/gen-reference-types.ts', fields: data }, null, 1) + '\n'
  );
}

export const outputs = {
  'mappings/reference/ecs-9.4.0-types.json': () =>
    render(
      'reference/ecs_flat-9.4.0.yml (elastic/ecs v9.4.0 generated/ecs/ecs_flat.yml): name → type, array, allowed values, expected event types per category',
      buildEcsTypes(),
    ),
  'mappings/reference/semconv-1.44.0-types.json': () =>
    render(
      'reference/semconv-attributes-1.44.0.tsv (open-telemetry/semantic-conventions v1.44.0 registry): name → type, deprecated',
      buildOtelTypes(),
    ),
};

if (import.meta.main) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [rel, make] of Object.entries(outputs)) {
    const text = make();
    const file = path.join(root, rel);
    if (check) {
      if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) {
        console.error(`stale: ${rel}`);
        stale++;
      }
    } else {
      fs.writeFileSync(file, text);
      console.log(`wrote ${rel}`);
    }
  }
  process.exit(stale ? 1 : 0);
}
