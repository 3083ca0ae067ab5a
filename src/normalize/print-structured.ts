// TraceeEvent → Tracee's own JSON encoding of the structured (v1beta1) event, as its HEAD printer
// writes it (api/v1beta1/event_json.go): key order timestamp, id, name, policies, workload, data,
// threat, detected_from; RFC 3339 nano times; 64-bit integers as strings; `data` as
// [{name, <member>: value}]. Classic-only fields go to `classic` (an extension; see
// mappings/schema/tracee-event.schema.json), so nothing the classic event said is lost.

import type { DataField, DetectedFrom, Process, TraceeEvent } from '../model/event.ts';
import { formatRfc3339Nano } from '../util/time.ts';

export const STRUCTURED_SCHEMA_VERSION = '1.0.0';

type J = Record<string, unknown>;

const str64 = (v: unknown) => (typeof v === 'bigint' || typeof v === 'number' ? String(v) : v);

/** Go/JSON tag spellings (srcIP, QDCount, TTL, opCode) → proto snake_case (src_ip, qd_count, ttl, op_code). */
export function snakeKey(k: string): string {
  return k
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

function snakeDeep(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(snakeDeep);
  if (v !== null && typeof v === 'object') {
    const out: J = {};
    for (const k of Object.keys(v)) {
      const x = (v as J)[k];
      out[snakeKey(k)] = k === 'headers' ? headers(x) : snakeDeep(x);
    }
    return out;
  }
  return v;
}

/** HTTP header names are data, not field names: keep them; v1beta1 wraps values as {header: [...]}. */
function headers(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const out: J = {};
  for (const k of Object.keys(v)) {
    const x = (v as J)[k];
    out[k] = Array.isArray(x) ? { header: x } : x;
  }
  return out;
}

function sockaddr(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return {};
  const o = v as J;
  const out: J = {};
  for (const k of Object.keys(o)) {
    const x = o[k];
    if (x === '' || x === 0 || x === '0' || x === null) continue;
    out[k] = /port|flowinfo|scopeid/.test(k) && typeof x === 'string' && /^\d+$/.test(x) ? Number(x) : x;
  }
  return out;
}

function memberValue(f: DataField): unknown {
  const v = f.value;
  switch (f.kind) {
    case 'int64':
    case 'u_int64':
    case 'pointer':
      return str64(v);
    case 'str_array':
      return Array.isArray(v) && v.length > 0 ? { value: v } : {};
    case 'int32_array':
      return { value: Array.isArray(v) ? v : [] };
    case 'u_int64_array':
      return { value: Array.isArray(v) ? v.map(str64) : [] };
    case 'timespec':
      return { value: v };
    case 'sockaddr':
      return sockaddr(v);
    case 'dns_questions':
      return { questions: snakeDeep(v) };
    case 'dns_responses':
      return { responses: snakeDeep(v) };
    case 'struct':
      return snakeSafe(v);
    default:
      return v !== null && typeof v === 'object' ? snakeDeep(v) : v;
  }
}

/** google.protobuf.Struct content keeps its keys; only bigint needs care. */
function snakeSafe(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? null, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
}

function dataList(fields: readonly DataField[]): J[] {
  // an unset value prints as "value": null, like Tracee's printer
  return fields.map((f) =>
    f.value === null || f.value === undefined
      ? { name: f.name, value: null }
      : { name: f.name, [f.kind]: memberValue(f) },
  );
}

function process(p: Process): J {
  const out: J = {};
  if (p.executable) out.executable = { path: p.executable.path };
  if (p.unique_id !== undefined) out.unique_id = p.unique_id;
  if (p.host_pid !== undefined) out.host_pid = p.host_pid;
  if (p.pid !== undefined) out.pid = p.pid;
  if (p.real_user) out.real_user = { id: p.real_user.id };
  const t = p.thread;
  if (t) {
    const th: J = {};
    if (t.start_time !== undefined) th.start_time = formatRfc3339Nano(t.start_time);
    if (t.name !== undefined) th.name = t.name;
    if (t.unique_id !== undefined) th.unique_id = t.unique_id;
    if (t.host_tid !== undefined) th.host_tid = t.host_tid;
    if (t.tid !== undefined) th.tid = t.tid;
    if (t.syscall !== undefined) th.syscall = t.syscall;
    if (t.compat !== undefined) th.compat = t.compat;
    if (t.user_stack_trace)
      th.user_stack_trace = {
        addresses: t.user_stack_trace.addresses.map((a) =>
          a.symbol ? { address: String(a.address), symbol: a.symbol } : { address: String(a.address) },
        ),
      };
    out.thread = th;
  }
  if (p.ancestors && p.ancestors.length > 0) out.ancestors = p.ancestors.map(process);
  return out;
}

function detectedFrom(d: DetectedFrom): J {
  const out: J = {};
  if (d.id !== undefined) out.id = d.id;
  if (d.name !== undefined) out.name = d.name;
  if (d.data) out.data = dataList(d.data);
  if (d.parent) out.parent = detectedFrom(d.parent);
  return out;
}

export function toStructuredJson(ev: TraceeEvent): J {
  const out: J = { timestamp: formatRfc3339Nano(ev.timestamp) };
  if (ev.id !== undefined) out.id = ev.id;
  out.name = ev.name;
  if (ev.policies) out.policies = { matched: ev.policies.matched };
  const w: J = {};
  if (ev.workload.process) w.process = process(ev.workload.process);
  const c = ev.workload.container;
  if (c) {
    const cj: J = { id: c.id ?? '', name: c.name ?? '' };
    if (c.image) {
      const img: J = {};
      if (c.image.id) img.id = c.image.id;
      if (c.image.repo_digests) img.repo_digests = c.image.repo_digests;
      if (c.image.name) img.name = c.image.name;
      cj.image = img;
    }
    cj.started = c.started ?? false;
    w.container = cj;
  }
  const k = ev.workload.k8s;
  if (k) {
    const kj: J = {};
    if (k.pod) kj.pod = { ...k.pod, ...(k.pod.labels ? { labels: { ...k.pod.labels } } : {}) };
    if (k.namespace) kj.namespace = { name: k.namespace.name };
    w.k8s = kj;
  }
  out.workload = w;
  out.data = dataList(ev.data);
  if (ev.threat) {
    const t = ev.threat;
    const tj: J = { description: t.description ?? '', severity: t.severity ?? 0, name: t.name ?? '' };
    if (t.mitre) tj.mitre = t.mitre;
    if (t.properties) tj.properties = { ...t.properties };
    out.threat = tj;
  }
  if (ev.detected_from) out.detected_from = detectedFrom(ev.detected_from);
  if (ev.classic && Object.keys(ev.classic).length > 0) {
    const cl: J = {};
    for (const [key, v] of Object.entries(ev.classic)) cl[key] = typeof v === 'bigint' ? v.toString() : v;
    for (const key of ['cgroup_id', 'mount_namespace', 'pid_namespace', 'return_value', 'matched_scopes'])
      if (key in cl) cl[key] = String(cl[key]);
    out.classic = cl;
  }
  return out;
}
