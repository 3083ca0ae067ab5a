// Generic value transforms: strings, paths, counts, lookups, container images, times.

import { createRfc3339NsFormatter, PLAUSIBLE_EPOCH_NS } from '../../util/time.ts';
import { lookupTable } from '../lookups.ts';
import { plain, type TransformFactory } from './index.ts';

export function asString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return undefined;
}

function basename(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const s = v.endsWith('/') && v.length > 1 ? v.slice(0, -1) : v;
  const i = s.lastIndexOf('/');
  return i < 0 ? s : s.slice(i + 1) || undefined;
}

function dirname(v: unknown): string | undefined {
  if (typeof v !== 'string' || !v.includes('/')) return undefined;
  const i = v.lastIndexOf('/');
  return i === 0 ? '/' : v.slice(0, i);
}

/** "repo/name:tag" or "repo/name@sha256:…" → "repo/name" (a ":" after the last "/" is a tag). */
export function splitImage(ref: string): { name: string; tag?: string; digest?: string } {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) return { name: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
  return { name: rest, digest };
}

/** A collect row's values as one list: lists flattened, missing and empty values left out, each value once. */
function distinct(v: unknown): unknown[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: unknown[] = [];
  const add = (x: unknown) => {
    if (x !== undefined && x !== null && x !== '' && typeof x !== 'object' && !out.includes(x)) out.push(x);
  };
  for (const x of v)
    if (Array.isArray(x)) x.forEach(add);
    else add(x);
  return out.length > 0 ? out : undefined;
}

export const textTransforms: Record<string, TransformFactory> = {
  string: plain(asString),
  distinct: plain(distinct),
  basename: plain(basename),
  dirname: plain(dirname),
  extension: plain((v) => {
    const b = basename(v);
    if (b === undefined) return undefined;
    const i = b.lastIndexOf('.');
    return i > 0 && i < b.length - 1 ? b.slice(i + 1) : undefined;
  }),
  count: plain((v) => (Array.isArray(v) ? v.length : undefined)),
  first: plain((v) => (Array.isArray(v) ? v[0] : v)),
  // argv → one command line; arguments with spaces or quotes are quoted so it can be split again.
  join_args: plain((v) => {
    if (!Array.isArray(v) || v.length === 0) return undefined;
    return v
      .map((a) => {
        const s = String(a);
        return s === '' || /[\s"'\\]/.test(s) ? JSON.stringify(s) : s;
      })
      .join(' ');
  }),
  // numeric mode → octal string of the permission bits ("644"); ECS/OTel file.mode examples.
  octal_mode: plain((v) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return undefined;
    return (v & 0o7777).toString(8).padStart(3, '0');
  }),
  prefix: (arg) => (v) => (v === '' || v === undefined ? undefined : `${arg ?? ''}${asString(v) ?? ''}`),
  lookup: (arg, lookups) => {
    const table = lookupTable(lookups, arg ?? '');
    return (v) => {
      const k = asString(v);
      return k !== undefined && Object.hasOwn(table, k) ? table[k] : undefined;
    };
  },
  image_name: plain((v) => (typeof v === 'string' && v ? splitImage(v).name : undefined)),
  image_tags: plain((v) => {
    const tag = typeof v === 'string' && v ? splitImage(v).tag : undefined;
    return tag ? [tag] : undefined;
  }),
  // repo digests "repo@sha256:abc" → ECS container.image.hash.all "sha256:abc"
  image_hashes: plain((v) => {
    if (!Array.isArray(v)) return undefined;
    const out = v
      .filter((d): d is string => typeof d === 'string' && d !== '')
      .map((d) => (d.includes('@') ? d.slice(d.indexOf('@') + 1) : d));
    return out.length > 0 ? out : undefined;
  }),
  // label map → ["key:value", …] (ECS orchestrator.resource.label example)
  labels_kv: plain((v) => {
    if (v === null || typeof v !== 'object') return undefined;
    const o = v as Record<string, unknown>;
    const out = Object.keys(o)
      .sort()
      .map((k) => `${k}:${String(o[k])}`);
    return out.length > 0 ? out : undefined;
  }),
  // marks a map to be spread into "<attribute>.<key>" attributes (semconv template attributes)
  template: plain((v) => v),
  rfc3339_ns: () => {
    const format = createRfc3339NsFormatter();
    return (v) =>
      typeof v === 'bigint' ? format(v) : typeof v === 'number' && Number.isInteger(v) ? format(BigInt(v)) : undefined;
  },
  // a wall-clock ns time only: Tracee ≤ v0.10 sent boot-relative thread start times
  rfc3339_ns_epoch: () => {
    const format = createRfc3339NsFormatter();
    return (v) => {
      const ns = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : undefined;
      return ns !== undefined && ns >= PLAUSIBLE_EPOCH_NS ? format(ns) : undefined;
    };
  },
  stack_addresses: plain((v) => {
    const addrs = (v as { addresses?: Array<{ address: unknown }> } | undefined)?.addresses;
    if (!Array.isArray(addrs) || addrs.length === 0) return undefined;
    // an address that is no integer (a changed or hostile input) is left out, not a thrown error
    const out: string[] = [];
    for (const a of addrs) {
      const x = (a as { address?: unknown } | null)?.address;
      if (typeof x === 'bigint' || (typeof x === 'number' && Number.isInteger(x)))
        out.push(`0x${BigInt(x).toString(16)}`);
    }
    return out.length > 0 ? out : undefined;
  }),
};
