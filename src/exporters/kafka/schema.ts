// The config model of `type: kafka` (docs/exporters/kafka.md). The code's options (./options.ts,
// camelCase) are this config with its keys camel-cased (camelOptions).

import { schema, type FromSchema } from '../../util/schema-type.ts';
import { resourceAttributesSchema } from '../kind.ts';
import { KAFKA_DEFAULTS } from './options.ts';

const K = KAFKA_DEFAULTS;
export const kafkaExporterSchema = schema({
  description: 'kafka exporter (docs/exporters/kafka.md): one message per event, acks=all, at-least-once.',
  required: ['brokers'],
  properties: {
    brokers: {
      anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
      description: 'Bootstrap brokers, host:port (a list, or one comma-separated string).',
    },
    client_id: { type: 'string', default: K.clientId, description: 'Kafka client.id (broker logs, quotas).' },
    encoding: {
      enum: ['otlp_proto', 'ecs_json', 'tracee_json'],
      default: K.encoding,
      description:
        "otlp_proto: one OTLP ExportLogsServiceRequest per message (the Collector kafkareceiver's encoding otlp_proto); ecs_json: one ECS document per message (Logstash, Elastic Agent Kafka inputs); tracee_json: the event in Tracee's structured JSON, redacted as redact: says (no trim / drop_fields).",
    },
    topics: {
      type: 'object',
      additionalProperties: false,
      description: 'Topic per event kind.',
      properties: {
        events: { type: 'string', default: K.topics.events, description: 'Topic of raw events (event.kind event).' },
        alerts: { type: 'string', default: K.topics.alerts, description: 'Topic of detections (event.kind alert).' },
      },
    },
    compression: {
      enum: ['gzip', 'none'],
      default: K.compression,
      description: 'Record batch compression (gzip: the codec kafkajs has without native code).',
    },
    tls: {
      anyOf: [
        { type: 'boolean' },
        {
          type: 'object',
          additionalProperties: false,
          properties: {
            ca_file: { type: 'string', description: "PEM CA bundle that signs the brokers' certificates." },
            cert_file: { type: 'string', description: 'PEM client certificate (mTLS); needs key_file.' },
            key_file: { type: 'string', description: 'PEM client private key (mTLS).' },
            insecure_skip_verify: {
              type: 'boolean',
              default: false,
              description: "Do not verify the brokers' certificates (tests only).",
            },
          },
        },
      ],
      description: 'TLS to the brokers: true (system CAs) or settings. Absent: plaintext.',
    },
    sasl: {
      type: 'object',
      additionalProperties: false,
      required: ['mechanism', 'username', 'password'],
      description: 'SASL authentication. Use ${env:…} or ${file:…} for the password; masked by config print.',
      properties: {
        mechanism: { enum: ['plain', 'scram-sha-256', 'scram-sha-512'] },
        username: { type: 'string', minLength: 1 },
        password: { type: 'string' },
      },
    },
    connection_timeout_ms: {
      type: 'integer',
      minimum: 1,
      default: K.connectionTimeoutMs,
      description: 'TCP/TLS connect timeout per broker.',
    },
    request_timeout_ms: {
      type: 'integer',
      minimum: 1,
      default: K.requestTimeoutMs,
      description: 'Per produce request (acks=all waits for the in-sync replicas).',
    },
    max_message_bytes: {
      type: 'integer',
      minimum: 1024,
      default: K.maxMessageBytes,
      description: "A larger message is dead-lettered before sending (keep at or below the topic's max.message.bytes).",
    },
    service_name: { type: 'string', default: K.serviceName, description: 'otlp_proto: service.name of the resource.' },
    resource_attributes: {
      ...resourceAttributesSchema,
      description: "otlp_proto: extra resource attributes for every workload (win over the mapper's).",
    },
  },
});
export type KafkaExporterConfig = FromSchema<typeof kafkaExporterSchema>;
