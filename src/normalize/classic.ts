// Classic JSON event (`tracee -o json`, webhook; Go trace.Event, all eras v0.8–v0.24) → TraceeEvent.
// The conversion follows Tracee's own legacy → v1beta1 rules (tracee-formats.md §4.4) and keeps
// what that conversion drops under `classic`.

import type {
  ClassicOnly,
  Container,
  DataField,
  DetectedFrom,
  K8s,
  Process,
  Severity,
  Threat,
  TraceeEvent,
} from '../model/event.ts';
import { reviveBig, reviveBigDeep } from '../util/lossless-json.ts';
import { arr, bool, int, int64, isObj, ns, obj, type Obj, ShapeError, str, strArray } from './read.ts';
import { kindOfClassicArg } from './value-kinds.ts';

/** Names of the detection argument that carries the triggering event (v0.24+ / v0.18–v0.23). */
const DETECTED_FROM_ARGS = new Set(['detectedFrom', 'triggeredBy']);

export function fromClassic(e: Obj, marked: boolean): TraceeEvent {
  const name = str(e.eventName, 'eventName');
  if (name === undefined || name === '') throw new ShapeError('eventName', 'a non-empty string', e.eventName);
  const timestamp = ns(e.timestamp, 'timestamp');
  if (timestamp === undefined) throw new ShapeError('timestamp', 'an integer (epoch ns)', e.timestamp);

  const process = classicProcess(e);
  const container = classicContainer(e);
  const k8s = classicK8s(e);
  const classic = classicOnly(e);

  const data: DataField[] = [];
  let detectedFrom: DetectedFrom | undefined;
  const args = arr(e.args, 'args');
  if (args !== undefined) {
    for (let i = 0; i < args.length; i++) {
      // type checks inline: the error paths (`args[i].name`) are only built for an error
      const a = args[i];
      if (!isObj(a)) throw new ShapeError(`args[${i}]`, 'an object', a);
      const argName = a.name;
      if (typeof argName !== 'string') throw new ShapeError(`args[${i}].name`, 'a string', argName);
      const t = a.type;
      if (t !== undefined && t !== null && typeof t !== 'string')
        throw new ShapeError(`args[${i}].type`, 'a string', t);
      const type = (t ?? undefined) as string | undefined;
      let value = a.value;
      if (marked) value = typeof value === 'object' ? reviveBigDeep(value) : reviveBig(value);
      if (DETECTED_FROM_ARGS.has(argName) && isObj(value)) {
        detectedFrom = classicDetectedFrom(value, `args[${i}].value`);
        continue;
      }
      const kind = kindOfClassicArg(type, value);
      // old captures wrote pointers as hex strings ("0x7ffd…"): keep the number
      if (kind === 'pointer' && typeof value === 'string') value = hexToInt64(value);
      data.push({ name: argName, kind, value, type });
    }
  }

  const ev: TraceeEvent = { timestamp, name, workload: {}, data };
  const policies = classicPolicies(e);
  if (policies !== undefined) ev.policies = { matched: policies };
  if (process !== undefined) ev.workload.process = process;
  if (container !== undefined) ev.workload.container = container;
  if (k8s !== undefined) ev.workload.k8s = k8s;
  const metadata = obj(e.metadata, 'metadata');
  if (metadata !== undefined) {
    const threat = classicThreat(metadata, marked);
    if (threat !== undefined) ev.threat = threat;
    const version = str(metadata.Version, 'metadata.Version');
    if (version !== undefined) classic.metadata_version = version;
    const tags = strArray(metadata.Tags, 'metadata.Tags');
    if (tags !== undefined) classic.metadata_tags = tags;
  }
  if (detectedFrom !== undefined) ev.detected_from = detectedFrom;
  ev.classic = classic;
  return ev;
}

function classicPolicies(e: Obj): string[] | undefined {
  const matched = strArray(e.matchedPolicies, 'matchedPolicies');
  if (matched === undefined) return undefined;
  const named = matched.filter((p) => p !== ''); // [""] = CLI --events/--scope, no named policy
  return named.length > 0 ? named : undefined;
}

