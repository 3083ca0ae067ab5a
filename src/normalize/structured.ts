// Structured event (api/v1beta1 Event) in JSON → TraceeEvent. Accepts both Tracee's own encoding
// (proto field names in snake_case; `id`/`threat.severity` as numbers (HEAD printer) or enum names
// (v0.24.1 protojson); 64-bit integers as strings; RFC 3339 timestamps) and proto3 JSON as generic
// tools print it (lowerCamelCase keys). Wrapper types may be bare numbers or {"value": n}.

import type {
  Container,
  DataField,
  DetectedFrom,
  K8s,
  Process,
  Severity,
  Thread,
  Threat,
  TraceeEvent,
  ValueKind,
} from '../model/event.ts';
import { reviveBig, reviveBigDeep } from '../util/lossless-json.ts';
import { arr, bool, epochNs, int, int64, isObj, obj, type Obj, ShapeError, str, strArray, strMap } from './read.ts';
import { parseRfc3339Ns } from '../util/time.ts';

const SEVERITY_NAMES: Record<string, Severity> = { INFO: 0, LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 };

/** snake_case proto field name → its lowerCamelCase proto3 JSON name. */
function camel(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Read a field by its proto name, falling back to the proto3 JSON (camelCase) name. */
function f(o: Obj, snake: string): unknown {
  const v = o[snake];
  if (v !== undefined || !snake.includes('_')) return v;
  return o[camel(snake)];
}

/** google.protobuf wrapper: bare value (protojson) or {"value": x} (some printers). */
function unwrap(v: unknown): unknown {
  return isObj(v) && Object.hasOwn(v, 'value') && Object.keys(v).length === 1 ? v.value : v;
}

export function fromStructured(e: Obj, marked: boolean): TraceeEvent {
  if (marked) reviveBigDeep(e);
  const name = str(e.name, 'name');
  if (!name) throw new ShapeError('name', 'a non-empty string', e.name);
  const timestamp = timestampNs(e.timestamp, 'timestamp');
  if (timestamp === undefined) throw new ShapeError('timestamp', 'an RFC 3339 timestamp', e.timestamp);

  const ev: TraceeEvent = { timestamp, name, workload: {}, data: [] };
  const id = eventId(e.id);
  if (id !== undefined) ev.id = id;
  const policies = obj(e.policies, 'policies');
  if (policies) {
    // "" is the policy built from CLI flags (--events/--scope), as in the classic reader
    const matched = strArray(policies.matched, 'policies.matched')?.filter((p) => p !== '');
    if (matched && matched.length > 0) ev.policies = { matched };
  }
  const w = obj(e.workload, 'workload');
  if (w) {
    const p = obj(w.process, 'workload.process');
    if (p) ev.workload.process = process(p, 'workload.process');
    const c = obj(w.container, 'workload.container');
    if (c) ev.workload.container = container(c);
    const k = obj(w.k8s, 'workload.k8s');
    if (k) ev.workload.k8s = k8s(k);
  }
  ev.data = dataList(e.data, 'data');
  // Tracee's conversion appends a syscall's return value to the data (pkg/server/grpc/event_data.go):
  // the mapper reads it where the classic event has it (event.outcome, tracee.return_value)
  const rv = ev.data.findLast((d) => d.name === 'returnValue')?.value;
  if (typeof rv === 'number' || typeof rv === 'bigint') ev.classic = { return_value: rv };
  const t = obj(e.threat, 'threat');
  if (t) ev.threat = threat(t);
  const d = obj(f(e, 'detected_from') ?? e.triggered_by ?? e.triggeredBy, 'detected_from');
  if (d) {
    // Tracee sends an empty DetectedFrom on every event that is not a detection
    const from = detectedFrom(d, 'detected_from');
    if (from.name || from.id || (from.data?.length ?? 0) > 0 || from.parent) ev.detected_from = from;
  }
  return ev;
}

/** RFC 3339 string, google.protobuf.Timestamp {seconds, nanos}, or integer epoch ns; in epochNs's range. */
function timestampNs(v: unknown, path: string): bigint | undefined {
  const t = anyTimestampNs(v, path);
  return t === undefined ? undefined : epochNs(t, path);
}

function anyTimestampNs(v: unknown, path: string): bigint | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') {
    const t = parseRfc3339Ns(v);
    if (t !== undefined) return t;
    if (/^\d+$/.test(v)) return BigInt(v);
    throw new ShapeError(path, 'an RFC 3339 timestamp', v);
  }
  if (typeof v === 'number' || typeof v === 'bigint') return BigInt(int64(v, path)!);
  if (isObj(v)) {
    const s = int64(v.seconds ?? 0, `${path}.seconds`)!;
    const n = int(v.nanos ?? 0, `${path}.nanos`)!;
    return BigInt(s) * 1_000_000_000n + BigInt(n);
  }
  throw new ShapeError(path, 'a timestamp', v);
}

