// An in-process stand-in for Tracee's gRPC server (`tracee --server grpc`): it serves
// tracee.v1beta1.TraceeService/StreamEvents from our own protos (proto/tracee/v1beta1) and streams
// whatever the test hands it, encoded as protobuf. Each stream call is given to the test's handler,
// which sends events (structured JSON, encoded here), raw bytes (to inject malformed messages),
// ends the stream or fails it. `close()` makes the server go away (Tracee stopped).
//
// Also: the structured JSON (Tracee's own v1beta1 JSON, what src/normalize/print-structured.ts
// writes) → the protobuf message object, i.e. what Tracee's server would have sent for that event.

import * as grpc from '@grpc/grpc-js';
import {
  streamEventsMethod,
  type StreamEventsRequest,
  type StreamEventsResponse,
} from '../../src/sources/grpc/protos.ts';
import { parseRfc3339Ns } from '../../src/util/time.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What the server saw in one StreamEvents request. */
export interface SeenRequest {
  policies: string[];
  mask: string[] | undefined;
}

export interface StreamCall {
  /** 1-based number of this call on this server. */
  readonly number: number;
  readonly request: SeenRequest;
  /** Send one event (structured JSON) or raw bytes as one stream message; resolves when written. */
  send(message: Obj | Buffer): Promise<void>;
  /** End the stream with status OK (Tracee closing it). */
  end(): void;
  /** End the stream with an error status. */
  fail(code: grpc.status, details: string): void;
  /** Resolves when the client cancelled or the call ended. */
  readonly done: Promise<void>;
}

export interface TraceeGrpcTestServer {
  /** The address as a config would give it (unix:///… or 127.0.0.1:port). */
  readonly address: string;
  readonly requests: SeenRequest[];
  /** Stop now: every open stream is cut (the client sees UNAVAILABLE / a reset). */
  close(): Promise<void>;
}

/**
 * `listen`: unix:///abs/path or host:port (port 0 = any free port). `onStream` runs once per
 * StreamEvents call; the call stays open until the handler ends it (or the client goes away).
 */
export async function startTraceeGrpcServer(
  listen: string,
  onStream: (call: StreamCall) => void | Promise<void>,
): Promise<TraceeGrpcTestServer> {
  const method = streamEventsMethod();
  const encode = method.responseSerialize;
  // raw Buffers pass through untouched: the way to put undecodable bytes on the wire
  const definition: grpc.ServiceDefinition = {
    StreamEvents: {
      ...method,
      responseSerialize: (m: StreamEventsResponse | Buffer) => (Buffer.isBuffer(m) ? m : encode(m)),
    },
  };
  const requests: SeenRequest[] = [];
  const calls = new Set<grpc.ServerWritableStream<StreamEventsRequest, StreamEventsResponse | Buffer>>();
  const server = new grpc.Server();
  server.addService(definition, {
    StreamEvents(call: grpc.ServerWritableStream<StreamEventsRequest, StreamEventsResponse | Buffer>) {
      calls.add(call);
      const r = call.request;
      const seen: SeenRequest = { policies: r.policies ?? [], mask: r.mask ? (r.mask.paths ?? []) : undefined };
      requests.push(seen);
      const done = new Promise<void>((resolve) => {
        call.on('cancelled', () => resolve());
        call.on('finish', () => resolve());
        call.on('close', () => resolve());
      });
      void done.then(() => calls.delete(call));
      let ended = false;
      const streamCall: StreamCall = {
        number: requests.length,
        request: seen,
        done,
        send(message) {
          const m = Buffer.isBuffer(message) ? message : { event: structuredToProto(message) };
          return new Promise<void>((resolve, reject) => {
            if (ended || call.cancelled) {
              reject(new Error('stream already ended'));
              return;
            }
            call.write(m, (err?: Error | null) => (err ? reject(err) : resolve()));
          });
        },
        end() {
          if (!ended) {
            ended = true;
            call.end();
          }
        },
        fail(code, details) {
          if (!ended) {
            ended = true;
            call.emit('error', Object.assign(new Error(details), { code, details }));
          }
        },
      };
      void Promise.resolve(onStream(streamCall)).catch((err: Error) =>
        streamCall.fail(grpc.status.INTERNAL, err.message),
      );
    },
  });
  const bindTarget = listen.startsWith('unix:') ? listen : listen;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(bindTarget, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  const address = listen.startsWith('unix:') ? listen : `${listen.replace(/:\d+$/, '')}:${port}`;
  return {
    address,
    requests,
    async close() {
      server.forceShutdown();
      calls.clear();
    },
  };
}

/** Encode one structured event as a StreamEventsResponse message (the bytes Tracee would send). */
export function encodeEventMessage(structured: Obj): Buffer {
  return streamEventsMethod().responseSerialize({ event: structuredToProto(structured) });
}

// ---- structured JSON (Tracee's v1beta1 JSON) → protobuf message object (proto field names) ----

function timestamp(v: unknown): Obj | undefined {
  if (typeof v !== 'string') return undefined;
  const ns = parseRfc3339Ns(v);
  if (ns === undefined) throw new Error(`not an RFC 3339 time: ${v}`);
  const seconds = ns / 1_000_000_000n;
  const nanos = Number(ns % 1_000_000_000n);
  return { seconds: seconds.toString(), nanos };
}

const wrap = (v: unknown) => (v === undefined || v === null ? undefined : { value: v });

function process(p: Obj): Obj {
  const out: Obj = { ...p };
  for (const k of ['unique_id', 'host_pid', 'pid']) out[k] = wrap(p[k]);
  if (isObj(p.real_user)) out.real_user = { id: wrap(p.real_user.id) };
  if (isObj(p.thread)) {
    const t: Obj = { ...p.thread };
    t.start_time = timestamp(t.start_time);
    for (const k of ['unique_id', 'host_tid', 'tid']) t[k] = wrap(t[k]);
    out.thread = t;
  }
  if (Array.isArray(p.ancestors)) out.ancestors = p.ancestors.map((a) => process(a as Obj));
  return out;
}

/** JSON → google.protobuf.Value (protobufjs's built-in struct.proto spells its fields in camelCase). */
function toValue(v: unknown): Obj {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v) };
}

