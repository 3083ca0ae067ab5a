// The normalized Tracee event: the structured (api/v1beta1) shape, with Tracee's own JSON field
// names (snake_case), plus `classic` for what only the classic JSON event carries.
// Integers that may exceed 2^53 are `Int64`: a number when it is a safe integer, else a bigint.

export type Int64 = number | bigint;

/** v1beta1 EventValue oneof member names (event_data.proto), used to print `data[]` like Tracee. */
export type ValueKind =
  | 'int32'
  | 'int64'
  | 'u_int32'
  | 'u_int64'
  | 'pointer'
  | 'str'
  | 'bytes'
  | 'bool'
  | 'str_array'
  | 'int32_array'
  | 'u_int64_array'
  | 'sockaddr'
  | 'credentials'
  | 'timespec'
  | 'hooked_syscalls'
  | 'hooked_seq_ops'
  | 'ipv4'
  | 'ipv6'
  | 'tcp'
  | 'udp'
  | 'icmp'
  | 'icmpv6'
  | 'dns'
  | 'dns_questions'
  | 'dns_responses'
  | 'packet_metadata'
  | 'http'
  | 'http_request'
  | 'http_response'
  | 'struct';

export interface DataField {
  name: string;
  kind: ValueKind;
  /** The value as the event carried it (classic: `args[].value`; structured: the oneof member's value). */
  value: unknown;
  /** The classic argument `type` string (C-style or Go-style), when the event came in classic shape. */
  type?: string;
}

export interface Thread {
  start_time?: bigint; // epoch ns (boot-relative ns in classic ≤ v0.10)
  name?: string; // comm
  unique_id?: number;
  host_tid?: number;
  tid?: number;
  syscall?: string;
  compat?: boolean;
  user_stack_trace?: { addresses: Array<{ address: Int64; symbol?: string }> };
}

export interface Process {
  executable?: { path: string };
  unique_id?: number;
  host_pid?: number;
  pid?: number; // pid in the task's pid namespace
  real_user?: { id: number };
  thread?: Thread;
  ancestors?: Process[];
}

export interface Container {
  id?: string;
  name?: string;
  image?: { id?: string; repo_digests?: string[]; name?: string };
  started?: boolean;
}

export interface K8s {
  pod?: { name?: string; uid?: string; labels?: Record<string, string> };
  namespace?: { name?: string };
}

export interface Workload {
  process?: Process;
  container?: Container;
  k8s?: K8s;
}

export type Severity = 0 | 1 | 2 | 3 | 4; // INFO LOW MEDIUM HIGH CRITICAL (threat.proto)

export interface Threat {
  description?: string;
  mitre?: { tactic?: { name?: string }; technique?: { id?: string; name?: string } };
  severity?: Severity;
  name?: string;
  properties?: Record<string, string>;
}

export interface DetectedFrom {
  id?: number;
  name?: string;
  data?: DataField[];
  parent?: DetectedFrom;
}

/** Fields that only the classic JSON event has (not carried by Tracee's own conversion). */
export interface ClassicOnly {
  event_id?: string; // `eventId`: internal id, not stable across versions
  processor_id?: number;
  cgroup_id?: Int64;
  mount_namespace?: Int64;
  pid_namespace?: Int64;
  uts_name?: string; // `hostName`: the task's UTS nodename (truncated), NOT the node name
  return_value?: Int64;
  args_num?: number;
  parent_pid?: number; // `parentProcessId` when there is no parent entity id to build an ancestor
  pod_sandbox?: boolean;
  matched_scopes?: Int64; // v0.11–v0.12 bitmask
  metadata_version?: string; // detection `metadata.Version`
  metadata_tags?: string[];
}

export interface TraceeEvent {
  timestamp: bigint; // epoch ns
  id?: number; // v1beta1 EventId; unknown for classic input (ids differ by release)
  name: string;
  policies?: { matched: string[] };
  workload: Workload;
  data: DataField[];
  threat?: Threat;
  detected_from?: DetectedFrom;
  classic?: ClassicOnly;
}

/** Which input shape an event was decoded from. */
export type InputShape = 'classic' | 'structured' | 'structured-proto3' | 'protobuf' | 'finding';
