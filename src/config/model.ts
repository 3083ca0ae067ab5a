// The run configuration's model: the JSON Schema of the whole file and its TypeScript type,
// assembled from the parts each component owns:
//   sources[]            src/sources/<kind>/schema.ts, by src/sources/registry.ts
//   exporters[]          src/exporters/<kind>/schema.ts, by src/exporters/registry.ts
//   delivery, dead_letter src/delivery/config-schema.ts (delivery.buffer included)
//   telemetry            src/telemetry/config.ts
//   log, node, mapping, the exporter keys the pipeline handles: here
// Every key is snake_case. Defaults are the schemas' `default`s, taken from the constants the
// code uses; `config print` fills them in. src/config/run-config.schema.json is this schema
// written out for editors (npm run docs:gen; a test keeps it equal).

import { EXPORTER_KINDS, type ExporterConfigOf } from '../exporters/registry.ts';
import { SOURCE_KINDS, type SourceConfig } from '../sources/registry.ts';
import {
  deadLetterSchema,
  deliverySchema,
  type DeadLetterConfig,
  type DeliveryConfig,
} from '../delivery/config-schema.ts';
import { telemetrySchema, type TelemetryConfig } from '../telemetry/config.ts';
import { schema, type FromSchema, type JsonSchema } from '../util/schema-type.ts';

export type { SourceConfig, DeliveryConfig, DeadLetterConfig, TelemetryConfig };

export const LOG_DEFAULTS = { format: 'text', level: 'info' } as const;

/** `log:`: how tracee-exporter writes its own log lines (stderr). */
export const logSchema = schema({
  type: 'object',
  additionalProperties: false,
  description: "The exporter's own log on stderr.",
  properties: {
    format: {
      enum: ['text', 'json'],
      default: LOG_DEFAULTS.format,
      description:
        "text: one readable line per message; json: one JSON object per line (level, time, msg, component, …), as the Collector's encoding: json.",
    },
    level: {
      enum: ['debug', 'info', 'warn', 'error'],
      default: LOG_DEFAULTS.level,
      description: 'Least severe level written.',
    },
  },
});
export type LogConfig = FromSchema<typeof logSchema>;

export const nodeSchema = schema({
  type: 'object',
  additionalProperties: false,
  description: 'The node Tracee watches; defaults from NODE_NAME / TRACEE_EXPORTER_CLUSTER_NAME / the hostname.',
  properties: {
    name: { type: 'string' },
    cluster_name: { type: 'string' },
    host_id: { type: 'string' },
    tracee_version: { type: 'string' },
  },
});

export const mappingSchema = schema({
  type: 'object',
  additionalProperties: false,
  properties: {
    files: {
      type: 'array',
      items: { type: 'string' },
      description: 'Extra mapping tables applied over the built-in ones.',
    },
    overrides: {
      type: 'object',
      description: 'An inline mapping table (fields, drop, events), as in mappings/README.md.',
    },
  },
});

const names = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

