// Classic argument `type` strings (C-style ≤ v0.23, Go-style v0.24+) → the v1beta1 EventValue
// member that Tracee's own conversion uses for them (tracee-formats.md §6).

import type { ValueKind } from '../model/event.ts';

const BY_TYPE: Record<string, ValueKind> = Object.assign(Object.create(null), {
  // signed 32-bit and smaller
  int: 'int32',
  int32: 'int32',
  pid_t: 'int32',
  short: 'int32',
  int16: 'int32',
  int8: 'int32',
  // unsigned 32-bit and smaller
  'unsigned int': 'u_int32',
  u32: 'u_int32',
  uint32: 'u_int32',
  dev_t: 'u_int32',
  uid_t: 'u_int32',
  gid_t: 'u_int32',
  u16: 'u_int32',
  uint16: 'u_int32',
  'unsigned short': 'u_int32',
  umode_t: 'u_int32',
  mode_t: 'u_int32',
  u8: 'u_int32',
  uint8: 'u_int32',
  // 64-bit
  long: 'int64',
  int64: 'int64',
  off_t: 'int64',
  loff_t: 'int64',
  time_t: 'int64',
  'unsigned long': 'u_int64',
  'unsigned long long': 'u_int64',
  u64: 'u_int64',
  uint64: 'u_int64',
  size_t: 'u_int64',
  ino_t: 'u_int64',
  'time.Time': 'u_int64',
  'trace.Pointer': 'pointer',
  bool: 'bool',
  string: 'str',
  'const char*': 'str',
  'const char *': 'str',
  'char*': 'str',
  'char *': 'str',
  'const char*const*': 'str_array',
  'const char**': 'str_array',
  'const char **': 'str_array',
  'char**': 'str_array',
  '[]string': 'str_array',
  bytes: 'bytes',
  '[]byte': 'bytes',
  'const void*': 'bytes',
  'struct sockaddr*': 'sockaddr',
  SockAddr: 'sockaddr',
  'trace.SockAddr': 'sockaddr',
  slim_cred_t: 'credentials',
  'trace.SlimCred': 'credentials',
  float: 'timespec',
  float64: 'timespec',
  'struct timespec*': 'timespec',
  'int[2]': 'int32_array',
  '[2]int': 'int32_array',
  '[2]int32': 'int32_array',
  'unsigned long[]': 'u_int64_array',
  '[]uint64': 'u_int64_array',
  '[]trace.HookedSymbolData': 'hooked_syscalls',
  'map[string]trace.HookedSymbolData': 'hooked_seq_ops',
  'trace.ProtoIPv4': 'ipv4',
  'trace.ProtoIPv6': 'ipv6',
  'trace.ProtoTCP': 'tcp',
  'trace.ProtoUDP': 'udp',
  'trace.ProtoICMP': 'icmp',
  'trace.ProtoICMPv6': 'icmpv6',
  'trace.ProtoDNS': 'dns',
  '[]trace.DnsQueryData': 'dns_questions',
  '[]trace.DnsResponseData': 'dns_responses',
  'trace.PktMeta': 'packet_metadata',
  'trace.PacketMetadata': 'packet_metadata',
  'trace.ProtoHTTP': 'http',
  'trace.ProtoHTTPRequest': 'http_request',
  'trace.ProtoHTTPResponse': 'http_response',
  unknown: 'struct',
});

const NUMERIC: ReadonlySet<ValueKind> = new Set(['int32', 'int64', 'u_int32', 'u_int64', 'pointer', 'timespec']);

/** The value kind for a classic argument, checked against the value actually carried. */
export function kindOfClassicArg(type: string | undefined, value: unknown): ValueKind {
  let kind = type === undefined ? undefined : BY_TYPE[type];
  if (kind === undefined && type !== undefined) {
    if (type.endsWith('*')) kind = 'pointer';
    else if (type.startsWith('[]')) kind = 'struct';
  }
  if (kind === undefined) return kindOfValue(value);
  // parse-arguments renders numbers as strings ("O_RDONLY", "3=/etc/passwd"): keep what was sent.
  if (NUMERIC.has(kind) && typeof value === 'string')
    return kind === 'pointer' && /^0x[0-9a-f]+$/i.test(value) ? 'pointer' : 'str';
  if (kind === 'bytes' && typeof value !== 'string') return kindOfValue(value);
  if (kind === 'pointer' && typeof value !== 'number' && typeof value !== 'bigint') return kindOfValue(value);
  return kind;
}

export function kindOfValue(value: unknown): ValueKind {
  switch (typeof value) {
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return value < 0n ? 'int64' : 'u_int64';
    case 'number':
      return Number.isInteger(value) ? 'int64' : 'timespec';
    default:
      if (Array.isArray(value) && value.every((x) => typeof x === 'string')) return 'str_array';
      return 'struct';
  }
}