function classicProcess(e: Obj): Process | undefined {
  const p: Process = {};
  const exe = obj(e.executable, 'executable');
  const exePath = exe === undefined ? undefined : str(exe.path, 'executable.path');
  if (exePath) p.executable = { path: exePath };
  const uniqueId = int(e.processEntityId, 'processEntityId');
  if (uniqueId) p.unique_id = uniqueId;
  const hostPid = int(e.hostProcessId, 'hostProcessId');
  if (hostPid !== undefined) p.host_pid = hostPid;
  const pid = int(e.processId, 'processId');
  if (pid !== undefined) p.pid = pid;
  const uid = int(e.userId, 'userId');
  if (uid !== undefined) p.real_user = { id: uid };

  const t: NonNullable<Process['thread']> = {};
  const start = ns(e.threadStartTime, 'threadStartTime');
  if (start !== undefined && start !== 0n) t.start_time = start;
  const comm = str(e.processName, 'processName');
  if (comm !== undefined) t.name = comm;
  const threadUid = int(e.threadEntityId, 'threadEntityId');
  if (threadUid) t.unique_id = threadUid;
  const hostTid = int(e.hostThreadId, 'hostThreadId');
  if (hostTid !== undefined) t.host_tid = hostTid;
  const tid = int(e.threadId, 'threadId');
  if (tid !== undefined) t.tid = tid;
  const syscall = str(e.syscall, 'syscall');
  if (syscall) t.syscall = syscall;
  const flags = obj(e.contextFlags, 'contextFlags');
  const compat = flags === undefined ? undefined : bool(flags.isCompat, 'contextFlags.isCompat');
  if (compat !== undefined) t.compat = compat;
  const stack = arr(e.stackAddresses, 'stackAddresses');
  if (stack !== undefined && !(stack.length === 1 && stack[0] === 0) && stack.length > 0) {
    t.user_stack_trace = {
      addresses: stack.map((a, i) => ({ address: int64(reviveBig(a), `stackAddresses[${i}]`)! })),
    };
  }
  if (hasKeys(t)) p.thread = t;

  // Tracee builds one ancestor from the parent's entity id; keep the parent pids even without it.
  const parentUid = int(e.parentEntityId, 'parentEntityId');
  const parentHostPid = int(e.hostParentProcessId, 'hostParentProcessId');
  const parentPid = int(e.parentProcessId, 'parentProcessId');
  if (parentUid || parentHostPid || parentPid) {
    const parent: Process = {};
    if (parentUid) parent.unique_id = parentUid;
    if (parentHostPid !== undefined) parent.host_pid = parentHostPid;
    if (parentPid !== undefined) parent.pid = parentPid;
    p.ancestors = [parent];
  }
  return hasKeys(p) ? p : undefined;
}

function hasKeys(o: object): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return true;
  return false;
}

function classicContainer(e: Obj): Container | undefined {
  const c = obj(e.container, 'container');
  const flags = obj(e.contextFlags, 'contextFlags');
  // v0.13+: nested container{}; ≤ v0.12: flat containerId/containerImage/containerName.
  const id = (c && str(c.id, 'container.id')) || str(e.containerId, 'containerId') || undefined;
  const name = (c && str(c.name, 'container.name')) || str(e.containerName, 'containerName') || undefined;
  const image = (c && str(c.image, 'container.image')) || str(e.containerImage, 'containerImage') || undefined;
  const digest = (c && str(c.imageDigest, 'container.imageDigest')) || undefined;
  if (!id && !name && !image && !digest) return undefined;
  const out: Container = {};
  if (id) out.id = id;
  if (name) out.name = name;
  if (image || digest) {
    out.image = {};
    if (image) out.image.name = image;
    if (digest) out.image.repo_digests = [digest];
  }
  const started = flags === undefined ? undefined : bool(flags.containerStarted, 'contextFlags.containerStarted');
  if (started !== undefined) out.started = started;
  return out;
}

function classicK8s(e: Obj): K8s | undefined {
  const k = obj(e.kubernetes, 'kubernetes');
  const podName = (k && str(k.podName, 'kubernetes.podName')) || str(e.podName, 'podName') || undefined;
  const podUid = (k && str(k.podUID, 'kubernetes.podUID')) || str(e.podUID, 'podUID') || undefined;
  const ns = (k && str(k.podNamespace, 'kubernetes.podNamespace')) || str(e.podNamespace, 'podNamespace') || undefined;
  if (!podName && !podUid && !ns) return undefined;
  const out: K8s = {};
  if (podName || podUid) {
    out.pod = {};
    if (podName) out.pod.name = podName;
    if (podUid) out.pod.uid = podUid;
  }
  if (ns) out.namespace = { name: ns };
  return out;
}

