// Regenerates the component templates of the Elasticsearch exporter from the fields the mapping tables can write
// (`compileMapper(...).ecsFields()`), the extra ECS fields listed in templates/ecs-fields.yaml, and the pinned
// ECS 9.4.0 ecs_flat.yml:   node scripts/generate-es-templates.ts
// test/unit/exporters/elasticsearch/templates.test.ts fails when the checked-in files are stale.

import { writeFileSync } from 'node:fs';
import {
  buildEcsComponentTemplate,
  buildTraceeComponentTemplate,
} from '../src/exporters/elasticsearch/ecs-component.ts';
import { templateFieldList } from './es-template-fields.ts';
import { loadEcsFlat } from '../src/exporters/elasticsearch/ecs-flat.ts';

const dir = new URL('../src/exporters/elasticsearch/templates/', import.meta.url);
const fields = templateFieldList();
const ecsFlat = loadEcsFlat();
for (const [file, body] of [
  ['tracee-ecs-mappings.json', buildEcsComponentTemplate(fields, ecsFlat)],
  ['tracee-mappings.json', buildTraceeComponentTemplate(fields, ecsFlat)],
] as const) {
  writeFileSync(new URL(file, dir), `${JSON.stringify(body, null, 2)}\n`);
  process.stdout.write(`wrote ${new URL(file, dir).pathname}\n`);
}
