// Compile the mapping tables ONCE into a mapper: every row becomes a getter + transforms + a
// target writer with its type coercion; per-event tables are indexed by event name. Mapping an
// event then runs plain closures, with no table interpretation.

import type { TraceeEvent } from '../model/event.ts';
import type { AttrValue, Attributes, EcsRecord, OtelRecord, OtelResource, TraceeRecord } from '../model/records.ts';
import { toStructuredJson } from '../normalize/print-structured.ts';
import { nowNs } from '../util/time.ts';
import { type Coerce, ecsCoercion, ecsJsonKind, type EcsJsonKind, otelCoercion } from './coerce.ts';
import { indexSignatures, type MapInput, type NodeInfo, type SignatureInfo } from './input.ts';
import { MappingTableError } from './load.ts';
import { compileSources, type Getter, present, sourcesExpression } from './paths.ts';
import { compileEcsJsonWriter, EcsJsonRecord, type EcsJsonWriter, type JsonPlanRow, type RowKeys } from './ecs-json.ts';
import { createResourceInterner, sameAttributes } from './resource-interner.ts';
import { quote } from './json-text.ts';
import {
  compileOtelAttributesWriter,
  compileOtelProtoWriter,
  type OtelAttributesWriter,
  type OtelPlanRow,
  type OtelProtoWriter,
} from './otel-attrs.ts';
import { type ByteAlloc, encodedRecordFrom, toEncodedRecord } from '../exporters/otlp-http/encode-log-record.ts';
import { writeLogRecordHead, writeLogRecordTail } from '../exporters/otlp-http/encode-logs-proto.ts';
import { ProtoWriter } from '../exporters/otlp-http/proto-writer.ts';
import { slabCopy } from '../util/byte-slab.ts';
import { createInterner } from '../util/intern.ts';
import type { MappingTables, RecordField, Row, TableFile } from './table-types.ts';
import { resolveTransform, type Transform } from './transforms/index.ts';
import { eventId } from './transforms/event.ts';
import { checkAllowedValue, checkEventClass } from './ecs-allowed.ts';

export interface MapperOptions {
  node?: NodeInfo;
  /** Clock for event.created / ObservedTimestamp (ns); injectable for reproducible output. */
  now?: () => bigint;
  /** Distinct workloads (OTel Resource objects) kept; the oldest is evicted past it. */
  resourceCacheSize?: number;
  /**
   * toOtel runs the row closures one by one instead of the code generated per event group (the
   * reference the generated code is tested against; same output, slower).
   */
  interpreted?: boolean;
}

export interface EcsFieldSpec {
  name: string;
  type: string;
  array?: boolean;
}

export interface Mapper {
  toEcs(ev: TraceeEvent): EcsRecord;
  /**
   * The same document written directly as JSON text (`json`, byte for byte JSON.stringify of
   * toEcs(ev).doc); `doc` is parsed from it on first access. The fast path for NDJSON and bulk bodies.
   */
  toEcsJson(ev: TraceeEvent): EcsRecord & { json: string };
  toOtel(ev: TraceeEvent): OtelRecord;
  /**
   * The same record as its OTLP LogRecord bytes (`encoded`, byte for byte encodeLogRecord(toOtel(ev)),
   * copied out with `alloc`), attributes and body decoded from them on demand: the generated writers
   * write the attributes as protobuf directly, with no attributes object (a group whose rows do not
   * allow it is mapped with toOtel and encoded).
   */
  toOtelEncoded?(ev: TraceeEvent, alloc?: ByteAlloc): OtelRecord;
  /** The event itself in Tracee's structured JSON shape (what `map --to event` prints), with its id, kind and node. */
  toTracee(ev: TraceeEvent): TraceeRecord;
  /** Every ECS field the tables can write, with its Elasticsearch type (for index templates). */
  ecsFields(): EcsFieldSpec[];
  /** Every OTel attribute the tables can write (record and resource). */
  otelAttributes(): { record: string[]; resource: string[] };
}

interface Target {
  segs: string[];
  key: string;
  coerce: Coerce;
  template: boolean;
  /** ECS object/flattened/nested field: its JSON is the value's JSON (no coercion but bigint). */
  asJson?: boolean;
  /** ECS: what the coercion returns. */
  jsonKind?: EcsJsonKind;
}

