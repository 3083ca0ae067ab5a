// The telemetry section of the run config (`telemetry:`) and its defaults. The HTTP server is off
// unless `listen` is set (or TRACEE_EXPORTER_TELEMETRY_LISTEN, which wins); the progress log is on
// by default. Resolution (env overlay, listen parsing) is in src/config/run-config.ts.

export interface TelemetryConfig {
  /** host:port, [ipv6]:port or :port of the /metrics, /healthz, /readyz server. Absent: no server. */
  listen?: string;
  /** One progress line on stderr every this many ms (default 60000); 0 = off. */
  log_interval_ms?: number;
  /**
   * /readyz answers 503 once every exporter has been retrying (no send answered) for longer than
   * this (default 60000 ms), or when the only sources are gRPC streams and all have been down that
   * long; 0 = readiness ignores the destinations and the streams.
   */
  not_ready_after_retrying_ms?: number;
}

export const TELEMETRY_LISTEN_ENV = 'TRACEE_EXPORTER_TELEMETRY_LISTEN';

export const TELEMETRY_DEFAULTS = {
  logIntervalMs: 60_000,
  notReadyAfterRetryingMs: 60_000,
} as const;

export interface ResolvedTelemetryConfig {
  /** Where the server listens; undefined = no server. `text` is the configured form, for messages. */
  listen: { host: string | undefined; port: number; text: string } | undefined;
  logIntervalMs: number;
  notReadyAfterRetryingMs: number;
}
