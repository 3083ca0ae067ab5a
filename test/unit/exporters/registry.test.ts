// The built-in exporter types with large client libraries load only when a config names them.

import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { EXPORTER_TYPE_NAMES, EXPORTER_TYPES, loadExporterTypes } from '../../../src/exporters/registry.ts';
import { createPipeline, preparePipeline } from '../../../src/pipeline/pipeline.ts';
import type { RunConfig } from '../../../src/config/run-config.ts';

describe('exporter registry', () => {
  it('names every built-in type; only the ones with a large client load on demand', () => {
    expect([...EXPORTER_TYPE_NAMES].sort()).toEqual(['console', 'elasticsearch', 'kafka', 'opensearch', 'otlp_http']);
    const onDemand = Object.entries(EXPORTER_TYPES)
      .filter(([, k]) => k.load !== undefined)
      .map(([t]) => t)
      .sort();
    expect(onDemand).toEqual(['elasticsearch', 'kafka', 'opensearch']);
  });

  it('builds a pipeline with an on-demand type only once it is loaded (preparePipeline loads it)', async () => {
    const config = {
      version: 1,
      node: { name: 'n' },
      sources: [{ type: 'stdin' }],
      exporters: [{ type: 'opensearch', endpoints: ['http://127.0.0.1:1'] }],
    } as unknown as RunConfig;
    // each test file gets fresh modules: nothing has loaded the OpenSearch client yet
    expect(() => createPipeline(config, { stdin: Readable.from([]), log: () => {} })).toThrow(
      /exporter type "opensearch" is not loaded/,
    );
    const p = await preparePipeline(config, { stdin: Readable.from([]), log: () => {} });
    expect(p.ingest).toBeTypeOf('function');
    expect(() => createPipeline(config, { stdin: Readable.from([]), log: () => {} })).not.toThrow();
    await loadExporterTypes(['opensearch', 'unknown']); // again: nothing to do, no error
  });
});