interface CompiledRow {
  src: Row;
  get: Getter;
  when?: Getter;
  transforms: Transform[];
  ecs?: Target;
  otel?: Target;
  resource?: Target;
  /** A `collect:` row: the ECS fields (split at dots) it reads from the document, after every other row. */
  collect?: string[][];
  /** Where the row is declared, for the checks made once every table is compiled. */
  where: string;
}

// jsonEvent/jsonAlert: the group's ECS JSON writers, built on first use (null: none can be built).
// Two fields, not a record keyed by kind: a keyed read per event is a generic lookup.
// skipEcs/skipOtel: targets of common and detection rows the group does not take (EventGroup.drop).
// otelEvent/otelAlert: the group's generated OTel attribute writers, built on first use.
interface CompiledGroup {
  rows: CompiledRow[];
  category?: string[];
  type?: string[];
  skipEcs?: Set<string>;
  skipOtel?: Set<string>;
  jsonEvent?: EcsJsonWriter | null;
  jsonAlert?: EcsJsonWriter | null;
  collectEvent?: CompiledRow[];
  collectAlert?: CompiledRow[];
  otelEvent?: OtelAttributesWriter;
  otelAlert?: OtelAttributesWriter;
  /** The same rows writing protobuf (otel-attrs.ts compileOtelProtoWriter); null: the rows do not allow it. */
  protoEvent?: OtelProtoWriter | null;
  protoAlert?: OtelProtoWriter | null;
}

const TRACEE_PREFIX = 'tracee.';
/** tracee.* attributes keep one OTel type per attribute, from the row's declared ES type. */
const OTEL_TYPE_OF_ES_TYPE: Record<string, string | undefined> = {
  keyword: 'string',
  long: 'int',
  boolean: 'boolean',
  double: 'double',
  date: 'string',
  date_nanos: 'string',
  ip: 'string',
  text: 'string',
};

/** Row inputs fixed for a compiled writer (node info, event kind), and transforms of the value alone. */
const FOLDABLE_ROOTS = new Set(['node', 'kind']);
const PURE_TRANSFORMS = new Set(['lookup', 'string', 'prefix', 'basename', 'dirname', 'extension', 'count', 'first']);
const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * What a row reads and runs, as keys (JsonPlanRow.keys): rows with equal keys compute equal values,
 * so a compiled writer computes them once per event. A `value:` row has no source to share.
 */
function rowKeys(r: CompiledRow): RowKeys | undefined {
  if (r.src.from === undefined) return undefined;
  const when = r.src.when === undefined ? undefined : list(r.src.when).join('\u0000');
  const read = sourcesExpression(r.src.from, 'x');
  const readWhen = r.src.when === undefined ? undefined : sourcesExpression(r.src.when, 'x');
  return {
    source: list(r.src.from).join('\u0000'),
    ...(when === undefined ? {} : { when }),
    transforms: list(r.src.transform).filter((t) => t !== 'template'),
    ...(read === undefined ? {} : { read }),
    ...(readWhen === undefined ? {} : { readWhen }),
  };
}

function flatRows(rows: TableFile['fields']): Row[] {
  return (rows ?? []).flat(2) as Row[];
}

