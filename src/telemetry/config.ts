// The telemetry section of the run config (`telemetry:`) and its defaults. The HTTP server is off
// unless `listen` is set (or TRACEE_EXPORTER_TELEMETRY_LISTEN, which wins); the progress log is on
// by default. Resolution (env overlay, listen parsing) is in src/config/run-config.ts.

import { schema, type FromSchema } from '../util/schema-type.ts';

export const TELEMETRY_DEFAULTS = {
  logIntervalMs: 60_000,
  notReadyAfterRetryingMs: 60_000,
} as const;

export const telemetrySchema = schema({
  type: 'object',
  additionalProperties: false,
  description: 'Self-observability (docs/telemetry.md): the /metrics, /healthz, /readyz server and the progress log.',
  properties: {
    listen: {
      type: 'string',
      pattern: '^(\\[[^\\]]+\\]|[^:\\[\\]]*):[0-9]{1,5}$',
      description:
        'host:port of the /metrics, /healthz, /readyz server (e.g. 127.0.0.1:9464; 0.0.0.0:9464 in a pod for the kubelet probes). Absent: no server. TRACEE_EXPORTER_TELEMETRY_LISTEN overrides.',
    },
    log_interval_ms: {
      type: 'integer',
      minimum: 0,
      default: TELEMETRY_DEFAULTS.logIntervalMs,
      description: 'One progress line on stderr this often; 0 = off.',
    },
    not_ready_after_retrying_ms: {
      type: 'integer',
      minimum: 0,
      default: TELEMETRY_DEFAULTS.notReadyAfterRetryingMs,
      description:
        '/readyz answers 503 once every exporter has been retrying for longer than this, or when the only sources are gRPC streams and all have been down that long; 0 = readiness ignores the destinations and the streams.',
    },
  },
});
export type TelemetryConfig = FromSchema<typeof telemetrySchema>;

export const TELEMETRY_LISTEN_ENV = 'TRACEE_EXPORTER_TELEMETRY_LISTEN';

export interface ResolvedTelemetryConfig {
  /** Where the server listens; undefined = no server. `text` is the configured form, for messages. */
  listen: { host: string | undefined; port: number; text: string } | undefined;
  logIntervalMs: number;
  notReadyAfterRetryingMs: number;
}
