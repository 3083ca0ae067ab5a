// Every setting from the environment, derived from the schema (docs/configuration.md):
//
//   TRACEE_EXPORTER_<KEY>__<KEY>…=value     e.g. TRACEE_EXPORTER_DELIVERY__MAX_QUEUE_ITEMS=5000
//
// Segments are the schema keys in upper snake case (maxQueueItems and max_queue_items both match
// MAX_QUEUE_ITEMS), joined by a double underscore. List entries are addressed by index
// (SOURCES__0__PATH), sources by type (SOURCES__WEBHOOK__LISTEN: the first webhook source) and
// exporters by name or type (EXPORTERS__ES_MAIN__ENDPOINTS: `name: es-main`; EXPORTERS__OTLP_HTTP__…).
// An addressed source or exporter that does not exist is added when the segment is a known type,
// so a whole configuration can come from the environment. Values are parsed per the schema type:
// integers, booleans (true/false), enums, lists (comma-separated or a JSON array), objects (JSON /
// YAML flow `{a: b}`). Top-level scalar keys take one segment (TRACEE_EXPORTER_DATA_DIR). Other
// variables without a double underscore (TRACEE_EXPORTER_NODE_NAME, TRACEE_EXPORTER_TELEMETRY_LISTEN,
// TRACEE_EXPORTER_CONFIG…) are not part of the overlay.
// Errors name the variable, never its value. Plugins (`type: module`, `module:`) are code: they
// are loaded only from a path written in the config file, never set or added by a variable.

import { parse as parseYaml } from 'yaml';
import { formatOptionPath } from '../util/option-error.ts';
import { deref, enumValues, envSegment, itemsOf, kindOf, propertiesOf, sameKey, type Schema } from './schema-walk.ts';

export const ENV_PREFIX = 'TRACEE_EXPORTER_';
export const ENV_SEPARATOR = '__';

export class EnvOverlayError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'EnvOverlayError';
    this.variable = variable;
  }
}

/** Where a value came from: config path (dot-joined) → environment variable. */
export type EnvOrigins = Map<string, string>;

const PLUGIN_REFUSED =
  "exporter plugins (type: module, module:) run code with the exporter's privileges: they are loaded only from a path written in the config file, never from environment variables (docs/exporters/plugins.md)";

