// The source registry is the one list of source types: the config schema accepts exactly those,
// and each kind is complete for its mode (the pipeline, config check and config print use it alone).

import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SOURCE_TYPES } from '../../../src/sources/registry.ts';

const schema = JSON.parse(
  fs.readFileSync(new URL('../../../src/config/run-config.schema.json', import.meta.url), 'utf8'),
);

describe('source registry', () => {
  it('registers exactly the source types the config schema accepts', () => {
    expect(Object.keys(SOURCE_TYPES).sort()).toEqual([...schema.properties.sources.items.properties.type.enum].sort());
  });

  it('gives each kind what its mode needs', () => {
    for (const [type, kind] of Object.entries(SOURCE_TYPES)) {
      expect(typeof kind.check, type).toBe('function');
      if (kind.mode === 'pull') {
        expect([typeof kind.label, typeof kind.run], type).toEqual(['function', 'function']);
      } else {
        expect(kind.mode, type).toBe('push');
        expect([typeof kind.create, typeof kind.listening, typeof kind.closingLine], type).toEqual([
          'function',
          'function',
          'function',
        ]);
      }
    }
  });

  it('check is a dry run: a webhook on a port in use still checks, and names its address', () => {
    const warnings: string[] = [];
    const line = SOURCE_TYPES.webhook!.check(
      { type: 'webhook', listen: '127.0.0.1:9200' },
      {
        attempt: (_k, f) => f(),
        warn: (_k, m) => {
          warnings.push(m);
        },
      },
    );
    expect(line).toBe('webhook on http://127.0.0.1:9200/*');
    expect(warnings).toEqual([]);
  });

  it('check reports a bad listen address through the check context, at the source', () => {
    const keys: unknown[] = [];
    const chk = {
      attempt: <T>(k: Array<string | number>, f: () => T): T => {
        keys.push(k);
        return f();
      },
      warn: () => {},
    };
    expect(() => SOURCE_TYPES.forward!.check({ type: 'forward', listen: 'nowhere' }, chk)).toThrow(/listen/);
    expect(keys).toEqual([[]]);
  });

  it('a file that does not exist is a warning at its path key, not an error', () => {
    const warned: Array<[unknown, string]> = [];
    const line = SOURCE_TYPES.file!.check(
      { type: 'file', path: '/nonexistent/tracee.ndjson' },
      {
        attempt: (_k, f) => f(),
        warn: (k, m) => {
          warned.push([k, m]);
        },
      },
    );
    expect(line).toBe('file /nonexistent/tracee.ndjson');
    expect(warned).toEqual([
      [
        ['path'],
        '/nonexistent/tracee.ndjson does not exist (the run will report a source error; follow: true waits for it)',
      ],
    ]);
  });
});
