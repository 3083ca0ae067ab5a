export { createTelemetry, reasonCode } from './telemetry.ts';
export type {
  DeliveryReading,
  ExporterSnapshot,
  ExporterState,
  ExporterTelemetry,
  Phase,
  Telemetry,
  TelemetryOptions,
  TelemetrySnapshot,
  WebhookReading,
  DeadLetterReading,
  ForwardReading,
  FileReading,
  GrpcTelemetry,
  GrpcSnapshot,
} from './telemetry.ts';
export { createTelemetryServer } from './server.ts';
export type { TelemetryServer, TelemetryServerOptions } from './server.ts';
export { progressLine, startProgressLog } from './progress-log.ts';
export { timedExporter } from './timed-exporter.ts';
export { judgeReadiness } from './readiness.ts';
export type { Readiness } from './readiness.ts';
export { METRIC_PREFIX } from './metrics.ts';
export { TELEMETRY_DEFAULTS, TELEMETRY_LISTEN_ENV } from './config.ts';
export type { ResolvedTelemetryConfig, TelemetryConfig } from './config.ts';
