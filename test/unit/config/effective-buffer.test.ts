// `config print` (effectiveConfig): each exporter's delivery.buffer as `run` uses it: a memory buffer
// is `{ type: memory }` alone, a disk buffer shows the disk buffer's keys with their defaults.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { effectiveConfig, effectiveConfigYaml } from '../../../src/config/effective.ts';
import { parseRunConfig } from '../../../src/config/run-config.ts';

const print = (text: string) => effectiveConfig(parseRunConfig(text, 'cfg.yaml', {}), {}).config;
const buffers = (text: string) =>
  (print(text).exporters as Array<{ name?: string; delivery: { buffer?: unknown } }>).map((e) => e.delivery.buffer);

describe('config print: delivery.buffer', () => {
  it('memory (the default, or set): { type: memory } and no disk-buffer key', () => {
    expect(buffers('version: 1\nexporters: [{ type: console }]\n')).toEqual([{ type: 'memory' }]);
    expect(
      buffers(
        'version: 1\nexporters: [{ type: console, delivery: { buffer: { type: memory, max_bytes: 1048576 } } }]\n',
      ),
    ).toEqual([{ type: 'memory' }]);
  });

  it('disk: the disk keys with their defaults, segment_bytes as the buffer computes it', () => {
    expect(buffers('version: 1\nexporters: [{ type: console, delivery: { buffer: { type: disk } } }]\n')).toEqual([
      {
        type: 'disk',
        max_bytes: 268435456,
        when_full: 'block',
        fsync: 'interval',
        fsync_interval_ms: 500,
        segment_bytes: 33554432,
      },
    ]);
  });

  it('a top-level disk buffer and per-exporter overrides: each exporter shows the buffer it gets', () => {
    const text = `version: 1
delivery: { buffer: { type: disk, max_bytes: 1000000 } }
exporters:
  - { type: console, name: a }
  - { type: console, name: b, delivery: { buffer: { type: memory } } }
  - { type: console, name: c, delivery: { buffer: { when_full: drop_oldest, segment_bytes: 65536 } } }
`;
    expect(buffers(text)).toEqual([
      {
        type: 'disk',
        max_bytes: 1000000,
        when_full: 'block',
        fsync: 'interval',
        fsync_interval_ms: 500,
        segment_bytes: 125000,
      },
      { type: 'memory' },
      {
        type: 'disk',
        max_bytes: 1000000,
        when_full: 'drop_oldest',
        fsync: 'interval',
        fsync_interval_ms: 500,
        segment_bytes: 65536,
      },
    ]);
    // the printed YAML says the same
    const printed = effectiveConfigYaml(parseRunConfig(text, 'cfg.yaml', {}), 'cfg.yaml', {}).text;
    expect(parse(printed).exporters.map((e: { delivery: { buffer: unknown } }) => e.delivery.buffer)).toEqual(
      buffers(text),
    );
  });
});

describe('config print: its output loads back', () => {
  const ROOT = path.resolve(import.meta.dirname, '../../..');
  const EXAMPLES = fs
    .readdirSync(path.join(ROOT, 'examples/config'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `examples/config/${f}`);
  const ENV = { HTTP_NDJSON_URL: 'http://collector.example:8080/ingest' };
  const printOf = (text: string, rel: string) =>
    effectiveConfigYaml(parseRunConfig(text, rel, ENV), rel, ENV).text.replace(/^#.*\n/, '');

  it('a config without a dead letter prints no dead_letter section (it needs a path: printed, it would not load)', () => {
    const printed = printOf('version: 1\nexporters: [{ type: console }]\n', 'cfg.yaml');
    expect(parse(printed).dead_letter).toBeUndefined();
    expect(() => parseRunConfig(printed, 'printed.yaml', {})).not.toThrow();
  });

  it.each(EXAMPLES)('%s: printed, loaded again and printed, the same text', (rel) => {
    const printed = printOf(fs.readFileSync(path.join(ROOT, rel), 'utf8'), rel);
    expect(printOf(printed, `${rel} (printed)`)).toBe(printed);
  });
});
