// OTLP/HTTP logs exporter (target 'otel'): public surface, re-exports only.
export { createOtlpHttpExporter, redactUrl } from './exporter.ts';
export type { OtlpHttpExporter, OtlpHttpExporterDeps } from './exporter.ts';
export { OTLP_DEFAULTS, OtlpOptionsError, redactOtlpOptions, resolveOtlpOptions } from './options.ts';
export type {
  Env,
  OtlpCompression,
  OtlpHttpOptions,
  OtlpProtocol,
  OtlpTlsOptions,
  ResolvedOtlpOptions,
  ResolvedOtlpTls,
  WarnFn,
} from './options.ts';
