import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkConfigFile } from '../../../src/config/check.ts';
import { runConfigSchema, type ExporterConfig, type SourceConfig } from '../../../src/config/model.ts';
import { EXPORTER_KINDS } from '../../../src/exporters/registry.ts';
import { SOURCE_KINDS } from '../../../src/sources/registry.ts';

// compile-time: the types are derived from the schemas, sources and exporters are unions by `type`
const grpc: SourceConfig = { type: 'grpc', address: 'unix:///var/run/tracee.sock' };
// @ts-expect-error a grpc source has no `path`
const grpcWithPath: SourceConfig = { type: 'grpc', address: 'x:1', path: '/x' };
// @ts-expect-error a grpc source needs its address
const grpcWithout: SourceConfig = { type: 'grpc' };
const es: ExporterConfig = {
  type: 'elasticsearch',
  endpoints: 'http://es:9200',
  data_stream: { namespace: 'prod' },
  delivery: { max_batch_items: 10, buffer: { type: 'disk' } },
};
// @ts-expect-error the old camelCase is not a key of the model
const esOld: ExporterConfig = { type: 'elasticsearch', endpoints: 'http://es:9200', dataStream: { namespace: 'prod' } };
const narrowed = (s: SourceConfig) => (s.type === 'file' ? s.paths : s.type === 'webhook' ? s.listen : undefined);

const tmp = (text: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'te-model-'));
  const file = path.join(dir, 'cfg.yaml');
  fs.writeFileSync(file, text);
  return file;
};
const checkError = (text: string): string => {
  try {
    checkConfigFile(tmp(text), {});
    return '';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('the config model', () => {
  it("each source and exporter kind brings its own schema; the run config's schema is assembled from them", () => {
    expect([grpc, es, narrowed, grpcWithPath, grpcWithout, esOld].length).toBe(6);
    const root = runConfigSchema() as {
      properties: Record<
        string,
        {
          items: {
            allOf: Array<{
              if: { properties: { type: { const: string } } };
              then: { properties: Record<string, unknown> };
            }>;
          };
        }
      >;
    };
    for (const [type, kind] of Object.entries(SOURCE_KINDS)) {
      expect((kind.schema.properties as { type: { const: string } }).type.const).toBe(type);
      const branch = root.properties.sources.items.allOf.find((b) => b.if.properties.type.const === type)!;
      expect(Object.keys(branch.then.properties)).toEqual(Object.keys(kind.schema.properties as object));
    }
    for (const [type, kind] of Object.entries(EXPORTER_KINDS)) {
      expect(typeof kind.create, type).toBe('function');
      expect(typeof kind.check, type).toBe('function');
      const branch = root.properties.exporters.items.allOf.find((b) => b.if.properties.type.const === type)!;
      expect(Object.keys(branch.then.properties)).toEqual(Object.keys(kind.schema.properties as object));
    }
    // every key of the model is snake_case (a map's own keys are not model keys)
    const keys: string[] = [];
    const walk = (s: unknown) => {
      if (Array.isArray(s)) {
        s.forEach(walk);
        return;
      }
      if (s === null || typeof s !== 'object') return;
      for (const [k, v] of Object.entries(s)) {
        if (k === 'properties' && v !== null && typeof v === 'object') keys.push(...Object.keys(v));
        walk(v);
      }
    };
    walk(runConfigSchema());
    expect(keys.filter((k) => /[A-Z]/.test(k))).toEqual([]);
    expect(keys).toContain('log');
  });

  it('log: format text|json and level debug..error, defaults text / info', () => {
    const log = (
      runConfigSchema() as { properties: { log: { properties: Record<string, { enum: string[]; default: string }> } } }
    ).properties.log.properties;
    expect(log.format).toMatchObject({ enum: ['text', 'json'], default: 'text' });
    expect(log.level).toMatchObject({ enum: ['debug', 'info', 'warn', 'error'], default: 'info' });
    expect(checkError('version: 1\nlog: { format: yaml }\nexporters: [{ type: console }]\n')).toMatch(
      /cfg\.yaml:2:16: log\.format: must be equal to one of the allowed values: text, json$/,
    );
  });

  it("config check runs each exporter kind's dry run: errors at the config path with line:column", () => {
    expect(
      checkError(
        [
          'version: 1',
          'exporters:',
          '  - type: console',
          '  - type: otlp_http',
          '    endpoint: https://collector:4318',
          '    tls:',
          '      ca_file: /nonexistent/ca.pem',
        ].join('\n'),
      ),
    ).toMatch(/cfg\.yaml:7:16: exporters\[1\]\.tls\.ca_file: ENOENT/);
    expect(
      checkError(
        'version: 1\nexporters:\n  - type: kafka\n    brokers: "kafka:9092"\n    topics: { events: "bad topic" }\n',
      ),
    ).toMatch(/cfg\.yaml:5:23: exporters\[0\]\.topics\.events: "bad topic" is not a legal Kafka topic name$/);
    expect(
      checkError(
        'version: 1\nexporters:\n  - type: opensearch\n    endpoints: http://os:9200\n    data_stream: { events_dataset: a, alerts_dataset: a }\n',
      ),
    ).toMatch(/cfg\.yaml:5:55: exporters\[0\]\.data_stream\.alerts_dataset: must differ from events_dataset$/);
    // the old spelling is located where it was written
    expect(
      checkError(
        'version: 1\nexporters:\n  - type: elasticsearch\n    endpoints: http://es:9200\n    dataStream: { eventsDataset: a, alertsDataset: a }\n',
      ),
    ).toMatch(/cfg\.yaml:5:52: exporters\[0\]\.data_stream\.alerts_dataset: must differ from events_dataset$/);
    // a delivery bound is reported where it was set: the top level, or the exporter
    expect(
      checkError(
        'version: 1\ndelivery: { max_queue_items: 10 }\nexporters:\n  - type: console\n    delivery: { max_batch_items: 50 }\n',
      ),
    ).toMatch(/cfg\.yaml:5:34: exporters\[0\]\.delivery\.max_batch_items: must be <= max_queue_items \(10\), got 50$/);
    expect(
      checkError(
        'version: 1\ndelivery: { max_batch_items: 50 }\nexporters:\n  - type: console\n    delivery: { max_queue_items: 10 }\n',
      ),
    ).toMatch(/cfg\.yaml:2:30: delivery\.max_batch_items: must be <= max_queue_items \(10\), got 50$/);
  });
});

describe('workers', () => {
  it('0-64, default 0; config check says it and warns about more threads than cores', () => {
    expect(checkError('version: 1\nworkers: 65\nexporters: [{ type: console }]\n')).toMatch(
      /cfg\.yaml:2:10: workers: must be <= 64$/,
    );
    expect(checkError('version: 1\nworkers: -1\nexporters: [{ type: console }]\n')).toMatch(/workers: must be >= 0$/);
    const none = checkConfigFile(tmp('version: 1\nexporters: [{ type: console }]\n'), {});
    expect(none.summary).toContain('workers: 0 (decode and map on the main thread)');
    const two = checkConfigFile(tmp('version: 1\nworkers: 2\nexporters: [{ type: console }]\n'), {});
    expect(two.summary).toContain('workers: 2 thread(s) decode and map (each its own heap, outside memory_limit_mib)');
    const many = os.availableParallelism() + 1;
    const over = checkConfigFile(tmp(`version: 1\nworkers: ${many}\nexporters: [{ type: console }]\n`), {});
    expect(over.warnings.join('\n')).toMatch(`cfg.yaml:2:10: workers: ${many} worker thread(s) on `);
  });
});
