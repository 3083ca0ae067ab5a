// The field list the Elasticsearch templates are generated from: every field the mapping tables can write
// (with the type they declare; tracee.* keep theirs, ECS fields get their ECS type) plus the extra ECS fields of
// src/exporters/elasticsearch/templates/ecs-fields.yaml. Lives in scripts/ because exporters never import mapping/.

import { compileMapper } from '../src/mapping/compile.ts';
import { loadMappingTables } from '../src/mapping/load.ts';
import { mergeFieldLists } from '../src/exporters/elasticsearch/ecs-component.ts';
import type { FieldSpec } from '../src/exporters/elasticsearch/ecs-mappings.ts';
import { loadFieldList } from '../src/exporters/elasticsearch/ecs-flat.ts';

/** The fields the mapping tables write, as they declare them. */
export function mapperFields(): FieldSpec[] {
  return compileMapper(loadMappingTables())
    .ecsFields()
    .map((f) => ({ name: f.name, type: f.type }));
}

export function templateFieldList(): FieldSpec[] {
  return mergeFieldLists(mapperFields(), loadFieldList());
}
