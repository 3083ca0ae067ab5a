// Transforms over the whole event: identity, summary, outcome, process identity and times.

import type { DataField, DetectedFrom, TraceeEvent } from '../../model/event.ts';
import { createRfc3339NsFormatter, parseRfc3339Ns, PLAUSIBLE_EPOCH_NS } from '../../util/time.ts';
import { MAX_EPOCH_NS } from '../../normalize/read.ts';
import { toJsonSafe } from '../json-safe.ts';
import { lookupTable } from '../lookups.ts';
import type { MapInput } from '../input.ts';
import { plain, type TransformFactory } from './index.ts';
import { splitFd } from './file.ts';
import { eventId } from './event-identity.ts';

// event.id / log.record.uid: see event-identity.ts
export { eventId } from './event-identity.ts';

function argOf(ev: TraceeEvent, name: string): unknown {
  for (const d of ev.data) if (d.name === name) return d.value;
  return undefined;
}

function pathArg(ev: TraceeEvent): string | undefined {
  const v = argOf(ev, 'pathname');
  if (typeof v === 'string' && v !== '') return v;
  // read/write with parse-arguments-fds: the fd's file ("3=/etc/passwd")
  const fd = splitFd(argOf(ev, 'fd'))?.path;
  return fd?.startsWith('/') ? fd : undefined;
}

/** A one-line human summary (ECS message, OTel body); Kibana uses it as the alert name. */
function summary(input: MapInput): string {
  const ev = input.event;
  if (input.kind === 'alert') return ev.threat?.name || input.signature?.name || ev.name;
  const p = ev.workload.process;
  let s = ev.name;
  const path = pathArg(ev);
  if (path) s += ` ${path}`;
  const comm = p?.thread?.name;
  if (comm) s += ` by ${comm}`;
  if (p?.host_pid !== undefined) s += ` (pid ${p.host_pid})`;
  return s;
}

function entityId(uid: number | undefined, input: MapInput): string | undefined {
  if (!uid) return undefined;
  // Tracee's ids are 32-bit hashes, unique per host only: qualify with the node for ECS.
  return input.node.name ? `${input.node.name}:${uid}` : String(uid);
}

export function dataObject(fields: readonly DataField[] | undefined): Record<string, unknown> | undefined {
  if (!fields || fields.length === 0) return undefined;
  // A plain object unless an argument is named "__proto__" (a plain object would take it as its
  // prototype): one made by Object.create(null) is a dictionary, slower to fill and to list.
  let out: Record<string, unknown> = {};
  for (let k = 0; k < fields.length; k++) {
    if (fields[k].name === '__proto__') {
      out = Object.create(null);
      break;
    }
  }
  for (let k = 0; k < fields.length; k++) out[fields[k].name] = toJsonSafe(fields[k].value);
  return out;
}

/**
 * JSON.stringify(dataObject(fields)), faster: the values as they are in a plain object, one native
 * stringify (one flat string). A bigint value (JSON.stringify throws) or an argument named
 * "__proto__" (a plain object would take it as its prototype) take the copying path.
 */
export function dataObjectJson(fields: readonly DataField[] | undefined): string | undefined {
  if (!fields || fields.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (let k = 0; k < fields.length; k++) {
    const f = fields[k];
    // a bigint makes JSON.stringify throw, and a thrown error costs more than the copy
    if (f.name === '__proto__' || typeof f.value === 'bigint') return JSON.stringify(dataObject(fields));
    out[f.name] = f.value;
  }
  try {
    return JSON.stringify(out);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return JSON.stringify(dataObject(fields));
  }
}

function detectedFrom(d: DetectedFrom): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (d.id !== undefined) out.id = d.id;
  if (d.name !== undefined) out.name = d.name;
  const data = dataObject(d.data);
  if (data) out.data = data;
  if (d.parent) out.parent = detectedFrom(d.parent);
  return out;
}

/** sched_process_fork: did it create a thread of the forking process (true) or a process (false)? */
function newThread(ev: TraceeEvent): boolean | undefined {
  const child = argOf(ev, 'child_pid');
  const parent = argOf(ev, 'parent_pid');
  return typeof child === 'number' && typeof parent === 'number' ? child === parent : undefined;
}

