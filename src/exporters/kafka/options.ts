// Options of the Kafka exporter (docs/exporters/kafka.md) and their resolution to defaults.
// The producer always uses acks=all (-1), not idempotent (docs/exporters/kafka.md): not options, the delivery guarantees depend on them.

import type { AttrValue } from '../../model/records.ts';

export type KafkaEncoding = 'otlp_proto' | 'ecs_json' | 'tracee_json';
export type KafkaCompression = 'gzip' | 'none';
export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaTlsOptions {
  /** true = TLS with the system CAs; an object = TLS with these settings. */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  insecureSkipVerify?: boolean;
}

export interface KafkaExporterOptions {
  brokers?: string | string[];
  clientId?: string;
  encoding?: KafkaEncoding;
  topics?: { events?: string; alerts?: string };
  compression?: KafkaCompression;
  tls?: boolean | KafkaTlsOptions;
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** A message whose encoded value is larger is dead-lettered before sending (broker default message.max.bytes ≈ 1 MiB). */
  maxMessageBytes?: number;
  /** otlp_proto: service.name of the resource (default tracee). */
  serviceName?: string;
  /** otlp_proto: extra resource attributes for every workload (win over the mapper's). */
  resourceAttributes?: Record<string, AttrValue>;
}

export interface ResolvedKafkaOptions {
  brokers: string[];
  clientId: string;
  encoding: KafkaEncoding;
  topics: { events: string; alerts: string };
  compression: KafkaCompression;
  tls: false | KafkaTlsOptions;
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  maxMessageBytes: number;
  serviceName: string;
  resourceAttributes: Record<string, AttrValue>;
}

export const KAFKA_DEFAULTS = {
  clientId: 'tracee-exporter',
  encoding: 'otlp_proto' as KafkaEncoding,
  topics: { events: 'tracee.events', alerts: 'tracee.alerts' },
  compression: 'gzip' as KafkaCompression,
  connectionTimeoutMs: 3000,
  requestTimeoutMs: 30000,
  maxMessageBytes: 1_000_000,
  serviceName: 'tracee',
};

export class KafkaOptionsError extends Error {
  readonly path: string;
  readonly reason: string;
  constructor(key: string, message: string) {
    super(`kafka exporter: ${key}: ${message}`);
    this.name = 'KafkaOptionsError';
    this.path = key;
    this.reason = message;
  }
}

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/; // Kafka's legal topic names

export function resolveKafkaOptions(o: KafkaExporterOptions): ResolvedKafkaOptions {
  const brokers =
    typeof o.brokers === 'string'
      ? o.brokers
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : (o.brokers ?? []);
  if (brokers.length === 0) throw new KafkaOptionsError('brokers', 'at least one host:port is required');
  for (const b of brokers)
    if (!/^[^\s:]+:[0-9]{1,5}$/.test(b) && !/^\[[^\]]+\]:[0-9]{1,5}$/.test(b))
      throw new KafkaOptionsError('brokers', `${JSON.stringify(b)} is not host:port`);
  const topics = { ...KAFKA_DEFAULTS.topics, ...(o.topics ?? {}) };
  for (const [k, t] of Object.entries(topics))
    if (!TOPIC.test(t) || t === '.' || t === '..')
      throw new KafkaOptionsError(`topics.${k}`, `${JSON.stringify(t)} is not a legal Kafka topic name`);
  if (o.encoding !== undefined && !['otlp_proto', 'ecs_json', 'tracee_json'].includes(o.encoding))
    throw new KafkaOptionsError(
      'encoding',
      `must be otlp_proto, ecs_json or tracee_json, got ${JSON.stringify(o.encoding)}`,
    );
  if (o.sasl && !['plain', 'scram-sha-256', 'scram-sha-512'].includes(o.sasl.mechanism))
    throw new KafkaOptionsError('sasl.mechanism', `must be plain, scram-sha-256 or scram-sha-512`);
  return {
    brokers,
    clientId: o.clientId ?? KAFKA_DEFAULTS.clientId,
    encoding: o.encoding ?? KAFKA_DEFAULTS.encoding,
    topics,
    compression: o.compression ?? KAFKA_DEFAULTS.compression,
    tls: o.tls === true ? {} : o.tls || false,
    sasl: o.sasl,
    connectionTimeoutMs: o.connectionTimeoutMs ?? KAFKA_DEFAULTS.connectionTimeoutMs,
    requestTimeoutMs: o.requestTimeoutMs ?? KAFKA_DEFAULTS.requestTimeoutMs,
    maxMessageBytes: o.maxMessageBytes ?? KAFKA_DEFAULTS.maxMessageBytes,
    serviceName: o.serviceName ?? KAFKA_DEFAULTS.serviceName,
    resourceAttributes: o.resourceAttributes ?? {},
  };
}
