// Reading the run-config JSON Schema (src/config/model.ts) as data: which keys an object has (including the ones an
// `if`/`then` adds for a given `type`), what kind of value a key takes, its default. Used by the
// environment overlay, `config print` (defaults) and check (unknown keys), and scripts/gen-docs.ts,
// so none of them keeps its own list of settings.

import { packageFile } from '../util/package-files.ts';
import { runConfigSchema as assembled } from './model.ts';

export type Schema = { [k: string]: unknown };

/** The schema written out for editors (generated from the model: npm run docs:gen). */
export const RUN_CONFIG_SCHEMA_PATH = packageFile('src/config/run-config.schema.json');

/** The run configuration's JSON Schema (src/config/model.ts). */
export function runConfigSchema(): Schema {
  return assembled() as Schema;
}

const isObj = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Follows local `$ref`s (`#/definitions/x`), merging sibling keywords over the target. */
export function deref(root: Schema, s: unknown): Schema {
  if (!isObj(s)) return {};
  const ref = s.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return s;
  let target: unknown = root;
  for (const part of ref.slice(2).split('/')) target = isObj(target) ? target[part] : undefined;
  const { $ref: _drop, ...rest } = s;
  return { ...deref(root, target), ...rest };
}

/** Does `instance` satisfy an `if` made of `properties: { k: { const | enum } }` (the only form the schema uses)? */
function ifMatches(ifSchema: Schema, instance: unknown): boolean {
  if (!isObj(instance) || !isObj(ifSchema.properties)) return false;
  return Object.entries(ifSchema.properties).every(([k, cond]) => {
    if (!isObj(cond)) return true;
    if ('const' in cond) return instance[k] === cond.const;
    if (Array.isArray(cond.enum)) return cond.enum.includes(instance[k]);
    return true;
  });
}

function mergeProps(into: Record<string, Schema>, root: Schema, props: unknown): void {
  if (!isObj(props)) return;
  for (const [k, v] of Object.entries(props)) into[k] = { ...(into[k] ?? {}), ...deref(root, v) };
}

/**
 * The properties of an object schema for this instance: `properties`, those of `allOf` members,
 * and those of every `then` whose `if` the instance matches. With `instance` undefined, every
 * conditional branch is included (the union: for docs).
 */
export function propertiesOf(
  root: Schema,
  schema: unknown,
  instance?: unknown,
  opts: { allBranches?: boolean } = {},
): Record<string, Schema> {
  const s = deref(root, schema);
  const out: Record<string, Schema> = {};
  mergeProps(out, root, s.properties);
  for (const member of Array.isArray(s.allOf) ? s.allOf : []) {
    const m = deref(root, member);
    mergeProps(out, root, m.properties);
    if (isObj(m.if) && m.then !== undefined && (opts.allBranches || ifMatches(m.if, instance))) {
      mergeProps(out, root, deref(root, m.then).properties);
    }
  }
  return out;
}

/** The conditional branches of an object schema: [discriminator value, extra properties]. */
export function branchesOf(
  root: Schema,
  schema: unknown,
): Array<{ when: Record<string, unknown>; properties: Record<string, Schema>; description?: string }> {
  const s = deref(root, schema);
  const out: Array<{ when: Record<string, unknown>; properties: Record<string, Schema>; description?: string }> = [];
  for (const member of Array.isArray(s.allOf) ? s.allOf : []) {
    const m = deref(root, member);
    if (!isObj(m.if) || !isObj(m.if.properties) || m.then === undefined) continue;
    const then = deref(root, m.then);
    const props: Record<string, Schema> = {};
    mergeProps(props, root, then.properties);
    if (Object.keys(props).length === 0) continue;
    const when: Record<string, unknown> = {};
    for (const [k, c] of Object.entries(m.if.properties)) if (isObj(c) && 'const' in c) when[k] = c.const;
    out.push({
      when,
      properties: props,
      description: typeof then.description === 'string' ? then.description : undefined,
    });
  }
  return out;
}

export type ValueKind =
  | 'object'
  | 'map'
  | 'array'
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'enum'
  | 'string-or-list'
  | 'any';

/** What kind of value a (dereferenced) schema takes, for parsing environment values and for docs. */
export function kindOf(root: Schema, schema: unknown): ValueKind {
  const s = deref(root, schema);
  if (Array.isArray(s.enum) || 'const' in s) return 'enum';
  const branches = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined;
  if (branches) {
    const kinds = branches.map((b) => kindOf(root, b));
    if (kinds.includes('array') && kinds.includes('string')) return 'string-or-list';
    return kinds[0] ?? 'any';
  }
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  if (t === 'object') return isObj(s.properties) || Array.isArray(s.allOf) ? 'object' : 'map';
  if (t === 'array' || t === 'string' || t === 'integer' || t === 'number' || t === 'boolean') return t;
  if (isObj(s.properties)) return 'object';
  return 'any';
}

export function itemsOf(root: Schema, schema: unknown): Schema {
  return deref(root, deref(root, schema).items);
}

/** The accepted values of an enum / const schema. */
export function enumValues(root: Schema, schema: unknown): unknown[] {
  const s = deref(root, schema);
  return Array.isArray(s.enum) ? s.enum : 'const' in s ? [s.const] : [];
}

/** `maxQueueItems` / `max_queue_items` → `MAX_QUEUE_ITEMS` (the environment spelling of a key). */
export function envSegment(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

/** Keys compare without case and separators: MAX_QUEUE_ITEMS matches maxQueueItems and max_queue_items. */
export function sameKey(a: string, b: string): boolean {
  const n = (s: string) => s.replace(/[^A-Za-z0-9]/g, '').toLowerCase();
  return n(a) === n(b);
}
