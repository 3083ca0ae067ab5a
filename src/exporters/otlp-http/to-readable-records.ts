// OtelRecord (our model) → ReadableLogRecord (the shape the OTel JS serializers read). No copying of
// attributes or body: the serializers only read them.

import type { AnyValue, Attributes, HrTime } from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { OtelRecord } from '../../model/records.ts';
import type { SdkResourceCache } from './sdk-resource-cache.ts';
import { EXPORTER_NAME, EXPORTER_VERSION } from './version.ts';

const NS_PER_SEC = 1_000_000_000n;

/** One scope object for all records (the serializers group ScopeLogs by its identity). */
export const INSTRUMENTATION_SCOPE: ReadableLogRecord['instrumentationScope'] = Object.freeze({
  name: EXPORTER_NAME,
  version: EXPORTER_VERSION,
});

/**
 * Epoch nanoseconds → HrTime [seconds, nanoseconds], exact (both parts are safe integers for any
 * time before year 285 million). Negative times are clamped to 0 (fixed64 cannot carry them).
 */
export function nsToHrTime(ns: bigint): HrTime {
  if (ns <= 0n) return [0, 0];
  return [Number(ns / NS_PER_SEC), Number(ns % NS_PER_SEC)];
}

export function toReadableLogRecord(rec: OtelRecord, cache: SdkResourceCache): ReadableLogRecord {
  return {
    hrTime: nsToHrTime(rec.timeUnixNano),
    hrTimeObserved: nsToHrTime(rec.observedTimeUnixNano),
    severityNumber: rec.severityNumber,
    severityText: rec.severityText,
    // Our AttrValue allows nested maps (OTLP kvlist); the serializers write them, the API types are narrower.
    body: rec.body as AnyValue | undefined,
    eventName: rec.eventName,
    resource: cache.get(rec.resource),
    instrumentationScope: INSTRUMENTATION_SCOPE,
    attributes: rec.attributes as Attributes,
    droppedAttributesCount: 0,
  };
}
