// Addresses: IPs, ports, sockaddr (classic: string fields; v1beta1: numeric ports, enum family).

import { isIP } from 'node:net';
import { plain, type TransformFactory } from './index.ts';
import { communityId } from './community-id.ts';

type SockAddr = { sa_family?: unknown; sin_addr?: unknown; sin_port?: unknown; sin6_addr?: unknown; sin6_port?: unknown; sun_path?: unknown };

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
    return s ? ipOf(s.sin_addr) ?? ipOf(s.sin6_addr) : undefined;
  }),
  sockaddr_port: plain((v) => {
    const s = sockaddr(v);
    return s ? port(s.sin_port) ?? port(s.sin6_port) : undefined;
  }),
  // an IP, or the unix socket path
  sockaddr_address: plain((v) => {
    const s = sockaddr(v);
    if (!s) return undefined;
    return ipOf(s.sin_addr) ?? ipOf(s.sin6_addr) ?? (typeof s.sun_path === 'string' && s.sun_path ? s.sun_path : undefined);
  }),
  // collect: [source.ip, source.port, destination.ip, destination.port, network.transport]
  community_id: plain((v) => (Array.isArray(v) ? communityId(v) : undefined)),
  sockaddr_network_type: plain((v) => {
    const family = sockaddr(v)?.sa_family;
    return family === 'AF_INET' ? 'ipv4' : family === 'AF_INET6' ? 'ipv6' : undefined;
  }),
};