function classicOnly(e: Obj): ClassicOnly {
  const c: ClassicOnly = {};
  const eventId = e.eventId;
  if (eventId !== undefined && eventId !== null) {
    if (typeof eventId === 'string') c.event_id = eventId;
    else c.event_id = String(int64(eventId, 'eventId'));
  }
  const put = <K extends keyof ClassicOnly>(k: K, v: ClassicOnly[K] | undefined) => {
    if (v !== undefined) c[k] = v;
  };
  put('processor_id', int(e.processorId, 'processorId'));
  put('cgroup_id', int64(e.cgroupId, 'cgroupId'));
  put('mount_namespace', int64(e.mountNamespace, 'mountNamespace'));
  put('pid_namespace', int64(e.pidNamespace, 'pidNamespace'));
  put('uts_name', str(e.hostName, 'hostName'));
  put('return_value', int64(e.returnValue, 'returnValue'));
  put('args_num', int(e.argsNum, 'argsNum'));
  put('parent_pid', int(e.parentProcessId, 'parentProcessId'));
  const k = obj(e.kubernetes, 'kubernetes');
  put('pod_sandbox', bool(k?.podSandbox ?? e.podSandbox, 'kubernetes.podSandbox'));
  put('matched_scopes', int64(e.matchedScopes, 'matchedScopes'));
  return c;
}

const SEVERITY_OK = new Set([0, 1, 2, 3, 4]);

/** Tracee's rule: a threat only when Properties.Severity exists (tracee-formats.md §4.4). */
function classicThreat(m: Obj, marked: boolean): Threat | undefined {
  const props = obj(m.Properties, 'metadata.Properties');
  if (props === undefined) return undefined;
  const description = str(m.Description, 'metadata.Description');
  const sigName = props.signatureName;
  // Custom signatures without Severity still describe a detection: keep the rule identity.
  const t: Threat = {};
  if (description) t.description = description;
  if (typeof sigName === 'string' && sigName) t.name = sigName;
  if (Object.hasOwn(props, 'Severity')) {
    const sev = props.Severity;
    // Non-integer severities become INFO, as in Tracee's conversion.
    t.severity = (typeof sev === 'number' && SEVERITY_OK.has(sev) ? sev : 0) as Severity;
  }
  let tactic = props.Category;
  const techniqueId = props.external_id;
  let techniqueName = props.Technique;
  // tracee-rules' Rego signatures (≤ v0.12) named both in one property: "Persistence: Server Software Component"
  const combined = props['MITRE ATT&CK'];
  if (tactic === undefined && techniqueName === undefined && typeof combined === 'string' && combined.includes(':')) {
    const at = combined.indexOf(':');
    tactic = combined.slice(0, at).trim();
    techniqueName = combined.slice(at + 1).trim();
  }
  if (typeof tactic === 'string' || typeof techniqueId === 'string' || typeof techniqueName === 'string') {
    t.mitre = {};
    if (typeof tactic === 'string' && tactic) t.mitre.tactic = { name: tactic };
    if ((typeof techniqueId === 'string' && techniqueId) || (typeof techniqueName === 'string' && techniqueName)) {
      t.mitre.technique = {};
      if (typeof techniqueId === 'string' && techniqueId) t.mitre.technique.id = techniqueId;
      if (typeof techniqueName === 'string' && techniqueName) t.mitre.technique.name = techniqueName;
    }
  }
  const properties: Record<string, string> = Object.create(null);
  let n = 0;
  for (const key of Object.keys(props)) {
    if (
      key === 'Severity' ||
      key === 'Category' ||
      key === 'external_id' ||
      key === 'Technique' ||
      key === 'signatureName'
    )
      continue;
    let v = props[key];
    if (v === null || v === undefined) continue;
    if (marked) v = reviveBigDeep(v);
    properties[key] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v, bigintReplacer) : String(v);
    n++;
  }
  if (n > 0) t.properties = properties;
  return Object.keys(t).length > 0 ? t : undefined;
}

function hexToInt64(hex: string): number | bigint {
  const b = BigInt(hex);
  return Number.isSafeInteger(Number(b)) ? Number(b) : b;
}

export function bigintReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

function classicDetectedFrom(v: Obj, path: string): DetectedFrom {
  const d: DetectedFrom = {};
  const id = int(v.id, `${path}.id`);
  if (id !== undefined) d.id = id;
  const name = str(v.name, `${path}.name`);
  if (name !== undefined) d.name = name;
  const data: DataField[] = [];
  const args = arr(v.args, `${path}.args`);
  if (args !== undefined) {
    for (let i = 0; i < args.length; i++) {
      const a = obj(args[i], `${path}.args[${i}]`);
      if (a === undefined) continue;
      const n = str(a.name, `${path}.args[${i}].name`) ?? '';
      const type = str(a.type, `${path}.args[${i}].type`);
      data.push({ name: n, kind: kindOfClassicArg(type, a.value), value: a.value, type });
    }
  }
  const rv = int64(v.returnValue, `${path}.returnValue`);
  if (rv !== undefined) data.push({ name: 'returnValue', kind: 'int64', value: rv });
  if (data.length > 0) d.data = data;
  return d;
}
