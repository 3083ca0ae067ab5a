// Read the mapping tables from mappings/ (and user overrides), validating each file against
// mappings/schema/mapping-table.schema.json. Errors name the file and the offending place.

import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import type { MappingTables, TableFile } from './table-types.ts';
import { packageFile } from '../util/package-files.ts';

/** The mappings/ folder shipped with the package. */
export const BUILTIN_MAPPINGS_DIR = packageFile('mappings');

export class MappingTableError extends Error {
  readonly file: string;
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.file = file;
  }
}

type Validate = ((data: unknown) => boolean) & {
  errors?: Array<{ instancePath: string; message?: string; params?: unknown }> | null;
};
let validator: Validate | undefined;

function validateTable(file: string, data: unknown): TableFile {
  if (validator === undefined) {
    const schema = JSON.parse(
      fs.readFileSync(path.join(BUILTIN_MAPPINGS_DIR, 'schema/mapping-table.schema.json'), 'utf8'),
    );
    validator = new Ajv({ allErrors: false, strict: false }).compile(schema) as unknown as Validate;
  }
  if (!validator!(data)) {
    const e = validator!.errors?.[0];
    throw new MappingTableError(
      file,
      `${e?.instancePath || '(top level)'} ${e?.message ?? 'is invalid'}${e?.params ? ' ' + JSON.stringify(e.params) : ''}`,
    );
  }
  return data as TableFile;
}

function readYaml(file: string): unknown {
  try {
    return parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MappingTableError(file, (err as Error).message);
  }
}

export function readTableFile(file: string): TableFile {
  return validateTable(file, readYaml(file));
}

/** A user override given inline (config) rather than as a file. */
export function checkOverride(where: string, data: unknown): TableFile {
  return validateTable(where, data);
}

function readJson<T>(file: string): T {
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { fields: T }).fields;
}

/**
 * The built-in tables as the build read and validated them (scripts/build.ts writes
 * builtin-mappings.json beside the compiled code): the installed command skips the YAML parse
 * and the schema compile at every start. Absent beside the TypeScript tree, which reads mappings/ itself.
 */
export const BUILTIN_SNAPSHOT_FILE = 'builtin-mappings.json';
export interface BuiltinSnapshot {
  tables: Omit<MappingTables, 'overrides'>;
  trimGroups: Record<string, unknown>;
}

export function readBuiltinSnapshot(): BuiltinSnapshot | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(import.meta.dirname, BUILTIN_SNAPSHOT_FILE), 'utf8');
  } catch {
    return undefined;
  }
  return JSON.parse(text) as BuiltinSnapshot;
}

export function loadMappingTables(dir = BUILTIN_MAPPINGS_DIR, overrides: TableFile[] = []): MappingTables {
  const snapshot = dir === BUILTIN_MAPPINGS_DIR ? readBuiltinSnapshot() : undefined;
  if (snapshot !== undefined) return { ...snapshot.tables, overrides };
  const eventsDir = path.join(dir, 'events');
  const lookupsDir = path.join(dir, 'lookups');
  const lookups: Record<string, unknown> = {};
  for (const f of fs
    .readdirSync(lookupsDir)
    .filter((n) => n.endsWith('.yaml'))
    .sort()) {
    const data = readYaml(path.join(lookupsDir, f));
    if (data === null || typeof data !== 'object')
      throw new MappingTableError(path.join(lookupsDir, f), 'expected a map of lookup tables');
    for (const [k, v] of Object.entries(data)) {
      if (Object.hasOwn(lookups, k))
        throw new MappingTableError(path.join(lookupsDir, f), `lookup table "${k}" is defined twice`);
      lookups[k] = v;
    }
  }
  return {
    common: readTableFile(path.join(dir, 'common.yaml')),
    detections: readTableFile(path.join(dir, 'detections.yaml')),
    record: readTableFile(path.join(dir, 'otel-record.yaml')),
    events: fs
      .readdirSync(eventsDir)
      .filter((n) => n.endsWith('.yaml'))
      .sort()
      .map((n) => ({ file: `events/${n}`, table: readTableFile(path.join(eventsDir, n)) })),
    lookups,
    ecsTypes: readJson(path.join(dir, 'reference/ecs-9.4.0-types.json')),
    otelTypes: {
      ...readJson<MappingTables['otelTypes']>(path.join(dir, 'reference/semconv-1.44.0-types.json')),
      ...readJson<MappingTables['otelTypes']>(path.join(dir, 'reference/semconv-supplement.json')),
    },
    overrides,
  };
}