export function isOverlayVariable(name: string): boolean {
  return name.startsWith(ENV_PREFIX) && name.includes(ENV_SEPARATOR, ENV_PREFIX.length);
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `Elastic Main` → `ELASTIC_MAIN`: how a name is written in a variable. */
export function envName(name: string): string {
  return name
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

/**
 * Applies every TRACEE_EXPORTER_…__… variable to `data` (in place; sorted by name, so the result
 * does not depend on the environment's order). `interpolate` resolves ${env:…} / ${file:…} in values.
 */
export function applyEnvOverlay(
  data: Json,
  root: Schema,
  env: NodeJS.ProcessEnv,
  origins: EnvOrigins,
  interpolate: (s: string, variable: string) => string = (s) => s,
  warn: (message: string) => void = () => {},
): void {
  // plus TRACEE_EXPORTER_<KEY> for top-level scalar keys (data_dir…): one segment, no separator
  const topScalars = topLevelScalarKeys(root);
  const isTopScalar = (n: string) =>
    n.startsWith(ENV_PREFIX) && !isOverlayVariable(n) && topScalars.some((k) => sameKey(k, n.slice(ENV_PREFIX.length)));
  const names = Object.keys(env)
    .filter((n) => (isOverlayVariable(n) || isTopScalar(n)) && env[n] !== undefined)
    .sort();
  for (const variable of names) {
    let segments = variable.slice(ENV_PREFIX.length).split(ENV_SEPARATOR);
    if (segments.some((s) => s === ''))
      throw new EnvOverlayError(variable, `empty segment (keys are separated by exactly "${ENV_SEPARATOR}")`);
    const renamed = legacyBufferSegments(segments);
    if (renamed !== undefined) {
      const now = ENV_PREFIX + renamed.join(ENV_SEPARATOR);
      if (env[now] !== undefined)
        throw new EnvOverlayError(variable, `${variable} and ${now} are the same setting: keep only ${now}`);
      warn(`${variable} is deprecated: use ${now}`);
      segments = renamed;
    }
    setPath(data, root, segments, interpolate(env[variable]!, variable), variable, origins);
  }
}

/**
 * EXPORTERS__<NAME>__BUFFER__… (the spelling of exporters[].buffer, before the buffer moved into the
 * delivery: legacy-keys.ts) → EXPORTERS__<NAME>__DELIVERY__BUFFER__…; undefined for any other variable.
 */
function legacyBufferSegments(segments: string[]): string[] | undefined {
  if (segments.length < 3 || !sameKey('exporters', segments[0]) || !sameKey('buffer', segments[2])) return undefined;
  return [segments[0], segments[1], 'DELIVERY', ...segments.slice(2)];
}

/** Top-level keys with a scalar value an environment variable may set (not `version`: a constant). */
export function topLevelScalarKeys(root: Schema): string[] {
  return Object.entries(propertiesOf(root, root))
    .filter(([, s]) => !('const' in s) && !['object', 'map', 'array'].includes(kindOf(root, s)))
    .map(([k]) => k);
}

function setPath(
  data: Json,
  root: Schema,
  segments: string[],
  raw: string,
  variable: string,
  origins: EnvOrigins,
): void {
  let node: unknown = data;
  let schema: Schema = root;
  const at: Array<string | number> = [];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const last = i === segments.length - 1;
    const kind = kindOf(root, schema);
    if (kind === 'array' && Array.isArray(node)) {
      const index = findItem(node, itemsOf(root, schema), root, seg, variable);
      at.push(index);
      if (last)
        throw new EnvOverlayError(
          variable,
          `a list entry cannot be set as a whole; name one of its keys (${formatOptionPath(at)}.<KEY>)`,
        );
      node = node[index];
      schema = itemsOf(root, schema);
      continue;
    }
    if (kind === 'map')
      throw new EnvOverlayError(
        variable,
        `${formatOptionPath(at)} is set as a whole: ${ENV_PREFIX}${segments.slice(0, i).join(ENV_SEPARATOR)}='{name: value}'`,
      );
    if (!isObj(node) || (kind !== 'object' && kind !== 'any' && i > 0)) {
      throw new EnvOverlayError(variable, `${formatOptionPath(at)} has no keys below it`);
    }
    const props = propertiesOf(root, schema, node);
    const key = Object.keys(props).find((k) => sameKey(k, seg));
    if (key === undefined) {
      const known = Object.keys(props).map(envSegment).join(', ');
      throw new EnvOverlayError(
        variable,
        `unknown key ${seg}${at.length ? ` under ${formatOptionPath(at)}` : ''} (known: ${known})`,
      );
    }
    at.push(key);
    const child = props[key];
    if (last) {
      const value = parseValue(root, child, raw, variable);
      if (at[0] === 'exporters' && at.length === 3 && (key === 'module' || (key === 'type' && value === 'module')))
        throw new EnvOverlayError(variable, PLUGIN_REFUSED);
      node[key] = value;
      origins.set(at.join('.'), variable);
      return;
    }
    if (node[key] === undefined) {
      const childKind = kindOf(root, child);
      node[key] = childKind === 'array' ? [] : {};
      origins.set(at.join('.'), variable);
    }
    node = node[key];
    schema = child;
  }
}

/**
 * Index of the list entry a segment names: a number (must exist), or an entry whose `name`
 * (exporters) or `type` matches; a segment naming a known `type` adds an entry of that type.
 */
function findItem(list: unknown[], itemSchema: Schema, root: Schema, seg: string, variable: string): number {
  if (/^\d+$/.test(seg)) {
    const i = Number(seg);
    if (i >= list.length)
      throw new EnvOverlayError(
        variable,
        `there is no entry ${i} (the list has ${list.length}); add one by type, e.g. …__${typesOf(root, itemSchema)[0] ?? 'TYPE'}__…`,
      );
    return i;
  }
  const byName = list.findIndex((e) => isObj(e) && typeof e.name === 'string' && envName(e.name) === seg);
  if (byName >= 0) return byName;
  const byType = list.findIndex(
    (e) => isObj(e) && e.name === undefined && typeof e.type === 'string' && envName(e.type) === seg,
  );
  if (byType >= 0) return byType;
  const anyType = list.findIndex((e) => isObj(e) && typeof e.type === 'string' && envName(e.type) === seg);
  if (anyType >= 0) return anyType;
  const type = typesOf(root, itemSchema).find((t) => envName(t) === seg);
  if (type === undefined) {
    const names = list.filter(isObj).map((e) => envName(String(e.name ?? e.type)));
    throw new EnvOverlayError(
      variable,
      `no entry named ${seg} (entries: ${names.join(', ') || 'none'}; types: ${typesOf(root, itemSchema).map(envName).join(', ')})`,
    );
  }
  if (type === 'module') throw new EnvOverlayError(variable, PLUGIN_REFUSED);
  list.push({ type });
  return list.length - 1;
}

function typesOf(root: Schema, itemSchema: Schema): string[] {
  const t = propertiesOf(root, itemSchema).type;
  return t ? enumValues(root, t).filter((v): v is string => typeof v === 'string') : [];
}

function parseFlow(raw: string, variable: string, expected: string): unknown {
  let v: unknown;
  try {
    v = parseYaml(raw);
  } catch {
    throw new EnvOverlayError(variable, `expected ${expected} (JSON or YAML flow syntax); the value does not parse`);
  }
  // an own `__proto__` key, once copied by assignment (config print, defaults), swaps that object's prototype
  if (hasProtoKey(v)) throw new EnvOverlayError(variable, 'the key "__proto__" is not allowed');
  return v;
}

function hasProtoKey(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasProtoKey);
  if (!isObj(v)) return false;
  return Object.keys(v).some((k) => k === '__proto__' || hasProtoKey(v[k]));
}