export function compileMapper(tables: MappingTables, opts: MapperOptions = {}): Mapper {
  const node: NodeInfo = { ...(opts.node ?? {}) };
  const now = opts.now ?? nowNs;
  const lookups = tables.lookups;
  const drops = tables.overrides.flatMap((o) => o.drop ?? []);
  const dropped = (r: Row) =>
    drops.some(
      (d) =>
        (d.ecs !== undefined && d.ecs === r.ecs) ||
        (d.otel !== undefined && d.otel === r.otel) ||
        (d.resource !== undefined && d.resource === r.resource),
    );
  const ecsFieldTypes = new Map<string, EcsFieldSpec>();
  const otelRecordKeys = new Set<string>();
  const otelResourceKeys = new Set<string>();

  function target(kind: 'ecs' | 'otel' | 'resource', name: string, row: Row, where: string): Target {
    const isTracee = name.startsWith(TRACEE_PREFIX);
    const template = (Array.isArray(row.transform) ? row.transform : [row.transform]).includes('template');
    if (kind === 'ecs') {
      let spec: EcsFieldSpec;
      const ref = tables.ecsTypes[name];
      if (isTracee || name.startsWith('labels.')) {
        if (isTracee && row.type === undefined)
          throw new MappingTableError(where, `"${name}": a tracee.* field needs a "type" (its Elasticsearch type)`);
        spec = { name, type: row.type ?? 'keyword', ...(row.array === true ? { array: true } : {}) };
      } else if (ref !== undefined) {
        spec = { name, type: ref.type, ...(ref.array ? { array: true } : {}) };
      } else {
        throw new MappingTableError(
          where,
          `"${name}" is not an ECS 9.4.0 field; put fields without a standard home under tracee.* (or labels.*)`,
        );
      }
      const known = ecsFieldTypes.get(name);
      if (known && known.type !== spec.type)
        throw new MappingTableError(where, `"${name}" declared as ${spec.type} and as ${known.type}`);
      ecsFieldTypes.set(name, spec);
      const asJson =
        spec.array !== true && (spec.type === 'object' || spec.type === 'flattened' || spec.type === 'nested');
      return {
        segs: name === '@timestamp' ? [name] : name.split('.'),
        key: name,
        coerce: ecsCoercion(spec.type, spec.array === true),
        template: false,
        asJson,
        jsonKind: ecsJsonKind(spec.type, spec.array === true),
      };
    }
    const ref = tables.otelTypes[name];
    if (!isTracee) {
      if (ref === undefined)
        throw new MappingTableError(
          where,
          `"${name}" is not an OpenTelemetry semconv 1.44.0 attribute; use tracee.* for vendor attributes`,
        );
      if (ref.deprecated) throw new MappingTableError(where, `"${name}" is deprecated in semconv 1.44.0`);
    }
    (kind === 'otel' ? otelRecordKeys : otelResourceKeys).add(name);
    const traceeType = OTEL_TYPE_OF_ES_TYPE[row.type ?? ''];
    return {
      segs: [name],
      key: name,
      coerce: otelCoercion(
        isTracee ? (traceeType !== undefined && row.array === true ? `${traceeType}[]` : traceeType) : ref?.type,
      ),
      template,
    };
  }

  function compileRow(row: Row, where: string): CompiledRow {
    let get: Getter;
    if (row.from !== undefined) get = compileSources(row.from);
    else if (row.collect !== undefined)
      get = () => undefined; // read from the document, not the input
    else {
      const v = row.value;
      get = () => v;
    }
    const transforms = (
      row.transform === undefined ? [] : Array.isArray(row.transform) ? row.transform : [row.transform]
    )
      .filter((t) => t !== 'template')
      .map((t) => {
        try {
          return resolveTransform(t, lookups);
        } catch (e) {
          throw new MappingTableError(where, (e as Error).message);
        }
      });
    const c: CompiledRow = { src: row, get, transforms, where };
    if (row.collect !== undefined) {
      if (
        row.ecs === undefined ||
        row.otel !== undefined ||
        row.resource !== undefined ||
        row.when !== undefined ||
        row.from !== undefined ||
        row.value !== undefined
      ) {
        throw new MappingTableError(
          where,
          `a collect row reads the ECS document: it writes an ecs field only, without from, value or when (${JSON.stringify(row.collect)})`,
        );
      }
      c.collect = row.collect.map((f) => (f === '@timestamp' ? [f] : f.split('.')));
    }
    if (row.when !== undefined) c.when = compileSources(row.when);
    if (row.ecs) {
      c.ecs = target('ecs', row.ecs, row, where);
      if (row.from === undefined && row.value !== undefined)
        checkAllowedValue(tables.ecsTypes, row.ecs, row.value, where);
    }
    if (row.otel) c.otel = target('otel', row.otel, row, where);
    if (row.resource) c.resource = target('resource', row.resource, row, where);
    return c;
  }

  const compileRows = (rows: Row[], where: string) => rows.filter((r) => !dropped(r)).map((r) => compileRow(r, where));

  // Rows for every event; user override rows come last so they win on the same target.
  const commonRows = compileRows(flatRows(tables.common.fields), 'common.yaml');
  for (const [i, o] of tables.overrides.entries())
    commonRows.push(...compileRows(flatRows(o.fields), `mapping override #${i + 1}`));
  const detectionRows = compileRows(flatRows(tables.detections.fields), 'detections.yaml');
  const defaults = {
    category: tables.common.defaults?.category ?? ['host'],
    type: tables.common.defaults?.type ?? ['info'],
  };
  const alertCategory = {
    category: tables.detections.category ?? ['intrusion_detection'],
    type: tables.detections.type ?? ['info'],
  };
  checkEventClass(tables.ecsTypes, defaults.category, defaults.type, 'common.yaml defaults');
  checkEventClass(tables.ecsTypes, alertCategory.category, alertCategory.type, 'detections.yaml');

  const byName = new Map<string, CompiledGroup>();
  const contextRows = [...commonRows, ...detectionRows];
  const eventSources = [
    ...tables.events.map((e) => ({ where: e.file, table: e.table })),
    ...tables.overrides.map((o, i) => ({ where: `mapping override #${i + 1}`, table: o })),
  ];
  for (const { where, table } of eventSources) {
    for (const group of table.events ?? []) {
      const rows = compileRows(flatRows(group.fields), where);
      checkEventClass(tables.ecsTypes, group.category, group.type, `${where}: events "${group.names.join(', ')}"`);
      for (const name of group.names) {
        const g = byName.get(name) ?? { rows: [] };
        g.rows.push(...rows);
        if (group.category) g.category = [...new Set([...(g.category ?? []), ...group.category])];
        if (group.type) g.type = [...new Set([...(g.type ?? []), ...group.type])];
        for (const d of group.drop ?? []) {
          const known =
            (d.ecs === undefined || contextRows.some((r) => r.ecs?.key === d.ecs)) &&
            (d.otel === undefined || contextRows.some((r) => r.otel?.key === d.otel));
          if (!known)
            throw new MappingTableError(
              where,
              `events "${group.names.join(', ')}": drop ${JSON.stringify(d)} names no target of common.yaml or detections.yaml`,
            );
          if (d.ecs !== undefined) (g.skipEcs ??= new Set()).add(d.ecs);
          if (d.otel !== undefined) (g.skipOtel ??= new Set()).add(d.otel);
        }
        byName.set(name, g);
      }
    }
  }
  // groups merged from several tables (an override adding a type) must still pair up
  for (const [name, g] of byName)
    checkEventClass(
      tables.ecsTypes,
      g.category ?? defaults.category,
      g.type ?? defaults.type,
      `event "${name}" (its tables together)`,
    );
  // event.category / event.type are written by the mapper from the groups above.
  target('ecs', 'event.category', {}, 'event categories');
  target('ecs', 'event.type', {}, 'event categories');
  checkNoPrefixConflicts([...ecsFieldTypes.keys()]);

  // collect rows read fields other rows write (not other collect rows: they all run last)
  const allCollectRows = [...contextRows, ...[...byName.values()].flatMap((g) => g.rows)].filter(
    (r) => r.collect !== undefined,
  );
  const collected = new Set(allCollectRows.map((r) => r.ecs!.key));
  for (const r of allCollectRows) {
    for (const segs of r.collect!) {
      const name = segs.join('.');
      // a field some drop removed reads as missing; a name no table and no ECS field has is a typo
      const spec =
        ecsFieldTypes.get(name) ??
        (tables.ecsTypes[name] === undefined ? undefined : { name, type: tables.ecsTypes[name].type });
      if (spec === undefined)
        throw new MappingTableError(r.where, `collect: "${name}" is not an ECS 9.4.0 field and no row writes it`);
      // an object's value is written as JSON text by the document writer: not a value to collect
      if (spec.type === 'object' || spec.type === 'flattened' || spec.type === 'nested')
        throw new MappingTableError(
          r.where,
          `collect: "${name}" is of type ${spec.type}: collect reads values, not objects`,
        );
      if (collected.has(name))
        throw new MappingTableError(r.where, `collect: "${name}" is itself written by a collect row`);
    }
  }
  const signatures = indexSignatures(lookups.signatures);
  const record = compileRecord(tables.record, lookups);
  const resources = createResourceInterner(opts.resourceCacheSize ?? 4096);
  // The Resource is the workload + node: only rows that apply to every event may feed it.
  const resourceRows = commonRows.filter((r) => r.resource !== undefined);
  for (const [name, g] of byName) {
    if (g.rows.some((r) => r.resource !== undefined))
      throw new MappingTableError(
        `events table for "${name}"`,
        'resource attributes belong in common.yaml (the Resource is the workload, the same for all its events)',
      );
  }
  if (detectionRows.some((r) => r.resource !== undefined))
    throw new MappingTableError('detections.yaml', 'resource attributes belong in common.yaml');

  function input(ev: TraceeEvent): MapInput {
    const signature = signatures.get(ev.name);
    const kind = ev.threat !== undefined || signature !== undefined ? 'alert' : 'event';
    return { event: ev, node, signature, kind, observed: now() };
  }

  function value(r: CompiledRow, i: MapInput): unknown {
    if (r.when !== undefined && !present(r.when(i))) return undefined;
    let v = r.get(i);
    if (!present(v)) return undefined;
    for (let k = 0; k < r.transforms.length; k++) {
      v = r.transforms[k](v, i);
      if (!present(v)) return undefined;
    }
    return v;
  }

  function setEcs(doc: Record<string, unknown>, t: Target, v: unknown): void {
    const x = t.coerce(v);
    if (x === undefined) return;
    let o = doc;
    const last = t.segs.length - 1;
    for (let k = 0; k < last; k++) {
      const s = t.segs[k];
      let next = o[s];
      if (next === undefined) {
        next = {};
        o[s] = next;
      } else if (next === null || typeof next !== 'object' || Array.isArray(next)) return;
      o = next as Record<string, unknown>;
    }
    o[t.segs[last]] = x;
  }

  function setAttr(attrs: Attributes, t: Target, v: unknown): void {
    if (t.template && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const m = v as Record<string, unknown>;
      for (const k of Object.keys(m)) {
        const x = t.coerce(m[k]);
        if (x !== undefined) attrs[`${t.key}.${k}`] = x as AttrValue;
      }
      return;
    }
    const x = t.coerce(v);
    if (x !== undefined) attrs[t.key] = x as AttrValue;
  }

  function runEcs(rows: CompiledRow[], i: MapInput, doc: Record<string, unknown>, skip?: Set<string>): void {
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k];
      if (r.ecs === undefined || r.collect !== undefined || skip?.has(r.ecs.key)) continue;
      const v = value(r, i);
      if (v !== undefined) setEcs(doc, r.ecs, v);
    }
  }

  /** The collect rows for a group and kind, in table order: common, detection (alerts), the group's. */
  function collectRows(g: CompiledGroup, kind: MapInput['kind']): CompiledRow[] {
    const cached = kind === 'alert' ? g.collectAlert : g.collectEvent;
    if (cached !== undefined) return cached;
    const rows = [...commonRows, ...(kind === 'alert' ? detectionRows : [])].filter(
      (r) => r.collect !== undefined && !g.skipEcs?.has(r.ecs!.key),
    );
    rows.push(...g.rows.filter((r) => r.collect !== undefined));
    if (kind === 'alert') g.collectAlert = rows;
    else g.collectEvent = rows;
    return rows;
  }

  function runOtel(rows: CompiledRow[], i: MapInput, attrs: Attributes, skip?: Set<string>): void {
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k];
      if (r.otel === undefined || skip?.has(r.otel.key)) continue;
      const v = value(r, i);
      if (v !== undefined) setAttr(attrs, r.otel, v);
    }
  }

  // the resource rows as generated code (the interpreted loop below is the reference)
  const resourceWriter = compileOtelAttributesWriter(
    resourceRows.map((r) => ({
      key: r.resource!.key,
      get: r.get,
      when: r.when,
      transforms: r.transforms,
      coerce: r.resource!.coerce,
      template: r.resource!.template,
      keys: rowKeys(r),
    })),
  );

  function resourceOf(i: MapInput): OtelResource {
    const attrs: Attributes = {};
    let key = '';
    if (opts.interpreted === true) {
      for (let k = 0; k < resourceRows.length; k++) {
        const r = resourceRows[k];
        const v = value(r, i);
        if (v === undefined) continue;
        setAttr(attrs, r.resource!, v);
      }
    } else {
      resourceWriter(i, attrs);
    }
    // the same workload as the event before (the common case): its Resource, without a key
    const latest = opts.interpreted === true ? undefined : resources.latest;
    if (latest !== undefined && sameAttributes(latest.attributes, attrs)) return latest;
    // quote(s) is JSON.stringify(s) for a string, without a call into the serializer
    for (const a of Object.keys(attrs)) {
      const v = attrs[a];
      key += `${a}\u0000${typeof v === 'string' ? quote(v) : JSON.stringify(v)}\u0001`;
    }
    return resources.get(key, attrs);
  }

  const ungrouped: CompiledGroup = { rows: [] };

  function toEcs(ev: TraceeEvent): EcsRecord {
    const i = input(ev);
    const doc: Record<string, unknown> = {};
    const group = byName.get(ev.name);
    runEcs(commonRows, i, doc, group?.skipEcs);
    if (i.kind === 'alert') runEcs(detectionRows, i, doc, group?.skipEcs);
    if (group) runEcs(group.rows, i, doc);
    const cat =
      i.kind === 'alert'
        ? alertCategory
        : { category: group?.category ?? defaults.category, type: group?.type ?? defaults.type };
    const e = (doc.event ??= {}) as Record<string, unknown>;
    e.category = cat.category;
    e.type = cat.type;
    // last: collect rows read what every other row wrote
    for (const r of collectRows(group ?? ungrouped, i.kind)) {
      let v: unknown = r.collect!.map((segs) => readDoc(doc, segs));
      for (let k = 0; k < r.transforms.length && present(v); k++) v = r.transforms[k](v, i);
      if (present(v)) setEcs(doc, r.ecs!, v);
    }
    const id = typeof e.id === 'string' ? e.id : eventId(ev, i.signature?.event ?? ev.name);
    return { id, kind: i.kind, doc };
  }

  // --- ECS as JSON text: one generated writer per (group, kind), built on first use ---
  const jsonOut = { id: undefined as unknown };

  /** A row that reads only node.* / kind (fixed per mapper and plan) and pure transforms: its value, once. */
  function fold(r: CompiledRow, kind: MapInput['kind']): { value: unknown } | undefined {
    if (r.collect !== undefined) return undefined;
    const paths = [...list(r.src.from), ...list(r.src.when)];
    if (!paths.every((p) => FOLDABLE_ROOTS.has(p.split('.')[0]))) return undefined;
    if (!list(r.src.transform).every((t) => PURE_TRANSFORMS.has(t.split(':')[0]))) return undefined;
    const v = value(r, { event: undefined as unknown as TraceeEvent, node, signature: undefined, kind, observed: 0n });
    return { value: v === undefined ? undefined : r.ecs!.coerce(v) };
  }

  function jsonWriter(g: CompiledGroup, kind: MapInput['kind']): EcsJsonWriter | null {
    const cached = kind === 'alert' ? g.jsonAlert : g.jsonEvent;
    if (cached !== undefined) return cached;
    const plan: JsonPlanRow[] = [];
    const context = [...commonRows, ...(kind === 'alert' ? detectionRows : [])].filter(
      (r) => r.ecs === undefined || !g.skipEcs?.has(r.ecs.key),
    );
    for (const r of [...context, ...g.rows].filter((x) => x.collect === undefined)) {
      const t = r.ecs;
      if (t === undefined) continue;
      const folded = fold(r, kind);
      if (folded !== undefined) {
        if (folded.value !== undefined)
          plan.push({ segs: t.segs, constant: true, value: folded.value, kind: t.jsonKind ?? 'any' });
        continue;
      }
      const jsonLast = t.asJson === true && r.transforms.at(-1)?.json !== undefined;
      plan.push({
        segs: t.segs,
        constant: false,
        get: r.get,
        when: r.when,
        transforms: r.transforms,
        coerce: t.coerce,
        jsonLast,
        kind: t.jsonKind ?? 'any',
        keys: rowKeys(r),
      });
    }
    const cat =
      kind === 'alert' ? alertCategory : { category: g.category ?? defaults.category, type: g.type ?? defaults.type };
    plan.push(
      { segs: ['event', 'category'], constant: true, value: cat.category, kind: 'any' },
      { segs: ['event', 'type'], constant: true, value: cat.type, kind: 'any' },
    );
    // last, as toEcs runs them: they read what every other row wrote
    for (const r of collectRows(g, kind))
      plan.push({
        segs: r.ecs!.segs,
        constant: false,
        get: r.get,
        collect: r.collect,
        transforms: r.transforms,
        coerce: r.ecs!.coerce,
        jsonLast: false,
        kind: r.ecs!.jsonKind ?? 'any',
      });
    const w = compileEcsJsonWriter(plan) ?? null;
    if (kind === 'alert') g.jsonAlert = w;
    else g.jsonEvent = w;
    return w;
  }

  /** toOtelEncoded's writers: the LogRecord, and its attributes written before the fields that precede them. */
  const protoOut = new ProtoWriter(16 * 1024);
  const protoAttrs = new ProtoWriter(16 * 1024);
  // a record's event name and severity word wait in the queue with it: one shared copy per value
  // (the name is built per event: "tracee." + name), not a string per event promoted with it
  const sharedText = createInterner();

  /** The rows runOtel would run for the group's events of `kind`, as the generated writers take them. */
  function otelPlan(g: CompiledGroup, kind: MapInput['kind']): OtelPlanRow[] {
    const context = [...commonRows, ...(kind === 'alert' ? detectionRows : [])].filter(
      (r) => r.otel !== undefined && !g.skipOtel?.has(r.otel.key),
    );
    const rows = [...context, ...g.rows.filter((r) => r.otel !== undefined)].map((r) => ({
      key: r.otel!.key,
      get: r.get,
      when: r.when,
      transforms: r.transforms,
      coerce: r.otel!.coerce,
      template: r.otel!.template,
      keys: rowKeys(r),
    }));
    return rows;
  }

  /** The group's OTel attribute writer for `kind`: the rows runOtel would run, generated as code. */
  function otelWriter(g: CompiledGroup, kind: MapInput['kind']): OtelAttributesWriter {
    const cached = kind === 'alert' ? g.otelAlert : g.otelEvent;
    if (cached !== undefined) return cached;
    const w = compileOtelAttributesWriter(otelPlan(g, kind));
    if (kind === 'alert') g.otelAlert = w;
    else g.otelEvent = w;
    return w;
  }

  /** The same rows writing LogRecord.attributes protobuf; null when they do not allow it. */
  function protoWriter(g: CompiledGroup, kind: MapInput['kind']): OtelProtoWriter | null {
    const cached = kind === 'alert' ? g.protoAlert : g.protoEvent;
    if (cached !== undefined) return cached;
    const w = compileOtelProtoWriter(otelPlan(g, kind)) ?? null;
    if (kind === 'alert') g.protoAlert = w;
    else g.protoEvent = w;
    return w;
  }

  function toOtel(ev: TraceeEvent): OtelRecord {
    return otelRecord(ev, input(ev));
  }

  function otelRecord(ev: TraceeEvent, i: MapInput): OtelRecord {
    const attributes: Attributes = {};
    const group = byName.get(ev.name);
    if (opts.interpreted === true) {
      runOtel(commonRows, i, attributes, group?.skipOtel);
      if (i.kind === 'alert') runOtel(detectionRows, i, attributes, group?.skipOtel);
      if (group) runOtel(group.rows, i, attributes);
    } else {
      otelWriter(group ?? ungrouped, i.kind)(i, attributes);
    }
    const rec: OtelRecord = {
      resource: resourceOf(i),
      timeUnixNano: ev.timestamp,
      observedTimeUnixNano: i.observed,
      severityNumber: Number(record.severity_number(i) ?? 9),
      severityText: sharedText(String(record.severity_text(i) ?? 'INFO')),
      eventName: sharedText(String(record.event_name(i) ?? ev.name)),
      attributes,
    };
    const body = record.body(i);
    if (body !== undefined) rec.body = body as AttrValue;
    return rec;
  }

  function toOtelEncoded(ev: TraceeEvent, alloc: ByteAlloc = slabCopy): OtelRecord {
    const i = input(ev);
    const w = opts.interpreted === true ? null : protoWriter(byName.get(ev.name) ?? ungrouped, i.kind);
    if (w === null) return toEncodedRecord(otelRecord(ev, i), alloc);
    const out = protoOut;
    const attrs = protoAttrs;
    try {
      // in toOtel's order: the attributes (into their own writer), then the other fields
      w(i, attrs);
      const resource = resourceOf(i);
      const timeUnixNano = ev.timestamp;
      const observedTimeUnixNano = i.observed;
      const severityNumber = Number(record.severity_number(i) ?? 9);
      const severityText = sharedText(String(record.severity_text(i) ?? 'INFO'));
      const eventName = sharedText(String(record.event_name(i) ?? ev.name));
      writeLogRecordHead(out, timeUnixNano, severityNumber, severityText, record.body(i));
      out.raw(attrs.buf.subarray(0, attrs.pos));
      writeLogRecordTail(out, observedTimeUnixNano, eventName);
      const bytes = alloc(out.buf, out.pos);
      return encodedRecordFrom(resource, bytes, {
        timeUnixNano,
        observedTimeUnixNano,
        severityNumber,
        severityText,
        eventName,
      });
    } finally {
      out.pos = 0;
      attrs.pos = 0;
    }
  }

  return {
    toEcsJson(ev) {
      const i = input(ev);
      const w = jsonWriter(byName.get(ev.name) ?? ungrouped, i.kind);
      if (w === null) {
        const r = toEcs(ev);
        return new EcsJsonRecord(r.id, r.kind, JSON.stringify(r.doc));
      }
      const json = w(i, jsonOut);
      // Reading a character also makes V8 copy the concatenated pieces into one flat string, once
      // (JSON.stringify's result is flat): writers and byte counts downstream then read plain text.
      if (json.charCodeAt(0) !== 123) throw new Error('ECS JSON writer: a document must be an object');
      const id = typeof jsonOut.id === 'string' ? jsonOut.id : eventId(ev, i.signature?.event ?? ev.name);
      return new EcsJsonRecord(id, i.kind, json);
    },
    toEcs,
    toOtel,
    toOtelEncoded,
    toTracee(ev) {
      const i = input(ev);
      const rec: TraceeRecord = {
        id: eventId(ev, i.signature?.event ?? ev.name),
        kind: i.kind,
        name: ev.name,
        json: JSON.stringify(toStructuredJson(ev), bigintText),
      };
      const c = ev.workload.container?.id;
      if (c) rec.containerId = c;
      if (node.name) rec.hostName = node.name;
      return rec;
    },
    ecsFields: () => [...ecsFieldTypes.values()].sort((a, b) => a.name.localeCompare(b.name)),
    otelAttributes: () => ({ record: [...otelRecordKeys].sort(), resource: [...otelResourceKeys].sort() }),
  };
}

