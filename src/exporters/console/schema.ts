// The config model of `type: console`.

import { schema, type FromSchema } from '../../util/schema-type.ts';

export const consoleExporterSchema = schema({
  description: 'console exporter: one JSON line per event.',
  properties: {
    format: {
      enum: ['ecs', 'otlp-json'],
      default: 'ecs',
      description: 'ecs: one ECS document per line; otlp-json: one OTLP/JSON ResourceLogs per line.',
    },
    path: { type: 'string', default: 'stdout', description: 'stdout, stderr or a file path (appended).' },
  },
});
export type ConsoleExporterConfig = FromSchema<typeof consoleExporterSchema>;
