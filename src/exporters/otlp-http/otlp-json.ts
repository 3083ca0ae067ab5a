// One OtelRecord → one OTLP/JSON ResourceLogs object, exactly as the OTLP/HTTP exporter would send
// it with default settings (same record conversion, same resource defaults, the OpenTelemetry JS
// JSON serializer: no hand-written encoding). The defaults are resolved at the first record, not at
// import.

import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { OtelRecord } from '../../model/records.ts';
import { resolveOtlpOptions } from './options.ts';
import { createSdkResourceCache, type SdkResourceCache } from './sdk-resource-cache.ts';
import { toReadableLogRecord } from './to-readable-records.ts';

let cache: SdkResourceCache | undefined;
const decoder = new TextDecoder();

function defaultResources(): SdkResourceCache {
  if (cache === undefined) {
    const defaults = resolveOtlpOptions({}, {}, () => {});
    cache = createSdkResourceCache({ defaults: defaults.resourceDefaults, overrides: {} });
  }
  return cache;
}

export function otlpJsonResourceLogs(r: OtelRecord): unknown {
  const req = JSON.parse(otlpJsonRequest(r)) as { resourceLogs: unknown[] };
  return req.resourceLogs[0];
}

/** One OtelRecord → the JSON text of a whole ExportLogsServiceRequest ({"resourceLogs":[…]}). */
export function otlpJsonRequest(r: OtelRecord): string {
  return decoder.decode(JsonLogsSerializer.serializeRequest([toReadableLogRecord(r, defaultResources())]));
}