function toStruct(v: unknown): Obj {
  const fields: Obj = {};
  if (isObj(v)) for (const k of Object.keys(v)) fields[k] = toValue(v[k]);
  return { fields };
}

function eventValue(f: Obj): Obj {
  const member = Object.keys(f).find((k) => k !== 'name');
  if (member === undefined || member === 'value') return { name: f.name }; // "value": null = unset
  const v = f[member];
  switch (member) {
    case 'struct':
      return { name: f.name, struct: toStruct(isObj(v) ? v : { value: v }) };
    case 'timespec':
      return { name: f.name, timespec: isObj(v) ? { value: wrap(v.value) } : { value: wrap(v) } };
    case 'credentials': {
      if (!isObj(v)) return { name: f.name, credentials: {} };
      const c: Obj = { ...v };
      for (const k of ['uid', 'gid', 'suid', 'sgid', 'euid', 'egid', 'fsuid', 'fsgid', 'user_namespace', 'secure_bits'])
        c[k] = wrap(v[k]);
      return { name: f.name, credentials: c };
    }
    default:
      return { name: f.name, [member]: v };
  }
}

function detectedFrom(d: Obj): Obj {
  const out: Obj = { ...d };
  if (Array.isArray(d.data)) out.data = d.data.map((x) => eventValue(x as Obj));
  if (isObj(d.parent)) out.parent = detectedFrom(d.parent);
  return out;
}

const isZero = (v: unknown) => v === 0 || v === '' || v === false || (Array.isArray(v) && v.length === 0);
/** Map fields: their entries are data, kept whatever their value. */
const MAPS = new Set(['labels', 'properties', 'headers', 'fields']);

/**
 * Leave out what Go's protobuf encoder does not send: proto3 fields holding their zero value
 * (protobufjs would encode an explicitly set 0 / "" / false). Kept: the set member of a oneof
 * (EventValue's value, even 0), message fields (present even when empty: a wrapper holding 0
 * arrives as an empty message), map entries.
 */
function dropZeros(o: Obj, keep?: string): Obj {
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (k === keep) {
      if (isObj(v)) dropZeros(v);
      continue;
    }
    if (v === undefined || v === null || isZero(v)) {
      delete o[k];
      continue;
    }
    if (Array.isArray(v)) {
      for (const x of v)
        if (isObj(x))
          dropZeros(
            x,
            'name' in x && Object.keys(x).length === 2 ? Object.keys(x).find((m) => m !== 'name') : undefined,
          );
      continue;
    }
    if (isObj(v) && !MAPS.has(k)) dropZeros(v);
  }
  return o;
}

/** The Event message object for `fromObject`; keys the proto has no field for (e.g. `classic`) are left out. */
export function structuredToProto(e: Obj): Obj {
  return dropZeros(eventObject(e));
}

function eventObject(e: Obj): Obj {
  const out: Obj = {};
  out.timestamp = timestamp(e.timestamp);
  if (typeof e.id === 'number') out.id = e.id;
  if (e.name !== undefined) out.name = e.name;
  if (isObj(e.policies)) out.policies = e.policies;
  if (isObj(e.workload)) {
    const w: Obj = { ...e.workload };
    if (isObj(w.process)) w.process = process(w.process);
    out.workload = w;
  }
  if (Array.isArray(e.data)) out.data = e.data.map((f) => eventValue(f as Obj));
  if (isObj(e.threat)) out.threat = e.threat;
  if (isObj(e.detected_from)) out.detected_from = detectedFrom(e.detected_from);
  return out;
}
