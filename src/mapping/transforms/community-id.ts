// Community ID v1 (corelight/community-id-spec): a flow's id, the same from both directions and from
// every monitor that implements it (Zeek, Suricata, Packetbeat, Elastic Agent), so flows can be
// joined across tools. sha1(seed . ip_a . ip_b . proto . 0 . port_a . port_b), endpoints ordered so
// the smaller ip:port comes first, all in network byte order; "1:" + base64. Seed 0.
// ICMP / ICMPv6 take part with their message type and code in the ports' places: a type with a
// counterpart (echo request/reply, …; tables in mappings/lookups/icmp.yaml) as (type, counterpart),
// so that both directions give one id; any other as (type, code), one-way (no endpoint ordering).
// Flows without both ports (or type and code) are not computed.

import { hash } from 'node:crypto';
import { isIP } from 'node:net';

/** IANA protocol numbers of the transports whose ports take part. */
const PROTO_OF: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, icmp: 1, 'ipv6-icmp': 58, icmpv6: 58 };
const PROTOS = new Set(Object.values(PROTO_OF));
const ICMP = 1;
const ICMP6 = 58;

/** ICMP type → its counterpart type (request ↔ reply), for ICMP and ICMPv6. */
export interface IcmpCounterparts {
  v4: Record<string, unknown>;
  v6: Record<string, unknown>;
}

/** An IPv4 address's 4 bytes into `out` at `at`; false when it is not one. */
function ipv4Into(ip: string, out: Buffer, at: number): boolean {
  let part = 0,
    digits = 0,
    k = 0;
  for (let j = 0; j <= ip.length; j++) {
    const c = j < ip.length ? ip.charCodeAt(j) : 46;
    if (c === 46) {
      if (digits === 0 || part > 255 || k > 3) return false;
      out[at + k++] = part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3 && !(digits === 1 && part === 0)) {
      // no leading zero, as isIP
      part = part * 10 + (c - 48);
      digits++;
    } else return false;
  }
  return k === 4;
}

/** An IPv6 address's 16 bytes into `out` at `at` (a zone id left out); false when it is not one. */
function ipv6Into(address: string, out: Buffer, at: number): boolean {
  if (isIP(address) !== 6) return false;
  const zone = address.indexOf('%'); // fe80::1%eth0: the zone is not part of the address
  let text = zone >= 0 ? address.slice(0, zone) : address;
  // an embedded dotted quad (::ffff:1.2.3.4) as two groups, then "::" expanded to 8 groups
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const b = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  for (const [k, g] of groups.entries()) out.writeUInt16BE(parseInt(g, 16), at + k * 2);
  return true;
}

const port = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535 ? v : undefined;

// The hash input, reused (all synchronous; every byte is written before each hash):
// seed(2) . ip_a . ip_b . proto(1) . 0(1) . port_a(2) . port_b(2)
const INPUT4 = Buffer.alloc(2 + 8 + 2 + 4);
const INPUT6 = Buffer.alloc(2 + 32 + 2 + 4);

/**
 * [source ip, source port, destination ip, destination port, transport name (tcp/udp/sctp) or IANA
 * protocol number] → "1:<base64>", or undefined when any part is missing or not supported.
 */
export function communityId(parts: readonly unknown[], icmp?: IcmpCounterparts): string | undefined {
  const [sip, sport, dip, dport, proto] = parts;
  const p =
    typeof proto === 'string'
      ? (PROTO_OF[proto.toLowerCase()] ?? (/^\d+$/.test(proto) ? Number(proto) : undefined))
      : typeof proto === 'number'
        ? proto
        : undefined;
  if (p === undefined || !PROTOS.has(p)) return undefined;
  let pa = port(sport),
    pb = port(dport);
  if (pa === undefined || pb === undefined || typeof sip !== 'string' || typeof dip !== 'string') return undefined;
  // ICMP: (type, code) → (type, counterpart type) when the type has one, else one-way
  let oneWay = false;
  if (p === ICMP || p === ICMP6) {
    if (icmp === undefined || pa > 255 || pb > 255) return undefined;
    const table = p === ICMP ? icmp.v4 : icmp.v6;
    const counterpart = Object.hasOwn(table, String(pa)) ? table[String(pa)] : undefined;
    if (typeof counterpart === 'number') pb = counterpart;
    else oneWay = true;
  }
  // the addresses are parsed straight into the hash input (the common case, IPv4, allocates nothing)
  if (ipv4Into(sip, INPUT4, 2) && ipv4Into(dip, INPUT4, 6)) return digest(INPUT4, 4, pa, pb, p, oneWay);
  if (ipv6Into(sip, INPUT6, 2) && ipv6Into(dip, INPUT6, 18)) return digest(INPUT6, 16, pa, pb, p, oneWay);
  return undefined; // not addresses, or one of each family
}

/** The endpoints at 2 and 2 + len in `buf` ordered in place (smaller ip:port first), the rest written, hashed. */
function digest(buf: Buffer, len: number, pa: number, pb: number, p: number, oneWay = false): string {
  const a = 2,
    b = 2 + len;
  let c = 0;
  for (let k = 0; k < len && c === 0; k++) c = buf[a + k] - buf[b + k];
  const swap = !oneWay && (c > 0 || (c === 0 && pa > pb));
  if (swap)
    for (let k = 0; k < len; k++) {
      const t = buf[a + k];
      buf[a + k] = buf[b + k];
      buf[b + k] = t;
    }
  buf.writeUInt16BE(0, 0); // seed
  buf[b + len] = p;
  buf[b + len + 1] = 0; // padding
  buf.writeUInt16BE(swap ? pb : pa, b + len + 2);
  buf.writeUInt16BE(swap ? pa : pb, b + len + 4);
  return `1:${hash('sha1', buf, 'base64')}`;
}