/** The keys every exporter entry has, whatever its type: the pipeline handles them (routes.ts). */
export const exporterCommonSchema = schema({
  type: 'object',
  required: ['type'],
  properties: {
    type: {
      type: 'string',
      description:
        'Which exporter: console (NDJSON to stdout/stderr/a file), otlp_http (OTLP/HTTP logs), elasticsearch (ECS documents into data streams), opensearch (the same ECS documents into OpenSearch data streams), kafka (one message per event on Kafka topics), module (a third-party exporter, docs/exporters/plugins.md).',
    },
    name: {
      type: 'string',
      description:
        'Name in logs, metrics, the dead letter and TRACEE_EXPORTER_EXPORTERS__<NAME>__… variables (default: the type).',
    },
    delivery: deliverySchema,
    module: {
      type: 'string',
      minLength: 1,
      description:
        'type module: an npm package name, or a path to a .js/.mjs/.ts module relative to this config file, exporting createExporter(options, context) (docs/exporters/plugins.md).',
    },
    filter: {
      type: 'object',
      additionalProperties: false,
      description:
        'Which events this exporter gets (docs/exporters/filters.md); every condition given must hold. Absent: every event.',
      properties: {
        event_names: { ...names, description: 'Only these event names; * matches any characters (security_*).' },
        exclude_event_names: { ...names, description: 'Never these event names (* globs); wins over event_names.' },
        min_severity: {
          anyOf: [
            { type: 'integer', minimum: 0, maximum: 4 },
            { enum: ['info', 'low', 'medium', 'high', 'critical', 'INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] },
          ],
          description:
            'Only detections of at least this severity (0-4 or info..critical); events without a severity (not detections) are excluded.',
        },
        policies: { ...names, description: 'Only events that matched at least one of these Tracee policies.' },
        detections_only: { type: 'boolean', description: 'Only detections (signature events: event.kind alert).' },
      },
    },
    trim: {
      ...names,
      description:
        "Named field groups left out of this exporter's events: tracee_data, detected_from, stack, environment, args, enrichment (defined in mappings/trim.yaml).",
    },
    drop_fields: {
      ...names,
      description:
        'More fields left out: ECS field names (ecs targets) or OTel attribute names (otel targets) the mapping writes.',
    },
    redact: {
      anyOf: [
        { enum: ['none', 'default'] },
        { type: 'array', minItems: 1, items: { type: 'string', pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" } },
      ],
      default: 'default',
      description:
        'Sensitive values in events replaced by [REDACTED] before mapping (mappings/redact.yaml; docs/security.md): default (Cookie, Set-Cookie, Authorization, Proxy-Authorization headers, URL user info, token query parameters), none, or a list of table entries (cookie, set_cookie, authorization, proxy_authorization, url_credentials, token_query_parameters, default) and extra header names.',
    },
  },
});
type ExporterCommon = FromSchema<typeof exporterCommonSchema>;

/** One built-in exporter entry: a union discriminated by `type`. */
export type BuiltinExporterConfig = {
  [T in keyof ExporterConfigOf]: ExporterCommon & ExporterConfigOf[T] & { type: T };
}[keyof ExporterConfigOf];
/** A `type: module` entry: its own keys are the plugin's business. */
export type PluginExporterConfig = ExporterCommon & { type: 'module'; module: string; [k: string]: unknown };
export type ExporterConfig = BuiltinExporterConfig | PluginExporterConfig;

const typeIs = (t: string) => ({ properties: { type: { const: t } } });

function sourceItemSchema(): JsonSchema {
  return {
    type: 'object',
    required: ['type'],
    properties: { type: { enum: Object.keys(SOURCE_KINDS) } },
    allOf: Object.entries(SOURCE_KINDS).map(([t, k]) => ({
      if: typeIs(t),
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword
      then: { ...k.schema, additionalProperties: false },
    })),
  };
}

function exporterItemSchema(): JsonSchema {
  const { properties, ...rest } = exporterCommonSchema;
  return {
    ...rest,
    properties: {
      ...properties,
      type: { ...properties.type, type: undefined, enum: [...Object.keys(EXPORTER_KINDS), 'module'] },
    },
    // biome-ignore-start lint/suspicious/noThenProperty: JSON Schema's if/then keyword
    allOf: [
      { if: typeIs('module'), then: { required: ['module'] }, else: { not: { required: ['module'] } } },
      ...Object.entries(EXPORTER_KINDS).map(([t, k]) => ({ if: typeIs(t), then: k.schema })),
    ],
    // biome-ignore-end lint/suspicious/noThenProperty: JSON Schema's if/then keyword
  };
}

const topSchema = schema({
  type: 'object',
  properties: {
    version: { const: 1, description: 'Config format version.' },
    memory_limit_mib: {
      type: 'integer',
      minimum: 0,
      default: 128,
      description:
        'Soft memory limit in MiB on the heap the process holds (V8 heap used + Buffers), like the Collector\'s memory_limiter but never dropping: over it, sources wait before their next event (a webhook request answers 503 after max_queue_wait_ms) until the deliveries drain; 0 turns it off. `run` also caps V8\'s heap from it; a heap flag of your own (NODE_OPTIONS / node --max-old-space-size …) wins for what it sets (docs/delivery.md "Memory").',
    },
    workers: {
      type: 'integer',
      minimum: 0,
      maximum: 64,
      default: 0,
      description:
        'Worker threads that decode and map events (docs/performance.md "Worker threads"): 0 does it on the main thread; N > 0 runs it in N threads while the main thread reads, pushes and settles, each source\'s order kept. Worth it only with cores to spare beyond the main thread\'s (the main thread then spends ~1/6 of the CPU per event; all threads together 10-30% more); each worker adds ~35-45 MB of resident memory, outside memory_limit_mib.',
    },
    data_dir: {
      type: 'string',
      minLength: 1,
      description:
        'Where state that survives a restart is kept (file source checkpoints under checkpoints/; the disk buffer). Default: TRACEE_EXPORTER_DATA_DIR, else /var/lib/tracee-exporter.',
    },
    log: logSchema,
    node: nodeSchema,
    mapping: mappingSchema,
    dead_letter: deadLetterSchema,
    delivery: deliverySchema,
    telemetry: telemetrySchema,
  },
});

/** The run configuration, as loaded (after the environment, before defaults). */
export type RunConfig = FromSchema<typeof topSchema> & {
  version: 1;
  sources?: SourceConfig[];
  exporters: ExporterConfig[];
};

let assembled: JsonSchema | undefined;

/** The JSON Schema of the run configuration (draft-07), assembled once. */
export function runConfigSchema(): JsonSchema {
  return (assembled ??= JSON.parse(
    JSON.stringify({
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: 'https://tracee-exporter.invalid/schema/config/1',
      title: 'tracee-exporter run configuration (version 1)',
      type: 'object',
      additionalProperties: false,
      required: ['version', 'exporters'],
      properties: {
        version: topSchema.properties.version,
        memory_limit_mib: topSchema.properties.memory_limit_mib,
        workers: topSchema.properties.workers,
        data_dir: topSchema.properties.data_dir,
        log: logSchema,
        node: nodeSchema,
        sources: { type: 'array', description: 'Where events come from (default: stdin).', items: sourceItemSchema() },
        mapping: mappingSchema,
        dead_letter: deadLetterSchema,
        delivery: deliverySchema,
        telemetry: telemetrySchema,
        exporters: { type: 'array', minItems: 1, items: exporterItemSchema() },
      },
    }),
  ) as JsonSchema);
}
