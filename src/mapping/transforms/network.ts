// Addresses: IPs, ports, sockaddr (classic: string fields; v1beta1: numeric ports, enum family).

import { isIP } from 'node:net';
import type { Transform, TransformFactory } from './index.ts';

// (not index.ts's plain: this module is imported on its own by tests, before the registry)
const plain =
  (fn: Transform): TransformFactory =>
  () =>
    fn;
import { communityId } from './community-id.ts';
import { lookupTable } from '../lookups.ts';

/**
 * "EchoRequest" | "DestinationUnreachable(Port)" | "EchoRequest(Code: 3)" | "42(7)" (gopacket's
 * String()), or the proto_icmp object holding it (typeCode / type_code) → type and code.
 */
export function icmpTypeCode(
  v: unknown,
  types: Record<string, unknown>,
  codes: Record<string, unknown>,
): { type: number; code: number } | undefined {
  const o = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  const text = o !== undefined ? (o.typeCode ?? o.type_code) : v;
  if (typeof text !== 'string') return undefined;
  const m = /^([A-Za-z]+|\d+)(?:\((?:Code: )?([^)]*)\))?$/.exec(text.trim());
  if (m === null) return undefined;
  const [, name, codeText] = m;
  const type = /^\d+$/.test(name) ? Number(name) : Object.hasOwn(types, name) ? types[name] : undefined;
  if (typeof type !== 'number' || type > 255) return undefined;
  if (codeText === undefined) return { type, code: 0 };
  if (/^\d+$/.test(codeText)) return Number(codeText) <= 255 ? { type, code: Number(codeText) } : undefined;
  const perType = Object.hasOwn(codes, name) ? (codes[name] as Record<string, unknown>) : undefined;
  const code = perType !== undefined && Object.hasOwn(perType, codeText) ? perType[codeText] : undefined;
  return typeof code === 'number' ? { type, code } : undefined;
}

type SockAddr = {
  sa_family?: unknown;
  sin_addr?: unknown;
  sin_port?: unknown;
  sin6_addr?: unknown;
  sin6_port?: unknown;
  sun_path?: unknown;
};

function sockaddr(v: unknown): SockAddr | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as SockAddr) : undefined;
}

function port(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

function ipOf(v: unknown): string | undefined {
  return typeof v === 'string' && isIP(v) !== 0 ? v : undefined;
}

const IANA_TRANSPORT: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp' };

export const networkTransforms: Record<string, TransformFactory> = {
  ip: plain(ipOf),
  // a port number, also as text (stdio_over_socket's `Port` is a string in HEAD's detectors)
  port: plain(port),
  ip_version: plain((v) => {
    const family = typeof v === 'string' ? isIP(v) : 0;
    return family === 4 ? 'ipv4' : family === 6 ? 'ipv6' : undefined;
  }),
  iana_transport: plain((v) => (typeof v === 'number' ? IANA_TRANSPORT[v] : undefined)),
  sockaddr_ip: plain((v) => {
    const s = sockaddr(v);
    return s ? (ipOf(s.sin_addr) ?? ipOf(s.sin6_addr)) : undefined;
  }),
  sockaddr_port: plain((v) => {
    const s = sockaddr(v);
    return s ? (port(s.sin_port) ?? port(s.sin6_port)) : undefined;
  }),
  // an IP, or the unix socket path
  sockaddr_address: plain((v) => {
    const s = sockaddr(v);
    if (!s) return undefined;
    return (
      ipOf(s.sin_addr) ?? ipOf(s.sin6_addr) ?? (typeof s.sun_path === 'string' && s.sun_path ? s.sun_path : undefined)
    );
  }),
  // collect: [source.ip, source.port, destination.ip, destination.port, network.transport]; for
  // ICMP the type and code in the ports' places
  community_id: (_arg, lookups) => {
    const icmp = {
      v4: lookupTable(lookups, 'icmp_counterpart_types'),
      v6: lookupTable(lookups, 'icmpv6_counterpart_types'),
    };
    return (v) => (Array.isArray(v) ? communityId(v, icmp) : undefined);
  },
  // gopacket's ICMPv4/ICMPv6 TypeCode text → type / code numbers (lookups/icmp.yaml); v4 or v6 by arg
  icmp_type: (arg, lookups) => {
    const types = lookupTable(lookups, arg === 'v6' ? 'icmpv6_types' : 'icmp_types');
    const codes = lookupTable(lookups, arg === 'v6' ? 'icmpv6_codes' : 'icmp_codes');
    return (v) => icmpTypeCode(v, types, codes)?.type;
  },
  icmp_code: (arg, lookups) => {
    const types = lookupTable(lookups, arg === 'v6' ? 'icmpv6_types' : 'icmp_types');
    const codes = lookupTable(lookups, arg === 'v6' ? 'icmpv6_codes' : 'icmp_codes');
    return (v) => icmpTypeCode(v, types, codes)?.code;
  },
  sockaddr_network_type: plain((v) => {
    const family = sockaddr(v)?.sa_family;
    return family === 'AF_INET' ? 'ipv4' : family === 'AF_INET6' ? 'ipv6' : undefined;
  }),
};
