// One OtelRecord → one OTLP/JSON ResourceLogs object, in the standard OTLP JSON encoding as the
// OpenTelemetry JS serializer writes it (no hand-written encoding).

import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { OtelRecord } from '../model/records.ts';
import { EXPORTER_NAME, EXPORTER_VERSION } from '../version.ts';

const scope = { name: EXPORTER_NAME, version: EXPORTER_VERSION };
const decoder = new TextDecoder();

export function otlpJsonResourceLogs(r: OtelRecord): unknown {
  const sec = r.timeUnixNano / 1_000_000_000n;
  const obsSec = r.observedTimeUnixNano / 1_000_000_000n;
  const rec = {
    hrTime: [Number(sec), Number(r.timeUnixNano - sec * 1_000_000_000n)],
    hrTimeObserved: [Number(obsSec), Number(r.observedTimeUnixNano - obsSec * 1_000_000_000n)],
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    body: r.body,
    eventName: r.eventName,
    resource: resourceFromAttributes(r.resource.attributes),
    instrumentationScope: scope,
    attributes: r.attributes,
    droppedAttributesCount: 0,
  } as unknown as ReadableLogRecord;
  const bytes = JsonLogsSerializer.serializeRequest([rec]);
  const req = JSON.parse(decoder.decode(bytes)) as { resourceLogs: unknown[] };
  return req.resourceLogs[0];
}
