// What the mapper hands to exporters: one OTel log record or one ECS document per event.
// Plain data; exporters never see the mapping tables.

/** OTel attribute values (no bigint: 64-bit values that do not fit a safe integer are strings). */
export type AttrValue = string | number | boolean | AttrValue[] | { [key: string]: AttrValue };
export type Attributes = Record<string, AttrValue>;

/**
 * The workload an event happened in (node + container + pod). The mapper returns the SAME object
 * for the same key, so exporters may cache per object identity (OTel JS groups ResourceLogs by it).
 */
export interface OtelResource {
  readonly key: string;
  readonly attributes: Attributes;
}

export interface OtelRecord {
  resource: OtelResource;
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number; // OTel SeverityNumber 1..24 (0 = unspecified)
  severityText: string;
  eventName: string;
  body?: AttrValue;
  attributes: Attributes;
  /**
   * The record as an OTLP LogRecord message (opentelemetry-proto logs.v1.LogRecord, protobuf), when
   * it carries it (src/exporters/otlp-http/encode-log-record.ts): then `attributes` and `body` are
   * decoded from these bytes on demand, and the record must not be changed.
   */
  readonly encoded?: Uint8Array;
}

export type EcsKind = 'event' | 'alert';

export interface EcsRecord {
  /** Deterministic document id (`event.id`): replaying the same event gives the same id. */
  id: string;
  kind: EcsKind;
  /** The ECS document, nested objects, JSON-safe (no bigint, no undefined). */
  doc: Record<string, unknown>;
  /** The same document as JSON text, when the mapper wrote it directly (Mapper.toEcsJson). */
  json?: string;
}

/**
 * The normalized event in Tracee's own JSON shape (the v1beta1 structured event, as `map --to event`
 * prints it), for outputs that hand the input event on to other tools (kafka `encoding: tracee_json`).
 * Built from the event the exporter's `redact:` setting cleaned, like the ECS and OTel records.
 */
export interface TraceeRecord {
  /** The same id as the ECS `event.id` / OTel `log.record.uid` of this event. */
  id: string;
  kind: EcsKind;
  /** The Tracee event name (e.g. security_file_open). */
  name: string;
  /** The event as JSON text. */
  json: string;
  containerId?: string;
  /** The node the event came from (the mapper's node name), when known. */
  hostName?: string;
}

/** Where an input came from, for error reports and the dead-letter output. */
export interface Origin {
  source: string; // e.g. "stdin", "file:/var/log/tracee.json", "webhook", "grpc"
  line?: number; // 1-based line (NDJSON) or array index + 1
  detail?: string; // e.g. HTTP request id, stream message number
}

export function formatOrigin(o: Origin): string {
  let s = o.source;
  if (o.line !== undefined) s += `:${o.line}`;
  if (o.detail) s += ` (${o.detail})`;
  return s;
}
