// Lookup tables (mappings/lookups/*.yaml), merged into one namespace by top-level key.

export type Lookups = Record<string, unknown>;

/** A key → value table by name; throws when the table does not exist (a table error). */
export function lookupTable(lookups: Lookups, name: string): Record<string, unknown> {
  const t = Object.hasOwn(lookups, name) ? lookups[name] : undefined;
  if (t === null || typeof t !== 'object') throw new Error(`unknown lookup table "${name}"`);
  return t as Record<string, unknown>;
}