/** An environment string as the schema's type. */
export function parseValue(root: Schema, schema: Schema, raw: string, variable: string): unknown {
  const kind = kindOf(root, schema);
  const text = raw.trim();
  const branches = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (branches && kind !== 'string-or-list') {
    // e.g. min_severity: an integer or a level name: the first reading that fits
    const errors: string[] = [];
    for (const b of branches) {
      try {
        return parseValue(root, deref(root, b), raw, variable);
      } catch (err) {
        errors.push((err as Error).message.slice(variable.length + 2));
      }
    }
    throw new EnvOverlayError(variable, errors.join(', or '));
  }
  switch (kind) {
    case 'integer':
      if (!/^[+-]?\d+$/.test(text)) throw new EnvOverlayError(variable, 'expected an integer');
      return Number(text);
    case 'number': {
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) throw new EnvOverlayError(variable, 'expected a number');
      return n;
    }
    case 'boolean':
      if (/^(true|1|yes)$/i.test(text)) return true;
      if (/^(false|0|no)$/i.test(text)) return false;
      throw new EnvOverlayError(variable, 'expected true or false');
    case 'enum': {
      const values = enumValues(root, schema);
      const v = values.find((x) => String(x) === text);
      if (v === undefined) throw new EnvOverlayError(variable, `expected one of ${values.map(String).join(', ')}`);
      return v;
    }
    case 'string':
      return raw;
    case 'string-or-list':
      if (text.startsWith('[')) return parseFlow(text, variable, 'a list');
      return text.includes(',')
        ? text
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
        : text;
    case 'array': {
      if (text.startsWith('[')) return parseFlow(text, variable, 'a list');
      const item = itemsOf(root, schema);
      return text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
        .map((s) => parseValue(root, item, s, variable));
    }
    case 'object':
    case 'map': {
      const v = parseFlow(text, variable, 'an object');
      if (!isObj(v)) throw new EnvOverlayError(variable, 'expected an object, e.g. {key: value}');
      return v;
    }
    default:
      return text.startsWith('{') || text.startsWith('[') ? parseFlow(text, variable, 'a value') : raw;
  }
}