const bigintText = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

function compileRecord(
  table: TableFile,
  lookups: Record<string, unknown>,
): Record<'event_name' | 'severity_number' | 'severity_text' | 'body', (i: MapInput) => unknown> {
  const one = (name: string, f: RecordField | undefined) => {
    if (f === undefined) return () => undefined;
    const get: Getter = f.from !== undefined ? compileSources(f.from) : () => f.value;
    const ts = (f.transform === undefined ? [] : Array.isArray(f.transform) ? f.transform : [f.transform]).map((t) => {
      try {
        return resolveTransform(t, lookups);
      } catch (e) {
        throw new MappingTableError(`otel-record.yaml record.${name}`, (e as Error).message);
      }
    });
    return (i: MapInput) => {
      let v = get(i);
      for (const t of ts) {
        if (!present(v)) break;
        v = t(v, i);
      }
      return present(v) ? v : f.default;
    };
  };
  const r = table.record ?? {};
  return {
    event_name: one('event_name', r.event_name),
    severity_number: one('severity_number', r.severity_number),
    severity_text: one('severity_text', r.severity_text),
    body: one('body', r.body),
  };
}

/** The value at an ECS field's path in a document being built (undefined when absent). */
function readDoc(doc: Record<string, unknown>, segs: readonly string[]): unknown {
  let o: unknown = doc;
  for (const s of segs) {
    if (o === null || typeof o !== 'object' || Array.isArray(o) || !Object.hasOwn(o, s)) return undefined;
    o = (o as Record<string, unknown>)[s];
  }
  return o;
}

/** "a.b" and "a.b.c" cannot both be written: a keyword cannot also be an object. */
function checkNoPrefixConflicts(names: string[]): void {
  const set = new Set(names);
  for (const n of names) {
    const parts = n.split('.');
    for (let k = 1; k < parts.length; k++) {
      const prefix = parts.slice(0, k).join('.');
      if (set.has(prefix))
        throw new MappingTableError(
          'mapping tables',
          `ECS field "${prefix}" and "${n}" collide (a value cannot also be an object)`,
        );
    }
  }
}
