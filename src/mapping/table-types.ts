// The mapping table format (mappings/schema/mapping-table.schema.json) as TypeScript types.

export interface Row {
  from?: string | string[];
  value?: string | number | boolean | unknown[];
  /** ECS fields of the same document, read after every other row: the value is the list of theirs (undefined where missing). */
  collect?: string[];
  ecs?: string;
  otel?: string;
  resource?: string;
  transform?: string | string[];
  when?: string | string[];
  type?: string; // Elasticsearch type of a tracee.* field
  array?: boolean; // a tracee.* / labels.* field that holds a list of `type` values
  note?: string;
}

export interface EventGroup {
  names: string[];
  category?: string[];
  type?: string[];
  fields?: Array<Row | Row[]>;
  /**
   * Targets the common and detection rows do not write for these events: where the event's context
   * is not the process the document is about (sched_process_fork runs in the parent, describes the child).
   */
  drop?: Array<{ ecs?: string; otel?: string }>;
}

export interface RecordField {
  from?: string | string[];
  value?: string | number;
  transform?: string | string[];
  default?: string | number;
}

export interface TableFile {
  defaults?: { category?: string[]; type?: string[] };
  category?: string[];
  type?: string[];
  fields?: Array<Row | Row[]>;
  events?: EventGroup[];
  record?: { event_name?: RecordField; severity_number?: RecordField; severity_text?: RecordField; body?: RecordField };
  drop?: Array<{ ecs?: string; otel?: string; resource?: string }>;
}

/** Everything the compiler needs, as loaded from mappings/ plus user overrides. */
export interface MappingTables {
  common: TableFile;
  detections: TableFile;
  record: TableFile;
  events: Array<{ file: string; table: TableFile }>;
  lookups: Record<string, unknown>;
  /** ECS 9.4.0 fields (mappings/reference, generated): type, array, allowed values, expected event types per category. */
  ecsTypes: Record<
    string,
    { type: string; array?: boolean; allowed?: string[]; expected_types?: Record<string, string[]> }
  >;
  otelTypes: Record<string, { type: string; deprecated?: boolean }>;
  /** User overrides (config `mapping:`), applied after the built-in tables. */
  overrides: TableFile[];
}
