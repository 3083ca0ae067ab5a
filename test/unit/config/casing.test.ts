import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { parseRunConfig, type ParseDetails } from '../../../src/config/run-config.ts';
import { effectiveConfigYaml } from '../../../src/config/effective.ts';
import { itemsOf, kindOf, propertiesOf, runConfigSchema, type Schema } from '../../../src/config/schema-walk.ts';
import { formatOptionPath, type OptionPath } from '../../../src/util/option-error.ts';
import { camelCase } from '../../../src/util/schema-type.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const EXAMPLES = [
  ...fs
    .readdirSync(path.join(ROOT, 'examples/config'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `examples/config/${f}`),
  'examples/plugins/http-ndjson/tracee-exporter.yaml',
];
const ENV = { HTTP_NDJSON_URL: 'http://collector.example:8080/ingest' };

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The config with every snake_case key of the model written in camelCase (the casing of earlier
 * versions), and the deprecation warning each one must get. Map keys (headers, overrides) and a
 * plugin's own options are not model keys: left as they are.
 */
function toOldCasing(value: unknown, schema: Schema, root: Schema, at: OptionPath, expected: string[]): unknown {
  const kind = kindOf(root, schema);
  if (kind === 'array' && Array.isArray(value))
    return value.map((v, i) => toOldCasing(v, itemsOf(root, schema), root, [...at, i], expected));
  if (kind !== 'object' || !isObj(value)) return value;
  const props = propertiesOf(root, schema, value);
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    const old = camelCase(k);
    if (!(k in props) || old === k) {
      out[k] = k in props ? toOldCasing(v, props[k], root, [...at, k], expected) : v;
      continue;
    }
    expected.push(`${formatOptionPath([...at, old])} is deprecated: use ${formatOptionPath([...at, k])}`);
    out[old] = toOldCasing(v, props[k], root, [...at, k], expected);
  }
  return out;
}

const load = (text: string, file: string) => {
  const details: ParseDetails = {};
  const config = parseRunConfig(text, file, ENV, details);
  return { config, warnings: (details.warnings ?? []).map((w) => w.replace(/^.*?:\d+:\d+: /, '')) };
};

describe('one casing: snake_case', () => {
  it.each(EXAMPLES)('%s loads without a warning', (rel) => {
    const { warnings } = load(fs.readFileSync(path.join(ROOT, rel), 'utf8'), rel);
    expect(warnings).toEqual([]);
  });

  it.each(EXAMPLES)(
    '%s in the old camelCase loads the same, with a warning naming each new key; config print shows only the new form',
    (rel) => {
      const text = fs.readFileSync(path.join(ROOT, rel), 'utf8');
      const root = runConfigSchema();
      const expected: string[] = [];
      const old = stringify(toOldCasing(parse(text), root, root, [], expected));
      const now = load(text, rel);
      const before = load(old, rel);
      if (rel.includes('elasticsearch') || rel.includes('kafka') || rel.includes('otlp'))
        expect(expected.length, rel).toBeGreaterThan(0);
      expect(before.warnings.sort()).toEqual(expected.sort());
      expect(before.config).toEqual(now.config);
      const printed = effectiveConfigYaml(before.config, rel, ENV).text;
      for (const w of expected) expect(printed).not.toMatch(new RegExp(`\\b${/(\w+) is deprecated/.exec(w)![1]}:`));
    },
  );

  it('names the warning by its place in the file; both spellings of one key are refused', () => {
    const { warnings } = (() => {
      const details: ParseDetails = {};
      parseRunConfig(
        'version: 1\ndelivery:\n  whenFull: block\nexporters:\n  - type: elasticsearch\n    endpoints: http://es:9200\n    tls: { caFile: /ca.pem }\n',
        'cfg.yaml',
        {},
        details,
      );
      return { warnings: details.warnings! };
    })();
    expect(warnings).toEqual([
      'cfg.yaml:3:13: delivery.whenFull is deprecated: use delivery.when_full',
      'cfg.yaml:7:20: exporters[0].tls.caFile is deprecated: use exporters[0].tls.ca_file',
    ]);
    expect(() =>
      parseRunConfig(
        'version: 1\ndelivery: { whenFull: block, when_full: block }\nexporters: [{ type: console }]\n',
        'cfg.yaml',
        {},
      ),
    ).toThrow(
      /^cfg\.yaml:2:23: delivery\.whenFull and delivery\.when_full are the same setting: keep only delivery\.when_full$/,
    );
  });

  it('exporters[].buffer loads as exporters[].delivery.buffer, with a warning', () => {
    const details: ParseDetails = {};
    const c = parseRunConfig(
      'version: 1\nexporters:\n  - type: console\n    delivery: { buffer: { fsync: never, max_bytes: 1048576 } }\n    buffer: { type: disk, fsync: always }\n',
      'cfg.yaml',
      {},
      details,
    );
    expect(c.exporters[0].delivery).toEqual({ buffer: { type: 'disk', fsync: 'always', max_bytes: 1048576 } });
    expect(details.warnings).toEqual([
      'cfg.yaml:5:13: exporters[0].buffer is deprecated: use exporters[0].delivery.buffer',
    ]);
  });

  it("a plugin's own options and map keys keep their spelling", () => {
    const details: ParseDetails = {};
    const c = parseRunConfig(
      'version: 1\nexporters:\n  - type: module\n    module: ./x.mjs\n    timeoutMs: 5\n  - type: otlp_http\n    headers: { X-Api_Key: a }\n    resource_attributes: { deployment.environment_name: prod }\n',
      'cfg.yaml',
      {},
      details,
    );
    expect(details.warnings).toEqual([]);
    expect(c.exporters[0]).toMatchObject({ timeoutMs: 5 });
    expect(c.exporters[1]).toMatchObject({
      headers: { 'X-Api_Key': 'a' },
      resource_attributes: { 'deployment.environment_name': 'prod' },
    });
  });
});
