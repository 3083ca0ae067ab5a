// Reads ECS's generated `ecs_flat.yml` (pinned copy: ../shared/reference/ecs_flat-9.4.0.yml) for the
// template generator and the template tests. Not used at run time.

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { EcsFlat, FieldSpec } from './ecs-mappings.ts';

export const ECS_FLAT_PATH = new URL('../../../../shared/reference/ecs_flat-9.4.0.yml', import.meta.url);
export const ECS_FIELDS_PATH = new URL('./templates/ecs-fields.yaml', import.meta.url);

export function loadEcsFlat(path: string | URL = ECS_FLAT_PATH): EcsFlat {
  return parse(readFileSync(path, 'utf8'), { maxAliasCount: -1 }) as EcsFlat;
}

/** The ECS field list the templates are generated from (names, optionally `name: type` for tracee.*). */
export function loadFieldList(path: string | URL = ECS_FIELDS_PATH): FieldSpec[] {
  const doc = parse(readFileSync(path, 'utf8')) as { fields: Array<string | Record<string, string>> };
  return doc.fields.map((f) => typeof f === 'string' ? { name: f } : { name: Object.keys(f)[0], type: Object.values(f)[0] });
}
