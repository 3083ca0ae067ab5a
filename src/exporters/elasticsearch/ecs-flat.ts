// Reads ECS's generated `ecs_flat.yml` (pinned copy: reference/ecs_flat-9.4.0.yml) for the template
// generator and the template tests. Not used at run time, not in the build: the command reads the
// templates generated from it (templates/*.json) and mappings/reference/ecs-9.4.0-types.json.

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { EcsFlat, FieldSpec } from './ecs-mappings.ts';
import { packageFile } from '../../util/package-files.ts';
import { TEMPLATES_DIR } from './templates.ts';

export const ECS_FLAT_PATH = packageFile('reference/ecs_flat-9.4.0.yml');
export const ECS_FIELDS_PATH = packageFile(TEMPLATES_DIR, 'ecs-fields.yaml');

export function loadEcsFlat(path: string | URL = ECS_FLAT_PATH): EcsFlat {
  return parse(readFileSync(path, 'utf8'), { maxAliasCount: -1 }) as EcsFlat;
}

/** The ECS field list the templates are generated from (names, optionally `name: type` for tracee.*). */
export function loadFieldList(path: string | URL = ECS_FIELDS_PATH): FieldSpec[] {
  const doc = parse(readFileSync(path, 'utf8')) as { fields: Array<string | Record<string, string>> };
  return doc.fields.map((f) =>
    typeof f === 'string' ? { name: f } : { name: Object.keys(f)[0], type: Object.values(f)[0] },
  );
}
