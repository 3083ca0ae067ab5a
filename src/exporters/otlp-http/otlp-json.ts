// One OtelRecord → one OTLP/JSON ResourceLogs object, exactly as the OTLP/HTTP exporter would send
// it with default settings (same record conversion, same resource defaults, the OpenTelemetry JS
// JSON serializer: no hand-written encoding).

import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { OtelRecord } from '../model/records.ts';
import { resolveOtlpOptions } from '../exporters/otlp-http/options.ts';
import { createSdkResourceCache } from '../exporters/otlp-http/sdk-resource-cache.ts';
import { toReadableLogRecord } from '../exporters/otlp-http/to-readable-records.ts';

const defaults = resolveOtlpOptions({}, {}, () => {});
const cache = createSdkResourceCache({ defaults: defaults.resourceDefaults, overrides: {} });
const decoder = new TextDecoder();

export function otlpJsonResourceLogs(r: OtelRecord): unknown {
  const req = JSON.parse(otlpJsonRequest(r)) as { resourceLogs: unknown[] };
  return req.resourceLogs[0];
}

/** One OtelRecord → the JSON text of a whole ExportLogsServiceRequest ({"resourceLogs":[…]}). */
export function otlpJsonRequest(r: OtelRecord): string {
  return decoder.decode(JsonLogsSerializer.serializeRequest([toReadableLogRecord(r, cache)]));
}
