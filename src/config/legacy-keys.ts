// Deprecated spellings that still load, for one minor version (docs/configuration.md "Old keys"):
// every camelCase key whose snake_case form is a key of the model (`delivery.whenFull` →
// `delivery.when_full`), and `exporters[].buffer` (→ `exporters[].delivery.buffer`, the one place of
// buffer settings). Each is rewritten to the new key with a warning naming both; `config print`
// shows only the new form.

import { formatOptionPath, type OptionPath } from '../util/option-error.ts';
import { snakeCase } from '../util/schema-type.ts';
import { itemsOf, kindOf, propertiesOf, type Schema } from './schema-walk.ts';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface LegacyRewrite {
  /** Where the key was written (the path in the file). */
  from: OptionPath;
  /** Where it is now. */
  to: OptionPath;
  message: string;
}

export class LegacyKeyError extends Error {
  readonly path: OptionPath;
  constructor(path: OptionPath, message: string) {
    super(message);
    this.name = 'LegacyKeyError';
    this.path = path;
  }
}

/** Rewrites the deprecated keys of `data` in place (before the environment overlay and validation); lists what it did. */
export function rewriteLegacyKeys(data: Json, root: Schema): LegacyRewrite[] {
  const done: LegacyRewrite[] = [];
  const exporters = Array.isArray(data.exporters) ? data.exporters : [];
  exporters.forEach((e, i) => {
    if (!isObj(e) || !('buffer' in e)) return;
    const from: OptionPath = ['exporters', i, 'buffer'];
    const to: OptionPath = ['exporters', i, 'delivery', 'buffer'];
    const delivery = isObj(e.delivery) ? e.delivery : {};
    // as before: exporters[].buffer wins over exporters[].delivery.buffer, key by key
    const buffer = isObj(delivery.buffer) && isObj(e.buffer) ? { ...delivery.buffer, ...e.buffer } : e.buffer;
    e.delivery = { ...delivery, buffer };
    delete e.buffer;
    done.push({ from, to, message: `${formatOptionPath(from)} is deprecated: use ${formatOptionPath(to)}` });
  });
  walk(data, root, root, [], [], done);
  return done;
}

function walk(
  value: unknown,
  schema: Schema,
  root: Schema,
  at: OptionPath,
  written: OptionPath,
  done: LegacyRewrite[],
): void {
  const kind = kindOf(root, schema);
  if (kind === 'array' && Array.isArray(value)) {
    for (const [i, v] of value.entries()) walk(v, itemsOf(root, schema), root, [...at, i], [...written, i], done);
    return;
  }
  if (kind !== 'object' || !isObj(value)) return;
  const props = propertiesOf(root, schema, value);
  if (Object.keys(props).length === 0) return; // a plugin's options, a map: not ours to rename
  for (const k of Object.keys(value)) {
    if (k in props) continue;
    const snake = snakeCase(k);
    if (snake === k || !(snake in props)) continue;
    const from = [...at, k];
    const to = [...at, snake];
    if (snake in value)
      throw new LegacyKeyError(
        from,
        `${formatOptionPath(from)} and ${formatOptionPath(to)} are the same setting: keep only ${formatOptionPath(to)}`,
      );
    renameKey(value, k, snake);
    done.push({
      from: [...written, k],
      to,
      message: `${formatOptionPath(from)} is deprecated: use ${formatOptionPath(to)}`,
    });
  }
  for (const [k, v] of Object.entries(value)) {
    if (!(k in props)) continue;
    const rewritten = done.find(
      (d) => d.to.length === at.length + 1 && d.to[at.length] === k && samePath(d.to.slice(0, -1), at),
    );
    walk(v, props[k], root, [...at, k], rewritten ? rewritten.from : [...written, k], done);
  }
}

function samePath(a: OptionPath, b: OptionPath): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** Renames a key in place, keeping its position (config print keeps the file's order). */
function renameKey(o: Json, from: string, to: string): void {
  const entries = Object.entries(o);
  for (const k of Object.keys(o)) delete o[k];
  for (const [k, v] of entries) o[k === from ? to : k] = v;
}
