// MITRE ATT&CK completion for ECS threat.* from lookups/mitre.yaml.

import { lookupTable, type Lookups } from '../lookups.ts';
import type { TransformFactory } from './index.ts';

const TECHNIQUE_ID = /^T\d{4}(\.\d{3})?$/;

interface Tactic {
  id: string;
  name: string;
}

function tacticIndex(lookups: Lookups): Map<string, Tactic> {
  const tactics = lookupTable(lookups, 'tactics') as Record<string, { name: string; aliases?: string[] }>;
  const index = new Map<string, Tactic>();
  for (const id of Object.keys(tactics)) {
    const t = { id, name: tactics[id].name };
    index.set(t.name.toLowerCase(), t);
    index.set(id.toLowerCase(), t);
    for (const a of tactics[id].aliases ?? []) index.set(a.toLowerCase(), t);
  }
  return index;
}

/** technique id from a source that is an id string, a {id, name} technique, or a signature. */
function techniqueIdOf(v: unknown): string | undefined {
  if (typeof v === 'string') return TECHNIQUE_ID.test(v) ? v : undefined;
  if (v !== null && typeof v === 'object') {
    const o = v as { id?: unknown; technique_id?: unknown };
    const id = o.id ?? o.technique_id;
    return typeof id === 'string' && TECHNIQUE_ID.test(id) ? id : undefined;
  }
  return undefined;
}

function givenName(v: unknown): string | undefined {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const n = (v as { name?: unknown }).name;
    return typeof n === 'string' && n ? n : undefined;
  }
  return undefined;
}

const ref = (path: string) => `https://attack.mitre.org/${path}/`;

export const threatTransforms: Record<string, TransformFactory> = {
  mitre_tactic_name: (_a, lookups) => {
    const idx = tacticIndex(lookups);
    return (v) => (typeof v === 'string' && v ? (idx.get(v.toLowerCase())?.name ?? v) : undefined);
  },
  mitre_tactic_id: (_a, lookups) => {
    const idx = tacticIndex(lookups);
    return (v) => (typeof v === 'string' ? idx.get(v.toLowerCase())?.id : undefined);
  },
  mitre_tactic_reference: (_a, lookups) => {
    const idx = tacticIndex(lookups);
    return (v) => {
      const id = typeof v === 'string' ? idx.get(v.toLowerCase())?.id : undefined;
      return id ? ref(`tactics/${id}`) : undefined;
    };
  },
  mitre_technique_id: () => (v) => techniqueIdOf(v)?.split('.')[0],
  mitre_technique_reference: () => (v) => {
    const id = techniqueIdOf(v);
    return id ? ref(`techniques/${id.split('.')[0]}`) : undefined;
  },
  // Tracee gives the sub-technique's own name in technique.name when the id is a sub-technique,
  // so the technique (parent) name comes from the table then.
  mitre_technique_name: (_a, lookups) => {
    const names = lookupTable(lookups, 'techniques') as Record<string, string>;
    return (v) => {
      const id = techniqueIdOf(v);
      if (id?.includes('.')) return names[id.split('.')[0]];
      return givenName(v) ?? (id ? names[id] : undefined);
    };
  },
  mitre_subtechnique_id: () => (v) => {
    const id = techniqueIdOf(v);
    return id?.includes('.') ? id : undefined;
  },
  mitre_subtechnique_name: (_a, lookups) => {
    const names = lookupTable(lookups, 'techniques') as Record<string, string>;
    return (v) => {
      const id = techniqueIdOf(v);
      return id?.includes('.') ? (givenName(v) ?? names[id]) : undefined;
    };
  },
  mitre_subtechnique_reference: () => (v) => {
    const id = techniqueIdOf(v);
    return id?.includes('.') ? ref(`techniques/${id.replace('.', '/')}`) : undefined;
  },
};