function eventId(v: unknown): number | undefined {
  // Enum names (protojson) cannot be turned into numbers without Tracee's own table; keep the
  // name, which is the stable key anyway.
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

function u32(o: Obj, key: string, path: string): number | undefined {
  return int(unwrap(f(o, key)), `${path}.${key}`);
}

function process(p: Obj, path: string): Process {
  const out: Process = {};
  const exe = obj(p.executable, `${path}.executable`);
  const exePath = exe && str(exe.path, `${path}.executable.path`);
  if (exePath) out.executable = { path: exePath };
  const uid = u32(p, 'unique_id', path);
  if (uid !== undefined) out.unique_id = uid;
  const hostPid = u32(p, 'host_pid', path);
  if (hostPid !== undefined) out.host_pid = hostPid;
  const pid = u32(p, 'pid', path);
  if (pid !== undefined) out.pid = pid;
  const user = obj(f(p, 'real_user'), `${path}.real_user`);
  const userId = user && int(unwrap(user.id), `${path}.real_user.id`);
  if (userId !== undefined && userId !== null) out.real_user = { id: userId };
  const t = obj(p.thread, `${path}.thread`);
  if (t) out.thread = thread(t, `${path}.thread`);
  const ancestors = arr(p.ancestors, `${path}.ancestors`);
  if (ancestors && ancestors.length > 0) {
    out.ancestors = ancestors.map((a, i) =>
      process(obj(a, `${path}.ancestors[${i}]`) ?? {}, `${path}.ancestors[${i}]`),
    );
  }
  return out;
}

function thread(t: Obj, path: string): Thread {
  const out: Thread = {};
  const start = timestampNs(f(t, 'start_time'), `${path}.start_time`);
  if (start !== undefined) out.start_time = start;
  const name = str(t.name, `${path}.name`);
  if (name !== undefined) out.name = name;
  const uid = u32(t, 'unique_id', path);
  if (uid !== undefined) out.unique_id = uid;
  const hostTid = u32(t, 'host_tid', path);
  if (hostTid !== undefined) out.host_tid = hostTid;
  const tid = u32(t, 'tid', path);
  if (tid !== undefined) out.tid = tid;
  const syscall = str(t.syscall, `${path}.syscall`);
  if (syscall) out.syscall = syscall;
  const compat = bool(t.compat, `${path}.compat`);
  if (compat !== undefined) out.compat = compat;
  const stack = obj(f(t, 'user_stack_trace'), `${path}.user_stack_trace`);
  const addrs = stack && arr(stack.addresses, `${path}.user_stack_trace.addresses`);
  // Tracee gives every derived event (net_packet_*, …) one 0 address: no stack, as the classic reader says
  const none =
    addrs !== undefined &&
    addrs.length === 1 &&
    Number(unwrap((obj(addrs[0], `${path}.user_stack_trace.addresses[0]`) ?? {}).address ?? 0)) === 0;
  if (addrs && addrs.length > 0 && !none) {
    out.user_stack_trace = {
      addresses: addrs.map((a, i) => {
        const o = obj(a, `${path}.user_stack_trace.addresses[${i}]`) ?? {};
        const entry: { address: number | bigint; symbol?: string } = {
          address: int64(o.address ?? 0, `${path}.user_stack_trace.addresses[${i}].address`)!,
        };
        const sym = str(o.symbol, `${path}.user_stack_trace.addresses[${i}].symbol`);
        if (sym) entry.symbol = sym;
        return entry;
      }),
    };
  }
  return out;
}

function container(c: Obj): Container {
  const out: Container = {};
  const id = str(c.id, 'workload.container.id');
  if (id) out.id = id;
  const name = str(c.name, 'workload.container.name');
  if (name) out.name = name;
  const image = obj(c.image, 'workload.container.image');
  if (image) {
    const img: NonNullable<Container['image']> = {};
    const imageId = str(image.id, 'workload.container.image.id');
    if (imageId) img.id = imageId;
    const digests = strArray(f(image, 'repo_digests'), 'workload.container.image.repo_digests');
    if (digests && digests.length > 0) img.repo_digests = digests;
    const imageName = str(image.name, 'workload.container.image.name');
    if (imageName) img.name = imageName;
    if (Object.keys(img).length > 0) out.image = img;
  }
  const started = bool(c.started ?? f(c, 'is_running'), 'workload.container.started');
  if (started !== undefined) out.started = started;
  return out;
}

function k8s(k: Obj): K8s {
  const out: K8s = {};
  const pod = obj(k.pod, 'workload.k8s.pod');
  if (pod) {
    const p: NonNullable<K8s['pod']> = {};
    const name = str(pod.name, 'workload.k8s.pod.name');
    if (name) p.name = name;
    const uid = str(pod.uid, 'workload.k8s.pod.uid');
    if (uid) p.uid = uid;
    const labels = strMap(pod.labels, 'workload.k8s.pod.labels');
    if (labels && Object.keys(labels).length > 0) p.labels = labels;
    if (Object.keys(p).length > 0) out.pod = p;
  }
  const ns = obj(k.namespace, 'workload.k8s.namespace');
  const nsName = ns && str(ns.name, 'workload.k8s.namespace.name');
  if (nsName) out.namespace = { name: nsName };
  return out;
}

function threat(t: Obj): Threat {
  const out: Threat = {};
  const description = str(t.description, 'threat.description');
  if (description) out.description = description;
  const name = str(t.name, 'threat.name');
  if (name) out.name = name;
  const sev = t.severity;
  if (sev !== undefined && sev !== null) {
    if (typeof sev === 'number' && sev >= 0 && sev <= 4 && Number.isInteger(sev)) out.severity = sev as Severity;
    else if (typeof sev === 'string' && Object.hasOwn(SEVERITY_NAMES, sev)) out.severity = SEVERITY_NAMES[sev];
    else throw new ShapeError('threat.severity', 'a severity 0–4 or INFO/LOW/MEDIUM/HIGH/CRITICAL', sev);
  }
  const mitre = obj(t.mitre, 'threat.mitre');
  if (mitre) {
    const tactic = obj(mitre.tactic, 'threat.mitre.tactic');
    const technique = obj(mitre.technique, 'threat.mitre.technique');
    // Tracee always sends Mitre{Tactic{}, Technique{}}: kept only when it names something
    const m: NonNullable<Threat['mitre']> = {};
    const tacticName = tactic && str(tactic.name, 'threat.mitre.tactic.name');
    if (tacticName) m.tactic = { name: tacticName };
    if (technique) {
      const id = str(technique.id, 'threat.mitre.technique.id');
      const tname = str(technique.name, 'threat.mitre.technique.name');
      if (id || tname) {
        m.technique = {};
        if (id) m.technique.id = id;
        if (tname) m.technique.name = tname;
      }
    }
    if (m.tactic || m.technique) out.mitre = m;
  }
  const props = strMap(t.properties, 'threat.properties');
  // Go's fmt.Sprint of a missing property is "<nil>" (Tracee forces the MITRE keys in): absent, as in the classic reader
  if (props) for (const k of Object.keys(props)) if (props[k] === '<nil>') delete props[k];
  if (props && Object.keys(props).length > 0) out.properties = props;
  return out;
}

function detectedFrom(d: Obj, path: string): DetectedFrom {
  const out: DetectedFrom = {};
  const id = int(d.id, `${path}.id`);
  if (id !== undefined) out.id = id;
  const name = str(d.name, `${path}.name`);
  if (name) out.name = name;
  const data = dataList(d.data, `${path}.data`);
  if (data.length > 0) out.data = data;
  const parent = obj(d.parent, `${path}.parent`);
  if (parent) out.parent = detectedFrom(parent, `${path}.parent`);
  return out;
}

/** EventValue oneof members, in Tracee's JSON (snake) and proto3 JSON (camel) spellings. */
const MEMBERS: ReadonlyArray<ValueKind> = [
  'int32',
  'int64',
  'u_int32',
  'u_int64',
  'pointer',
  'str',
  'bytes',
  'bool',
  'str_array',
  'int32_array',
  'u_int64_array',
  'sockaddr',
  'credentials',
  'timespec',
  'hooked_syscalls',
  'hooked_seq_ops',
  'ipv4',
  'ipv6',
  'tcp',
  'udp',
  'icmp',
  'icmpv6',
  'dns',
  'dns_questions',
  'dns_responses',
  'packet_metadata',
  'http',
  'http_request',
  'http_response',
  'struct',
];
const MEMBER_BY_KEY = new Map<string, ValueKind>();
for (const m of MEMBERS) {
  MEMBER_BY_KEY.set(m, m);
  MEMBER_BY_KEY.set(camel(m), m);
}

function dataList(v: unknown, path: string): DataField[] {
  const list = arr(v, path);
  if (!list) return [];
  const out: DataField[] = [];
  for (let i = 0; i < list.length; i++) {
    const item = obj(list[i], `${path}[${i}]`);
    if (!item) continue;
    const name = str(item.name, `${path}[${i}].name`);
    if (name === undefined) throw new ShapeError(`${path}[${i}].name`, 'a string', item.name);
    let kind: ValueKind | undefined;
    let raw: unknown = null;
    for (const key of Object.keys(item)) {
      if (key === 'name') continue;
      const m = MEMBER_BY_KEY.get(key);
      if (m !== undefined) {
        kind = m;
        raw = item[key];
        break;
      }
      if (key === 'value' && item[key] === null) {
        kind = 'struct';
        raw = null;
        break;
      } // unset value
    }
    if (kind === undefined) throw new ShapeError(`${path}[${i}]`, 'one EventValue member (int32, str, …)', item);
    out.push({ name, kind, value: memberValue(kind, raw, `${path}[${i}].${kind}`) });
  }
  return out;
}

/** Bring a oneof member's JSON value to the form the classic shape carries for the same data. */
function memberValue(kind: ValueKind, v: unknown, path: string): unknown {
  switch (kind) {
    case 'int32':
    case 'u_int32':
      return int(v, path);
    case 'int64':
    case 'u_int64':
    case 'pointer':
      return int64(v, path);
    case 'str':
      return str(v, path);
    case 'bool':
      return bool(v, path);
    case 'bytes':
      return str(v, path);
    case 'str_array':
      return isObj(v) ? (strArray(v.value, path) ?? []) : (strArray(v, path) ?? []);
    case 'int32_array':
      return isObj(v) ? (arr(v.value, path) ?? []) : (arr(v, path) ?? []);
    case 'u_int64_array': {
      const a = isObj(v) ? (arr(v.value, path) ?? []) : (arr(v, path) ?? []);
      return a.map((x, i) => int64(reviveBig(x), `${path}[${i}]`));
    }
    case 'timespec': {
      const x = unwrap(v);
      return typeof x === 'number' ? x : x;
    }
    case 'dns_questions':
      return isObj(v) && Array.isArray(v.questions) ? v.questions : v;
    case 'dns_responses':
      return isObj(v) && Array.isArray(v.responses) ? v.responses : v;
    default:
      return v;
  }
}
