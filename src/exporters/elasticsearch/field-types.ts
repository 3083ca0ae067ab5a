// Field types that live in Elasticsearch modules/plugins a minimal node may lack (the integ-test zip has
// only server types), and the core type each falls back to.

import type { EsProperty } from './ecs-mappings.ts';

export const CORE_FALLBACK: Readonly<Record<string, string>> = {
  wildcard: 'keyword',
  match_only_text: 'text',
  constant_keyword: 'keyword',
  scaled_float: 'double',
  unsigned_long: 'keyword',
  version: 'keyword',
};

/** Long values (command lines, URLs) stay indexable up to this many characters when wildcard becomes keyword. */
const WILDCARD_AS_KEYWORD_IGNORE_ABOVE = 8191;

type Props = Record<string, EsProperty>;

function mapProps(props: Props, fn: (p: EsProperty) => EsProperty): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(props)) {
    let p = fn({ ...v });
    if (p.properties) p = { ...p, properties: mapProps(p.properties, fn) };
    if (p.fields) p = { ...p, fields: mapProps(p.fields, fn) };
    out[k] = p;
  }
  return out;
}

/** Every `type` used in a properties tree (including multi-fields). */
export function usedTypes(props: Props): Set<string> {
  const s = new Set<string>();
  mapProps(props, (p) => {
    if (p.type) s.add(p.type);
    return p;
  });
  return s;
}

/** A copy of `props` with each type in `types` replaced by its core fallback. */
export function downgradeTypes(props: Props, types: ReadonlySet<string>): Props {
  return mapProps(props, (p) => {
    if (!p.type || !types.has(p.type) || !CORE_FALLBACK[p.type]) return p;
    const from = p.type;
    const q: EsProperty = { ...p, type: CORE_FALLBACK[from] };
    if (from === 'scaled_float') delete q.scaling_factor;
    if (from === 'wildcard') q.ignore_above = WILDCARD_AS_KEYWORD_IGNORE_ABOVE;
    if (from === 'match_only_text') q.norms = false;
    return q;
  });
}

/**
 * The type named in an Elasticsearch "unknown field type" error, if any: "No handler for type [x] declared on
 * field [y]" or (8.x/9.x) "The mapper type [x] declared on field [y] does not exist".
 */
export function missingTypeIn(reason: string): string | undefined {
  return /(?:No handler for type|The mapper type) \[([a-z_]+)\]/.exec(reason)?.[1];
}
