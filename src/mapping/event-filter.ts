// Per-exporter event filters: the `filter:` of an exporter's config, compiled once into one
// predicate over the normalized event (src/model/event.ts). Every condition given must hold:
//   event_names          include list (exact names or `*` globs); absent = every name
//   exclude_event_names  exclude list (same syntax), wins over event_names
//   min_severity         detections at or above this level (0–4 or INFO..CRITICAL, lookups/severity.yaml);
//                        an event without a severity (not a detection) does NOT pass
//   policies             the event matched at least one of these Tracee policies
//   detections_only      only detections (signature events)
// "Detection" and "severity" mean what the mapper uses for `event.kind: alert`: the event carries a
// threat (Tracee's detection metadata), or its name is a built-in signature (lookups/signatures.yaml),
// whose severity fills in when the event's own threat has none.

import type { TraceeEvent } from '../model/event.ts';
import { indexSignatures, type SignatureInfo } from './input.ts';

export interface ExporterFilterConfig {
  event_names?: string[];
  exclude_event_names?: string[];
  min_severity?: number | string;
  policies?: string[];
  detections_only?: boolean;
}

export type EventPredicate = (ev: TraceeEvent) => boolean;

/** What the filter needs from the mapping lookups (mappings/lookups/*.yaml). */
export interface FilterLookups {
  /** lookups.signatures: the built-in signatures, by event name and old names. */
  signatures?: unknown;
  /** lookups.severity: level → { name }. */
  severity?: unknown;
}

export class FilterConfigError extends Error {
  /** The key below `where` (empty: `where` itself) and the reason alone, for `config check`. */
  readonly key: string;
  readonly reason: string;
  constructor(where: string, key: string, reason: string) {
    super(`${where}${key ? `.${key}` : ''}: ${reason}`);
    this.name = 'FilterConfigError';
    this.key = key;
    this.reason = reason;
  }
}

/** One matcher for a list of names: exact names in a Set, globs (`*` = any run of characters) in one RegExp. */
export function nameMatcher(names: readonly string[], where: string, key = ''): (name: string) => boolean {
  const exact = new Set<string>();
  const globs: string[] = [];
  for (const n of names) {
    if (typeof n !== 'string' || n === '')
      throw new FilterConfigError(where, key, 'event names must be non-empty strings');
    if (n.includes('*'))
      globs.push(
        n
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*'),
      );
    else exact.add(n);
  }
  if (globs.length === 0) return (name) => exact.has(name);
  const re = new RegExp(`^(?:${globs.join('|')})$`);
  return (name) => exact.has(name) || re.test(name);
}

function severityLevel(v: number | string, lookups: FilterLookups, where: string): number {
  const table = (lookups.severity ?? {}) as Record<string, { name?: string }>;
  const levels = Object.keys(table)
    .map(Number)
    .filter(Number.isInteger)
    .sort((a, b) => a - b);
  if (typeof v === 'number') {
    if (levels.includes(v)) return v;
  } else {
    const asNumber = /^\d+$/.test(v) ? Number(v) : undefined;
    if (asNumber !== undefined && levels.includes(asNumber)) return asNumber;
    const hit = levels.find((l) => table[l]?.name?.toLowerCase() === v.toLowerCase());
    if (hit !== undefined) return hit;
  }
  const names = levels.map((l) => `${l}/${(table[l]?.name ?? '').toLowerCase()}`).join(', ');
  throw new FilterConfigError(where, 'min_severity', `expected one of ${names}, got ${JSON.stringify(v)}`);
}

/**
 * The predicate for one exporter, or undefined when the filter lets every event through (no
 * filter, or an empty one): the caller then skips the call entirely.
 */
export function compileFilter(
  cfg: ExporterFilterConfig | undefined,
  lookups: FilterLookups,
  where = 'filter',
): EventPredicate | undefined {
  if (cfg === undefined || cfg === null) return undefined;
  const tests: EventPredicate[] = [];
  const signatures = indexSignatures(lookups.signatures);
  const isDetection = (ev: TraceeEvent) => ev.threat !== undefined || signatures.has(ev.name);

  if (cfg.detections_only === true) tests.push(isDetection);
  if (cfg.event_names !== undefined) {
    const include = nameMatcher(cfg.event_names, where, 'event_names');
    tests.push((ev) => include(ev.name));
  }
  if (cfg.exclude_event_names !== undefined && cfg.exclude_event_names.length > 0) {
    const exclude = nameMatcher(cfg.exclude_event_names, where, 'exclude_event_names');
    tests.push((ev) => !exclude(ev.name));
  }
  if (cfg.min_severity !== undefined) {
    const min = severityLevel(cfg.min_severity, lookups, where);
    tests.push((ev) => {
      const s = ev.threat?.severity ?? signatures.get(ev.name)?.severity;
      return s !== undefined && s >= min;
    });
  }
  if (cfg.policies !== undefined) {
    const wanted = new Set(cfg.policies);
    tests.push((ev) => {
      const matched = ev.policies?.matched;
      if (matched === undefined) return false;
      for (let k = 0; k < matched.length; k++) if (wanted.has(matched[k])) return true;
      return false;
    });
  }
  if (tests.length === 0) return undefined;
  if (tests.length === 1) return tests[0];
  return (ev) => {
    for (let k = 0; k < tests.length; k++) if (!tests[k](ev)) return false;
    return true;
  };
}
