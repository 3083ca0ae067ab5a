// Field trimming per exporter: `trim:` (named groups from mappings/trim.yaml) and `drop_fields:`
// become one mapping override with `drop:` rows, so an exporter that wants small events gets its
// own compiled mapper without those rows (no per-event cost). Exporters asking for the same set
// share one mapper (trimKey).

import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { BUILTIN_MAPPINGS_DIR, MappingTableError, readBuiltinSnapshot } from './load.ts';
import type { Mapper } from './compile.ts';
import type { MappingTables, TableFile } from './table-types.ts';

export type DropRow = NonNullable<TableFile['drop']>[number];
export interface TrimGroup {
  description: string;
  drop: DropRow[];
}

export class TrimConfigError extends Error {
  /** The key below `where` (empty: `where` itself) and the reason alone, for `config check`. */
  readonly key: string;
  readonly reason: string;
  constructor(where: string, key: string, reason: string) {
    super(`${where}${key ? `.${key}` : ''}: ${reason}`);
    this.name = 'TrimConfigError';
    this.key = key;
    this.reason = reason;
  }
}

/** The named groups of mappings/trim.yaml (or `dir`/trim.yaml). */
export function loadTrimGroups(dir = BUILTIN_MAPPINGS_DIR): Record<string, TrimGroup> {
  const snapshot = dir === BUILTIN_MAPPINGS_DIR ? readBuiltinSnapshot() : undefined;
  if (snapshot !== undefined) return snapshot.trimGroups as Record<string, TrimGroup>;
  const file = path.join(dir, 'trim.yaml');
  let data: unknown;
  try {
    data = parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MappingTableError(file, (err as Error).message);
  }
  const groups = (data as { groups?: unknown } | null)?.groups;
  if (groups === null || typeof groups !== 'object' || Array.isArray(groups))
    throw new MappingTableError(file, 'expected `groups:`, a map of group name → { description, drop }');
  const out: Record<string, TrimGroup> = {};
  for (const [name, g] of Object.entries(groups as Record<string, unknown>)) {
    const drop = (g as { drop?: unknown } | null)?.drop;
    const ok =
      Array.isArray(drop) &&
      drop.length > 0 &&
      drop.every(
        (d) =>
          d !== null &&
          typeof d === 'object' &&
          Object.keys(d).length > 0 &&
          Object.entries(d).every(([k, v]) => ['ecs', 'otel', 'resource'].includes(k) && typeof v === 'string'),
      );
    if (!ok)
      throw new MappingTableError(file, `groups.${name}.drop: expected a list of { ecs | otel | resource: field }`);
    out[name] = { description: String((g as { description?: unknown }).description ?? ''), drop: drop as DropRow[] };
  }
  return out;
}

export interface TrimRequest {
  trim?: string[];
  drop_fields?: string[];
  /**
   * The exporter's target: a `drop_fields` name is an ECS field (ecs) or an OTel attribute (otel: record or
   * resource); the Tracee event (tracee: kafka `encoding: tracee_json`) is written whole, so it cannot be trimmed.
   */
  target: 'ecs' | 'otel' | 'tracee';
}

/**
 * The drop rows for one exporter, checked: an unknown group, or a drop_fields name that no mapping
 * row writes for the target (a typo would silently trim nothing), is an error naming `where`.
 */
export function trimDrops(
  req: TrimRequest,
  groups: Record<string, TrimGroup>,
  known: Mapper,
  where: string,
): DropRow[] {
  const drops: DropRow[] = [];
  if (req.target === 'tracee' && ((req.trim ?? []).length > 0 || (req.drop_fields ?? []).length > 0)) {
    throw new TrimConfigError(
      where,
      (req.trim ?? []).length > 0 ? 'trim' : 'drop_fields',
      'the exporter writes the Tracee event itself (encoding tracee_json), not mapped ECS/OTel fields: nothing to trim',
    );
  }
  for (const name of req.trim ?? []) {
    const g = groups[name];
    if (g === undefined)
      throw new TrimConfigError(where, 'trim', `unknown group "${name}" (known: ${Object.keys(groups).join(', ')})`);
    drops.push(...g.drop);
  }
  if ((req.drop_fields ?? []).length > 0) {
    const ecs = new Set(known.ecsFields().map((f) => f.name));
    const otel = known.otelAttributes();
    const record = new Set(otel.record);
    const resource = new Set(otel.resource);
    for (const f of req.drop_fields ?? []) {
      if (req.target === 'ecs') {
        if (!ecs.has(f))
          throw new TrimConfigError(where, 'drop_fields', `"${f}" is not an ECS field the mapping writes`);
        drops.push({ ecs: f });
      } else {
        if (!record.has(f) && !resource.has(f))
          throw new TrimConfigError(where, 'drop_fields', `"${f}" is not an OTel attribute the mapping writes`);
        if (record.has(f)) drops.push({ otel: f });
        if (resource.has(f)) drops.push({ resource: f });
      }
    }
  }
  return drops;
}

/** One key per distinct drop set (order and repeats do not matter); '' = no trimming. */
export function trimKey(drops: readonly DropRow[]): string {
  return [...new Set(drops.map((d) => JSON.stringify([d.ecs ?? '', d.otel ?? '', d.resource ?? ''])))]
    .sort()
    .join('\n');
}

/** The tables an exporter's trimmed mapper is compiled from: its drops as one more override, last. */
export function withDrops(tables: MappingTables, drops: DropRow[]): MappingTables {
  return { ...tables, overrides: [...tables.overrides, { drop: drops }] };
}
