// Sensitive values inside events (mappings/redact.yaml): an exporter's `redact:` setting becomes a
// plan, and the exporter's mapper is wrapped so every event is cleaned before it is mapped — ECS,
// OTel, the Tracee event itself (kafka tracee_json), tracee.data and the dead letter's mapped record alike. Exporters with the same plan share
// one wrapped mapper (redactKey), like trimmed mappers share one (trim.ts). Only events that carry
// an HTTP message (a data field named in http_fields) are copied; the others pass untouched.

import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { DataField, DetectedFrom, TraceeEvent } from '../model/event.ts';
import { BUILTIN_MAPPINGS_DIR, MappingTableError } from './load.ts';
import type { Mapper } from './compile.ts';
import { sameIdentityAs } from './transforms/event-identity.ts';

export interface RedactEntry {
  description: string;
  headers: string[];
  url_userinfo: boolean;
  query_parameters: string[];
}

export interface RedactTable {
  marker: string;
  http_fields: string[];
  url_keys: string[];
  entries: Record<string, RedactEntry>;
  default: string[];
}

/** What one exporter redacts: lower-case header and parameter names. */
export interface RedactPlan {
  marker: string;
  httpFields: ReadonlySet<string>;
  urlKeys: ReadonlySet<string>;
  headers: ReadonlySet<string>;
  userinfo: boolean;
  params: ReadonlySet<string>;
}

export type RedactSetting = 'none' | 'default' | string[];

export class RedactConfigError extends Error {
  /** The key below `where` (empty: `where` itself) and the reason alone, for `config check`. */
  readonly key: string;
  readonly reason: string;
  constructor(where: string, key: string, reason: string) {
    super(`${where}${key ? `.${key}` : ''}: ${reason}`);
    this.name = 'RedactConfigError';
    this.key = key;
    this.reason = reason;
  }
}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== '');

/** mappings/redact.yaml (or `dir`/redact.yaml), checked. */
export function loadRedactTable(dir = BUILTIN_MAPPINGS_DIR): RedactTable {
  const file = path.join(dir, 'redact.yaml');
  let data: Record<string, unknown>;
  try {
    data = parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new MappingTableError(file, (err as Error).message);
  }
  const bad = (what: string): never => {
    throw new MappingTableError(file, what);
  };
  if (data === null || typeof data !== 'object')
    bad('expected a mapping (marker, http_fields, url_keys, entries, default)');
  if (typeof data.marker !== 'string' || data.marker === '') bad('marker: expected a non-empty string');
  if (!strings(data.http_fields)) bad('http_fields: expected a list of data field names');
  if (!strings(data.url_keys)) bad('url_keys: expected a list of keys');
  const raw = data.entries;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    bad('entries: expected a map of entry name → { headers | url_userinfo | query_parameters }');
  const entries: Record<string, RedactEntry> = {};
  for (const [name, e] of Object.entries(raw as Record<string, Record<string, unknown>>)) {
    const headers = e?.headers ?? [];
    const params = e?.query_parameters ?? [];
    if (
      !strings(headers) ||
      !strings(params) ||
      (e.url_userinfo !== undefined && typeof e.url_userinfo !== 'boolean')
    ) {
      bad(`entries.${name}: headers and query_parameters are lists of names, url_userinfo true/false`);
    }
    entries[name] = {
      description: String(e.description ?? ''),
      headers: headers as string[],
      url_userinfo: e.url_userinfo === true,
      query_parameters: params as string[],
    };
  }
  if (!strings(data.default) || data.default.some((n) => !(n in entries)))
    bad('default: expected a list of entry names');
  return {
    marker: data.marker as string,
    http_fields: data.http_fields as string[],
    url_keys: data.url_keys as string[],
    entries,
    default: data.default as string[],
  };
}

// an HTTP field name (RFC 9110 §5.1 token)
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The plan for an exporter's `redact:` (absent = `default`); undefined = nothing to redact. In a
 * list, a table entry name (or `default`) adds its rules; anything else is an extra header name.
 */
export function redactPlan(setting: unknown, table: RedactTable, where: string): RedactPlan | undefined {
  const names = setting === undefined || setting === 'default' ? ['default'] : setting === 'none' ? [] : setting;
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || n === '')) {
    throw new RedactConfigError(
      where,
      'redact',
      `expected none, default, or a list of ${Object.keys(table.entries).join(', ')}, default and/or header names`,
    );
  }
  const headers = new Set<string>();
  const params = new Set<string>();
  let userinfo = false;
  const add = (e: RedactEntry) => {
    for (const h of e.headers) headers.add(h.toLowerCase());
    for (const p of e.query_parameters) params.add(p.toLowerCase());
    userinfo ||= e.url_userinfo;
  };
  for (const n of names as string[]) {
    if (n === 'none')
      throw new RedactConfigError(where, 'redact', `"none" cannot be part of a list (write redact: none)`);
    if (n === 'default') for (const d of table.default) add(table.entries[d]);
    else if (table.entries[n] !== undefined) add(table.entries[n]);
    else if (HEADER_NAME.test(n)) headers.add(n.toLowerCase());
    else
      throw new RedactConfigError(
        where,
        'redact',
        `"${n}" is neither an entry of mappings/redact.yaml (${Object.keys(table.entries).join(', ')}, default) nor a header name`,
      );
  }
  if (headers.size === 0 && params.size === 0 && !userinfo) return undefined;
  return {
    marker: table.marker,
    httpFields: new Set(table.http_fields),
    urlKeys: new Set(table.url_keys),
    headers,
    userinfo,
    params,
  };
}

