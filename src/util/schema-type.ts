// The TypeScript type of a JSON Schema written as a `const` object: each component's config type is
// derived from its schema (src/sources/<kind>/schema.ts, src/exporters/<kind>/schema.ts,
// src/delivery/config-schema.ts, …), so the two cannot drift. Covers the keywords those schemas use:
// type, properties, required, additionalProperties, items, enum, const, anyOf.

/** A JSON Schema fragment (draft-07), as the components write them. */
export type JsonSchema = { readonly [k: string]: unknown };

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type Required_<S> = S extends { required: readonly (infer R)[] } ? R : never;

type ObjectOf<P, R> = Simplify<
  { -readonly [K in keyof P as K extends R ? K : never]: FromSchema<P[K]> } & {
    -readonly [K in keyof P as K extends R ? never : K]?: FromSchema<P[K]>;
  }
>;

/** The value type a schema accepts. */
export type FromSchema<S> = S extends { const: infer C }
  ? C
  : S extends { enum: readonly (infer E)[] }
    ? E
    : S extends { properties: infer P }
      ? ObjectOf<P, Required_<S>>
      : S extends { anyOf: readonly (infer B)[] }
        ? FromSchemaUnion<B>
        : S extends { type: 'string' }
          ? string
          : S extends { type: 'integer' | 'number' }
            ? number
            : S extends { type: 'boolean' }
              ? boolean
              : S extends { type: 'array'; items: infer I }
                ? Array<FromSchema<I>>
                : S extends { type: 'object'; additionalProperties: infer A }
                  ? A extends JsonSchema
                    ? Record<string, FromSchema<A>>
                    : Record<string, unknown>
                  : S extends { type: 'object' }
                    ? Record<string, unknown>
                    : unknown;

type FromSchemaUnion<B> = B extends unknown ? FromSchema<B> : never;

/** Identity, typed: keeps the literal types of a schema written inline (`schema({...})` = `{...} as const`). */
export function schema<const S extends JsonSchema>(s: S): S {
  return s;
}

/** `maxQueueItems` → `max_queue_items`. */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** `max_queue_items` → `maxQueueItems`. */
export function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The object branch of a schema (itself, or the `anyOf` member with `properties`: `tls: true | {…}`). */
function objectBranch(s: JsonSchema): JsonSchema | undefined {
  if (isObj(s.properties)) return s;
  if (Array.isArray(s.anyOf)) return s.anyOf.find((b) => isObj(b) && isObj(b.properties)) as JsonSchema | undefined;
  return undefined;
}

/**
 * A config value (snake_case keys) as the options a component's code takes (camelCase keys), guided
 * by the schema: only keys the schema declares as properties are renamed, so maps (headers,
 * resource_attributes) keep their keys. Unknown keys pass through as they are.
 */
export function camelOptions(s: JsonSchema, value: unknown): unknown {
  if (Array.isArray(value)) return isObj(s.items) ? value.map((v) => camelOptions(s.items as JsonSchema, v)) : value;
  const branch = isObj(value) ? objectBranch(s) : undefined;
  if (branch === undefined || !isObj(value)) return value;
  const props = branch.properties as Record<string, JsonSchema>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k in props ? camelCase(k) : k] = k in props ? camelOptions(props[k], v) : v;
  return out;
}

type CamelKey<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<CamelKey<T>>}` : S;

/** The type camelOptions returns: the config type with its keys camel-cased (the code's options). */
export type CamelCased<T> =
  T extends ReadonlyArray<infer I>
    ? Array<CamelCased<I>>
    : T extends Record<string, unknown>
      ? string extends keyof T
        ? T
        : { [K in keyof T as K extends string ? CamelKey<K> : K]: CamelCased<T[K]> }
      : T;
