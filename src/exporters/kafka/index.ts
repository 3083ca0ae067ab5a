// Kafka exporter (target 'otel' with encoding otlp_proto, 'ecs' with ecs_json, 'tracee' with tracee_json): public surface, re-exports only.
export { createKafkaExporter } from './exporter.ts';
export type { KafkaExporter, KafkaExporterDeps } from './exporter.ts';
export { HEADER, OTLP_PROTO_VERSION } from './messages.ts';
export { KAFKA_DEFAULTS, KafkaOptionsError, resolveKafkaOptions } from './options.ts';
export type { KafkaCompression, KafkaEncoding, KafkaExporterOptions, ResolvedKafkaOptions } from './options.ts';