/** One key per distinct plan ('' = none), to share wrapped mappers. */
export function redactKey(plan: RedactPlan | undefined): string {
  if (plan === undefined) return '';
  return JSON.stringify([[...plan.headers].sort(), plan.userinfo, [...plan.params].sort()]);
}

/** A URL or path with the plan's user info and query parameters replaced; the same string when nothing matched. */
export function redactUrl(s: string, plan: RedactPlan): string {
  let out = s;
  if (plan.userinfo && out.includes('@')) {
    // scheme://userinfo@host — up to the last @ before the path (a password may hold an unencoded @)
    out = out.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/?#\s]*)@/gi, (_m, scheme: string) => `${scheme}${plan.marker}@`);
  }
  if (plan.params.size > 0 && /[?&]/.test(out)) {
    out = out.replace(/([?&])([^=&#\s]+)=([^&#\s]*)/g, (m, sep: string, k: string) => {
      let name = k;
      try {
        name = decodeURIComponent(k);
      } catch {
        /* as is */
      }
      return plan.params.has(name.toLowerCase()) ? `${sep}${k}=${plan.marker}` : m;
    });
  }
  return out;
}

type O = Record<string, unknown>;
const isO = (v: unknown): v is O => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A header's value: a string, a list of strings (classic), or v1beta1 HttpHeader { header: [...] }. */
function redactHeaderValue(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? f(x) : x));
  if (isO(v) && Array.isArray(v.header))
    return { ...v, header: v.header.map((x) => (typeof x === 'string' ? f(x) : x)) };
  return v;
}

function redactHttp(value: O, plan: RedactPlan): O {
  const out: O = { ...value };
  for (const k of Object.keys(out)) {
    if (plan.urlKeys.has(k) && typeof out[k] === 'string') out[k] = redactUrl(out[k], plan);
  }
  if (isO(value.headers)) {
    const headers: O = {};
    for (const [name, v] of Object.entries(value.headers)) {
      // a named header loses its value; every other header's URLs lose their credentials (Referer, Location)
      headers[name] = plan.headers.has(name.toLowerCase())
        ? redactHeaderValue(v, () => plan.marker)
        : redactHeaderValue(v, (s) => redactUrl(s, plan));
    }
    out.headers = headers;
  }
  return out;
}

function redactData(fields: DataField[], plan: RedactPlan): DataField[] | undefined {
  let data: DataField[] | undefined;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (!plan.httpFields.has(f.name) || !isO(f.value)) continue;
    data ??= fields.slice();
    data[i] = { ...f, value: redactHttp(f.value, plan) };
  }
  return data;
}

/** The triggering event of a detection (and its parents) carries the HTTP message too. */
function redactDetectedFrom(d: DetectedFrom, plan: RedactPlan): DetectedFrom | undefined {
  const data = d.data === undefined ? undefined : redactData(d.data, plan);
  const parent = d.parent === undefined ? undefined : redactDetectedFrom(d.parent, plan);
  if (data === undefined && parent === undefined) return undefined;
  return { ...d, ...(data ? { data } : {}), ...(parent ? { parent } : {}) };
}

/** `ev` itself when it carries no HTTP message; else a copy with the HTTP fields redacted (the input is never changed). */
export function redactEvent(ev: TraceeEvent, plan: RedactPlan): TraceeEvent {
  const data = redactData(ev.data, plan);
  const from = ev.detected_from === undefined ? undefined : redactDetectedFrom(ev.detected_from, plan);
  if (data === undefined && from === undefined) return ev;
  return sameIdentityAs({ ...ev, ...(data ? { data } : {}), ...(from ? { detected_from: from } : {}) }, ev);
}

/** `mapper` with every event redacted by `plan` first (undefined plan: the mapper itself). */
export function withRedaction(mapper: Mapper, plan: RedactPlan | undefined): Mapper {
  if (plan === undefined) return mapper;
  return {
    toEcs: (ev) => mapper.toEcs(redactEvent(ev, plan)),
    toEcsJson: (ev) => mapper.toEcsJson(redactEvent(ev, plan)),
    toOtel: (ev) => mapper.toOtel(redactEvent(ev, plan)),
    ...(mapper.toOtelEncoded === undefined
      ? {}
      : { toOtelEncoded: (ev, alloc) => mapper.toOtelEncoded!(redactEvent(ev, plan), alloc) }),
    toTracee: (ev) => mapper.toTracee(redactEvent(ev, plan)),
    ecsFields: () => mapper.ecsFields(),
    otelAttributes: () => mapper.otelAttributes(),
  };
}

/**
 * For the pipeline: (base mapper, `redact:` setting) → the exporter's mapper; exporters with the
 * same base and plan share one, so the event is mapped once for them.
 */
export function redactingMappers(dir?: string): (base: Mapper, setting: unknown, where: string) => Mapper {
  let table: RedactTable | undefined;
  const cache = new Map<Mapper, Map<string, Mapper>>();
  return (base, setting, where) => {
    const plan = redactPlan(setting, (table ??= loadRedactTable(dir)), where);
    const key = redactKey(plan);
    let byKey = cache.get(base);
    if (byKey === undefined) cache.set(base, (byKey = new Map()));
    let m = byKey.get(key);
    if (m === undefined) byKey.set(key, (m = withRedaction(base, plan)));
    return m;
  };
}
