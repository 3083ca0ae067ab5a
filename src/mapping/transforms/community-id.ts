// Community ID v1 (corelight/community-id-spec): a flow's id, the same from both directions and from
// every monitor that implements it (Zeek, Suricata, Packetbeat, Elastic Agent), so flows can be
// joined across tools. sha1(seed . ip_a . ip_b . proto . 0 . port_a . port_b), endpoints ordered so
// the smaller ip:port comes first, all in network byte order; "1:" + base64. Seed 0.
// ICMP needs Zeek's type → counter-type table and is not computed here (the spec allows leaving
// out what a monitor cannot do), nor are flows without both ports.

import { hash } from 'node:crypto';
import { isIP } from 'node:net';

/** IANA protocol numbers of the transports whose ports take part. */
const PROTO_OF: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };
const PROTOS = new Set(Object.values(PROTO_OF));

/** An IPv4 address's 4 bytes into `out` at `at`; false when it is not one. */
function ipv4Into(ip: string, out: Buffer, at: number): boolean {
  let part = 0, digits = 0, k = 0;
  for (let j = 0; j <= ip.length; j++) {
    const c = j < ip.length ? ip.charCodeAt(j) : 46;
    if (c === 46) {
      if (digits === 0 || part > 255 || k > 3) return false;
      out[at + k++] = part;
      part = 0; digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3 && !(digits === 1 && part === 0)) {   // no leading zero, as isIP
      part = part * 10 + (c - 48); digits++;
    } else return false;
  }
  return k === 4;
}

function ipBytes(address: string): Buffer | undefined {
  const family = isIP(address);
  const zone = address.indexOf('%');   // fe80::1%eth0: the zone is not part of the address
  const ip = family === 6 && zone >= 0 ? address.slice(0, zone) : address;
  if (family === 4) { const b = Buffer.alloc(4); return ipv4Into(ip, b, 0) ? b : undefined; }
  if (family !== 6) return undefined;
  // expand "::" and an embedded dotted quad into 8 groups
  let text = ip;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const b = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, k) => out.writeUInt16BE(parseInt(g, 16), k * 2));
  return out;
}

const port = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535 ? v : undefined);

/**
 * [source ip, source port, destination ip, destination port, transport name (tcp/udp/sctp) or IANA
 * protocol number] → "1:<base64>", or undefined when any part is missing or not supported.
 */
export function communityId(parts: readonly unknown[]): string | undefined {
  const [sip, sport, dip, dport, proto] = parts;
  const p = typeof proto === 'string' ? PROTO_OF[proto.toLowerCase()] ?? (/^\d+$/.test(proto) ? Number(proto) : undefined) : typeof proto === 'number' ? proto : undefined;
  if (p === undefined || !PROTOS.has(p)) return undefined;
  const pa = port(sport), pb = port(dport);
  if (pa === undefined || pb === undefined || typeof sip !== 'string' || typeof dip !== 'string') return undefined;
  // the common case, two IPv4 addresses: parsed into the hash input, ordered in place
  if (ipv4Into(sip, INPUT4, 2) && ipv4Into(dip, INPUT4, 6)) {
    let c = 0;
    for (let k = 0; k < 4 && c === 0; k++) c = INPUT4[2 + k] - INPUT4[6 + k];
    const swap = c > 0 || (c === 0 && pa > pb);
    if (swap) for (let k = 2; k < 6; k++) { const t = INPUT4[k]; INPUT4[k] = INPUT4[k + 4]; INPUT4[k + 4] = t; }
    INPUT4.writeUInt16BE(0, 0);          // seed
    INPUT4[10] = p;
    INPUT4[11] = 0;                      // padding
    INPUT4.writeUInt16BE(swap ? pb : pa, 12);
    INPUT4.writeUInt16BE(swap ? pa : pb, 14);
    return `1:${hash('sha1', INPUT4, 'base64')}`;
  }
  const a = ipBytes(sip);
  const b = ipBytes(dip);
  if (a === undefined || b === undefined || a.length !== b.length) return undefined;
  return digest(a, b, pa, pb, p);
}

const INPUT4 = Buffer.alloc(2 + 8 + 2 + 4);
const INPUT6 = Buffer.alloc(2 + 32 + 2 + 4);

function digest(a: Buffer, b: Buffer, pa: number, pb: number, p: number): string {
  const c = Buffer.compare(a, b);
  const swap = c > 0 || (c === 0 && pa > pb);
  const [ip1, ip2, p1, p2] = swap ? [b, a, pb, pa] : [a, b, pa, pb];
  const buf = ip1.length === 4 ? INPUT4 : INPUT6;   // filled whole below: no stale bytes
  let o = 0;
  o = buf.writeUInt16BE(0, o);            // seed
  o += ip1.copy(buf, o);
  o += ip2.copy(buf, o);
  o = buf.writeUInt8(p, o);
  o = buf.writeUInt8(0, o);               // padding
  o = buf.writeUInt16BE(p1, o);
  buf.writeUInt16BE(p2, o);
  return `1:${hash('sha1', buf, 'base64')}`;
}
