// The built-in exporter types with large client libraries load only when a config names them.

import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { builtinExporter, EXPORTER_TYPE_NAMES, loadExporterTypes } from '../../../src/exporters/registry.ts';
import { createPipeline, preparePipeline } from '../../../src/pipeline/pipeline.ts';
import type { RunConfig } from '../../../src/config/run-config.ts';

describe('exporter registry', () => {
  it('names every built-in type, the ones loaded on demand included', () => {
    expect([...EXPORTER_TYPE_NAMES].sort()).toEqual(['console', 'elasticsearch', 'kafka', 'opensearch', 'otlp_http']);
    expect(builtinExporter('otlp_http')).toBeTypeOf('function');
    expect(builtinExporter('no_such_type')).toBeUndefined();
  });

  it('builds a pipeline with an on-demand type only once it is loaded (preparePipeline loads it)', async () => {
    const config = { version: 1, node: { name: 'n' }, sources: [{ type: 'stdin' }], exporters: [{ type: 'opensearch', endpoints: ['http://127.0.0.1:1'] }] } as unknown as RunConfig;
    if (builtinExporter('opensearch') === 'not loaded') {
      expect(() => createPipeline(config, { stdin: Readable.from([]), log: () => {} })).toThrow(/exporter type "opensearch" is not loaded/);
    }
    const p = await preparePipeline(config, { stdin: Readable.from([]), log: () => {} });
    expect(p.ingest).toBeTypeOf('function');
    expect(builtinExporter('opensearch')).toBeTypeOf('function');
    await loadExporterTypes(['opensearch', 'unknown']);   // again: nothing to do, no error
  });
});
