// The config model of `type: otlp_http` (docs/exporters/otlp-http.md). The code's options
// (./options.ts, camelCase) are this config with its keys camel-cased (camelOptions).

import { schema, type FromSchema } from '../../util/schema-type.ts';
import { resourceAttributesSchema } from '../kind.ts';
import { OTLP_DEFAULTS } from './options.ts';

export const otlpHttpExporterSchema = schema({
  description:
    'otlp_http exporter (docs/exporters/otlp-http.md). Unset keys fall back to OTEL_EXPORTER_OTLP_LOGS_* then OTEL_EXPORTER_OTLP_* (OTel spec), then the default.',
  properties: {
    endpoint: {
      type: 'string',
      description: 'Base URL; /v1/logs is appended (like OTEL_EXPORTER_OTLP_ENDPOINT). Default http://localhost:4318.',
    },
    logs_endpoint: {
      type: 'string',
      description: 'Full logs URL used as is (like OTEL_EXPORTER_OTLP_LOGS_ENDPOINT); wins over endpoint.',
    },
    headers: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description:
        'Extra request headers (e.g. authorization), merged per name over OTEL_EXPORTER_OTLP_[LOGS_]HEADERS. Values are secrets: masked by config print.',
    },
    compression: {
      enum: ['gzip', 'none'],
      default: OTLP_DEFAULTS.compression,
      description: 'Request body compression.',
    },
    timeout_ms: {
      type: 'integer',
      minimum: 1,
      default: OTLP_DEFAULTS.timeoutMs,
      description: 'Whole-request deadline (connect + upload + response).',
    },
    protocol: { enum: ['http/protobuf', 'http/json'], default: OTLP_DEFAULTS.protocol, description: 'OTLP encoding.' },
    tls: {
      type: 'object',
      additionalProperties: false,
      description: 'TLS towards the collector (https endpoints).',
      properties: {
        ca_file: {
          type: 'string',
          description: "PEM CA bundle that signs the collector's certificate (replaces the default CAs).",
        },
        cert_file: { type: 'string', description: 'PEM client certificate (mTLS); needs key_file.' },
        key_file: { type: 'string', description: 'PEM client private key (mTLS); needs cert_file.' },
        insecure_skip_verify: {
          type: 'boolean',
          default: false,
          description: "Do not verify the collector's certificate (tests only).",
        },
      },
    },
    service_name: {
      type: 'string',
      description: 'service.name of the resource (default tracee; OTEL_SERVICE_NAME applies).',
    },
    resource_attributes: {
      ...resourceAttributesSchema,
      description:
        "Extra resource attributes for every workload resource (win over the mapper's; OTEL_RESOURCE_ATTRIBUTES applies).",
    },
    max_request_bytes: {
      type: 'integer',
      minimum: 1024,
      default: OTLP_DEFAULTS.maxRequestBytes,
      description: 'A batch whose encoding is larger is split over several requests.',
    },
    max_response_bytes: {
      type: 'integer',
      minimum: 1024,
      default: OTLP_DEFAULTS.maxResponseBytes,
      description: 'Response bodies are read up to this size.',
    },
  },
});
export type OtlpHttpExporterConfig = FromSchema<typeof otlpHttpExporterSchema>;
