import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadRunConfig, parseRunConfig } from '../../../src/config/run-config.ts';
import { ROOT } from '../../helpers/samples.ts';

describe('run config', () => {
  it('every example config is valid', () => {
    const dir = path.join(ROOT, 'examples/config');
    for (const f of fs.readdirSync(dir))
      expect(() => loadRunConfig(path.join(dir, f), { NODE_NAME: 'n' }), f).not.toThrow();
  });

  it('replaces ${env:NAME} and ${env:NAME:-default}', () => {
    const c = parseRunConfig(
      'version: 1\nnode:\n  name: ${env:NODE_NAME}\n  cluster_name: ${env:NOPE:-dflt}\nexporters:\n  - type: console\n',
      'c.yaml',
      { NODE_NAME: 'node-7' },
    );
    expect(c.node).toEqual({ name: 'node-7', cluster_name: 'dflt' });
  });

  it('a __proto__ key is refused with its line and key (it would hide options from the schema check)', () => {
    // doc.toJS() keeps __proto__ as an own key; copied by assignment it became the prototype: apiKey read through it, never validated or printed
    const text = 'version: 1\nexporters:\n  - type: console\n    __proto__:\n      api_key: hidden\n';
    expect(() => parseRunConfig(text, 'cfg.yaml', {})).toThrow(ConfigError);
    expect(() => parseRunConfig(text, 'cfg.yaml', {})).toThrow(
      /^cfg\.yaml:5:\d+: exporters\[0\]\.__proto__: the key "__proto__" is not allowed$/,
    );
  });

  it('errors name the file, the line and the key', () => {
    const bad = (text: string) => {
      try {
        parseRunConfig(text, 'cfg.yaml', {});
        return '';
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
    };
    expect(bad('version: 1\nexporters:\n  - type: pulsar\n')).toMatch(
      /^cfg.yaml:3:11: exporters\[0\].type: must be equal to one of the allowed values: console, otlp_http, elasticsearch/,
    );
    expect(bad('version: 1\nexporters:\n  - type: console\nsourcez: []\n')).toMatch(
      /^cfg.yaml:4:10: sourcez: must NOT have additional properties "sourcez"/,
    );
    expect(bad('version: 1\nsources:\n  - type: file\nexporters:\n  - type: console\n')).toMatch(
      /^cfg.yaml:3:5: sources\[0\]: must have required property 'path'/,
    );
    expect(bad('version: 1\nnode:\n  name: ${env:MISSING}\nexporters: [{type: console}]\n')).toMatch(
      /^cfg.yaml:3:9 \(node.name\): environment variable MISSING is not set/,
    );
    expect(bad('version: 1\nexporters: [\n')).toMatch(/^cfg.yaml:\d+:\d+: /);
  });
});
