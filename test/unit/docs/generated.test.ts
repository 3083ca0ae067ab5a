import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { generatedDocs, ROOT } from '../../../scripts/gen-docs.ts';
import { configurationRows } from '../../../scripts/docs/configuration.ts';
import { propertiesOf, runConfigSchema } from '../../../src/config/schema-walk.ts';
import { parseRunConfig } from '../../../src/config/run-config.ts';

describe('generated docs', () => {
  it('the committed files are what `npm run docs:gen` writes', () => {
    for (const [rel, text] of Object.entries(generatedDocs())) {
      const committed = fs.existsSync(path.join(ROOT, rel)) ? fs.readFileSync(path.join(ROOT, rel), 'utf8') : '';
      expect(committed === text, `${rel} is out of date: run \`npm run docs:gen\``).toBe(true);
    }
  });

  it('docs/configuration.md lists every key of the schema, each exporter option included', () => {
    const root = runConfigSchema();
    const paths = new Set(configurationRows().map((r) => r.path));
    for (const k of Object.keys(propertiesOf(root, root))) expect(paths, k).toContain(k);
    for (const k of Object.keys(propertiesOf(root, (root.properties as Record<string, unknown>).delivery)))
      expect(paths, k).toContain(`delivery.${k}`);
    for (const k of [
      'endpoints',
      'auth.api_key',
      'data_stream.namespace',
      'logs_endpoint',
      'headers',
      'format',
      'delivery.buffer.type',
    ])
      expect(paths, k).toContain(`exporters[].${k}`);
    for (const k of ['log.format', 'log.level', 'sources[].listen', 'sources[].address']) expect(paths, k).toContain(k);
  });

  it('every environment variable the docs name sets the documented key', () => {
    // replace the placeholders the way a user would and check the overlay accepts the name
    const rows = configurationRows().filter(
      (r) => r.env !== '' && /^(integer|boolean|string)/.test(r.type) && !r.path.includes('[].users'),
    );
    expect(rows.length).toBeGreaterThan(50);
    for (const r of rows) {
      const variable = r.env
        .replace('<NAME>', 'ES')
        .replace('<TYPE>', r.path.startsWith('sources') ? String(r.when?.type ?? 'webhook').toUpperCase() : 'WEBHOOK')
        .replace('<INDEX>', '0');
      const value = r.type.startsWith('integer') ? '1024000' : r.type === 'boolean' ? 'true' : 'x';
      const type = r.path.startsWith('exporters') ? String(r.when?.type ?? 'elasticsearch') : 'elasticsearch';
      const source = r.path.startsWith('sources') ? String(r.when?.type ?? 'webhook') : 'webhook';
      const text = `version: 1\nsources: [{ type: ${source}, path: /x }]\nexporters:\n  - { type: ${type}, name: es, module: x }\n`;
      try {
        parseRunConfig(text, 'c.yaml', { [variable]: value });
      } catch (err) {
        // a schema refusal of the test value is fine; an unknown variable is not
        expect((err as Error).message, r.path).not.toMatch(/unknown key|no entry named|has no keys/);
      }
    }
  });
});
