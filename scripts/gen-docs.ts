// Writes the generated documentation: docs/configuration.md and src/config/run-config.schema.json
// (from the config model, src/config/model.ts) and docs/mapping-reference.md (from mappings/*.yaml). test/unit/docs/generated.test.ts fails when
// the committed files differ from what this writes. Usage: npm run docs:gen

import fs from 'node:fs';
import path from 'node:path';
import { renderConfigurationDoc } from './docs/configuration.ts';
import { renderMappingReference } from './docs/mapping-reference.ts';
import { runConfigSchema } from '../src/config/model.ts';

export const ROOT = path.resolve(import.meta.dirname, '..');

/** Relative path → content of every generated document. */
export function generatedDocs(): Record<string, string> {
  return {
    'docs/configuration.md': renderConfigurationDoc(),
    'docs/mapping-reference.md': renderMappingReference(),
    // the config model's schema written out for editors (yaml-language-server) and other tools
    'src/config/run-config.schema.json': `${JSON.stringify(runConfigSchema(), null, 2)}\n`,
  };
}

if (import.meta.main) {
  for (const [rel, text] of Object.entries(generatedDocs())) {
    fs.writeFileSync(path.join(ROOT, rel), text);
    console.log(`wrote ${rel}`);
  }
}