export const eventTransforms: Record<string, TransformFactory> = {
  // ≤ v0.12 detections carried the signature Name: the id uses the stable event name.
  event_id: plain((_v, input) => eventId(input.event, input.signature?.event ?? input.event.name)),
  summary: plain((_v, input) => summary(input)),
  // A syscall event's own return value: < 0 is an errno (failure). Tracee sends execve/execveat
  // on entry (return value 0, the outcome unknown yet) and again on exit only when they failed.
  syscall_outcome: plain((_v, input) => {
    const ev = input.event;
    const rv = ev.classic?.return_value;
    if (rv === undefined || ev.workload.process?.thread?.syscall !== ev.name) return undefined;
    if (rv >= 0 && (ev.name === 'execve' || ev.name === 'execveat')) return undefined;
    return rv < 0 ? 'failure' : 'success';
  }),
  // Process exit (sched_process_exit): before v0.23 `exit_code` was the raw wait status and there
  // was no `signal_code` argument; a process killed by a signal has no exit code.
  exit_code: plain((v, input) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return undefined;
    const signal = argOf(input.event, 'signal_code');
    if (signal !== undefined) return typeof signal === 'number' && signal > 0 ? undefined : v;
    return (v & 0x7f) === 0 ? (v >> 8) & 0xff : undefined;
  }),
  exit_signal: plain((v, input) => {
    const signal = argOf(input.event, 'signal_code');
    if (signal !== undefined) return typeof signal === 'number' && signal > 0 ? signal : undefined;
    return typeof v === 'number' && Number.isInteger(v) && (v & 0x7f) !== 0 ? v & 0x7f : undefined;
  }),
  // the value only for a fork that made a new thread / a new process (sched_process_fork)
  when_new_thread: plain((v, input) => (newThread(input.event) === true ? v : undefined)),
  when_new_process: plain((v, input) => (newThread(input.event) === false ? v : undefined)),
  process_entity_id: plain((_v, input) => entityId(input.event.workload.process?.unique_id, input)),
  parent_entity_id: plain((_v, input) => entityId(input.event.workload.process?.ancestors?.[0]?.unique_id, input)),
  // The process start = its leader thread's start; only known when this thread is the leader.
  process_start: () => {
    const format = createRfc3339NsFormatter();
    return (_v, input) => {
      const p = input.event.workload.process;
      const t = p?.thread;
      if (!t?.start_time || t.host_tid === undefined || t.host_tid !== p?.host_pid) return undefined;
      return t.start_time >= PLAUSIBLE_EPOCH_NS ? format(t.start_time) : undefined;
    };
  },
  // A time argument (sched_process_fork's *_start_time): v0.24 presents it as a Go time.Time, which
  // its JSON writes as RFC 3339; epoch nanoseconds elsewhere. A number before 2000 is a
  // boot-relative time of an older release, not a date. (Tracee's gRPC stream drops these.)
  epoch_ns_time: () => {
    const format = createRfc3339NsFormatter();
    return (v) => {
      const ns =
        typeof v === 'bigint'
          ? v
          : typeof v === 'number' && Number.isInteger(v)
            ? BigInt(v)
            : typeof v === 'string'
              ? /^\d+$/.test(v)
                ? BigInt(v)
                : parseRfc3339Ns(v)
              : undefined;
      return ns !== undefined && ns >= PLAUSIBLE_EPOCH_NS && ns <= MAX_EPOCH_NS ? format(ns) : undefined;
    };
  },
  // with a JSON writer for the ECS JSON path (the flattened tracee.data: most of a document's text)
  // dataObject's values went through toJsonSafe: the result holds no bigint (jsonSafe)
  data_object: () =>
    Object.assign((v: unknown) => dataObject(v as DataField[]), {
      json: (v: unknown) => dataObjectJson(v as DataField[]),
      jsonSafe: true as const,
    }),
  detected_from: plain((v) => detectedFrom(v as DetectedFrom)),
  severity: (arg, lookups) => {
    const table = lookupTable(lookups, 'severity');
    return (v) => {
      const row =
        typeof v === 'number' && Object.hasOwn(table, String(v))
          ? (table[String(v)] as Record<string, unknown>)
          : undefined;
      return row === undefined ? undefined : row[arg ?? 'name'];
    };
  },
};
