// `type: console` in the exporter registry.

import { camelOptions, type CamelCased } from '../../util/schema-type.ts';
import type { ExporterKind } from '../kind.ts';
import { createConsoleExporter, type ConsoleExporterOptions } from './exporter.ts';
import { consoleExporterSchema, type ConsoleExporterConfig } from './schema.ts';

export const consoleExporterKind: ExporterKind<ConsoleExporterConfig> = {
  schema: consoleExporterSchema,
  create: (c) =>
    createConsoleExporter(
      camelOptions(consoleExporterSchema, c) as CamelCased<ConsoleExporterConfig> satisfies ConsoleExporterOptions,
    ),
  target: (c) => (c.format === 'otlp-json' ? 'otel' : 'ecs'),
  check: (c) => `${(c as { name?: string }).name ?? 'console'} → ${c.path ?? 'stdout'} (${c.format ?? 'ecs'})`,
};
