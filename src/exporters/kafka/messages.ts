// One Kafka message per event: topic by event kind, key = container id else host name (one workload stays
// ordered in one partition), headers naming the event and the schema of the value.

import { ecsJsonBuffer } from '../../model/ecs-bytes.ts';
import type { EcsRecord, OtelRecord, TraceeRecord } from '../../model/records.ts';
import { STRUCTURED_SCHEMA_VERSION } from '../../normalize/print-structured.ts';
import { encodeLogsProto } from '../otlp-http/encode-logs-proto.ts';
import type { SdkResourceCache } from '../otlp-http/sdk-resource-cache.ts';

export interface KafkaMessage {
  topic: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** Header names (values are UTF-8 strings). */
export const HEADER = {
  eventName: 'tracee.event.name',
  encoding: 'tracee.encoding', // otlp_proto | ecs_json | tracee_json
  schemaVersion: 'schema.version', // ECS version (ecs_json), OTLP proto version (otlp_proto), Tracee event schema (tracee_json)
  hostName: 'host.name', // tracee_json: the node (Tracee's event does not name it)
} as const;

/** The opentelemetry-proto major the encoder writes (ExportLogsServiceRequest of collector/logs/v1). */
export const OTLP_PROTO_VERSION = 'v1';

type Topics = { events: string; alerts: string };

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function ecsMessage(rec: EcsRecord, topics: Topics): KafkaMessage {
  const doc = rec.doc as Record<string, Record<string, unknown> | undefined>;
  const key = str(doc.container?.id) ?? str(doc.host?.name) ?? null;
  const headers: Record<string, string> = { [HEADER.encoding]: 'ecs_json' };
  const action = str(doc.event?.action);
  if (action) headers[HEADER.eventName] = action;
  const ecsVersion = str(doc.ecs?.version);
  if (ecsVersion) headers[HEADER.schemaVersion] = ecsVersion;
  return {
    topic: rec.kind === 'alert' ? topics.alerts : topics.events,
    key,
    value: ecsJsonBuffer(rec),
    headers,
  };
}

export function otelMessage(rec: OtelRecord, topics: Topics, cache: SdkResourceCache): KafkaMessage {
  const ra = rec.resource.attributes;
  const key = str(ra['container.id']) ?? str(ra['host.name']) ?? null;
  const headers: Record<string, string> = {
    [HEADER.encoding]: 'otlp_proto',
    [HEADER.schemaVersion]: OTLP_PROTO_VERSION,
  };
  if (rec.eventName) headers[HEADER.eventName] = rec.eventName;
  return {
    // the mapper writes event.kind as tracee.event.kind (severity cannot tell: a detection may be INFO)
    topic: rec.attributes['tracee.event.kind'] === 'alert' ? topics.alerts : topics.events,
    key,
    // one ExportLogsServiceRequest per message (the Collector kafkareceiver's otlp_proto); copied: the
    // encoder reuses its buffer
    value: Buffer.from(encodeLogsProto([rec], cache)),
    headers,
  };
}

/**
 * tracee_json: the event in Tracee's own structured (v1beta1) JSON shape, re-serialized from the normalized
 * event after the exporter's `redact:` (so never the raw input line: that would carry what `redact:` removes).
 */
export function traceeMessage(rec: TraceeRecord, topics: Topics): KafkaMessage {
  const headers: Record<string, string> = {
    [HEADER.encoding]: 'tracee_json',
    [HEADER.schemaVersion]: STRUCTURED_SCHEMA_VERSION,
    [HEADER.eventName]: rec.name,
  };
  if (rec.hostName) headers[HEADER.hostName] = rec.hostName;
  return {
    topic: rec.kind === 'alert' ? topics.alerts : topics.events,
    key: rec.containerId ?? rec.hostName ?? null,
    value: Buffer.from(rec.json),
    headers,
  };
}
