// Community ID v1 against the spec's published vector and an independent computation (Python's
// ipaddress + hashlib on the same tuples, run when this test was written: values below).
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { communityId } from '../../../src/mapping/transforms/community-id.ts';
import { icmpTypeCode } from '../../../src/mapping/transforms/network.ts';
import { loadMappingTables } from '../../../src/mapping/load.ts';
import { decodeText } from '../../../src/normalize/decode.ts';
import { SHARED_FIXTURES, testMapper } from '../../helpers/samples.ts';

describe('community id v1', () => {
  it('matches the published vector (tcp 10.0.0.1:10 → 10.0.0.2:20) in both directions, by name or IANA number', () => {
    const want = '1:9j2Dzwrw7T9E+IZi4b4IVT66HBI=';
    expect(communityId(['10.0.0.1', 10, '10.0.0.2', 20, 'tcp'])).toBe(want);
    expect(communityId(['10.0.0.2', 20, '10.0.0.1', 10, 'TCP'])).toBe(want);
    expect(communityId(['10.0.0.1', 10, '10.0.0.2', 20, 6])).toBe(want);
    expect(communityId(['10.0.0.1', 10, '10.0.0.2', 20, '6'])).toBe(want);
  });
  it('IPv6 (compressed forms expanded) and UDP', () => {
    expect(communityId(['fd12:3456:789a::2', 8080, '::1', 55013, 'tcp'])).toBe('1:qFXCoNqn6jsDkbWSXvyzkxeDb70=');
    expect(communityId(['127.0.0.1', 44493, '127.0.0.53', 53, 'udp'])).toBe('1:XyN6o0+zCDV7vPxLfodt5sG1/9E=');
    // equal addresses: the ports decide the order
    expect(communityId(['10.0.0.1', 80, '10.0.0.1', 1234, 'tcp'])).toBe(
      communityId(['10.0.0.1', 1234, '10.0.0.1', 80, 'tcp']),
    );
    // a zone id is not part of the address; an IPv4-mapped address is 16 bytes
    expect(communityId(['fe80::1%eth0', 1, 'fe80::2', 2, 'tcp'])).toBe(
      communityId(['fe80::1', 1, 'fe80::2', 2, 'tcp']),
    );
    expect(communityId(['::ffff:1.2.3.4%eth0', 1, '::1', 2, 'tcp'])).toBe(
      communityId(['::ffff:1.2.3.4', 1, '::1', 2, 'tcp']),
    );
    expect(communityId(['::ffff:1.2.3.4', 1, '::1', 2, 'tcp'])).toBe('1:D4maFVDTNCfjP333hpUQvBynUxQ=');
  });
  it('nothing for what it does not cover: ICMP without the counterpart tables, a missing port, mixed families, not an IP', () => {
    expect(communityId(['10.0.0.1', 0, '10.0.0.2', 0, 'icmp'])).toBeUndefined();
    expect(communityId(['10.0.0.1', undefined, '10.0.0.2', 20, 'tcp'])).toBeUndefined();
    expect(communityId(['10.0.0.1', 10, '::1', 20, 'tcp'])).toBeUndefined();
    expect(communityId(['host', 10, '10.0.0.2', 20, 'tcp'])).toBeUndefined();
    expect(communityId(['01.2.3.4', 10, '10.0.0.2', 20, 'tcp'])).toBeUndefined(); // not an address for isIP either
    expect(communityId(['10.0.0.1', 10, '10.0.0.2', 70000, 'tcp'])).toBeUndefined();
  });
});

// ICMP / ICMPv6: the test vectors of the reference implementation (corelight/pycommunityid
// tests/communityid_test.py, test_icmp / test_icmp6, seed 0, base64), with the counterpart tables
// of mappings/lookups/icmp.yaml; and the real v0.18 net_packet_icmp sample end to end.
describe("community id v1: ICMP and ICMPv6 (type/code in the ports' places)", () => {
  const tables = loadMappingTables().lookups as Record<string, Record<string, unknown>>;
  const icmp = { v4: tables.icmp_counterpart_types, v6: tables.icmpv6_counterpart_types };
  it('ICMP echo request/reply: one id for both directions; a type without counterpart is one-way, code counts', () => {
    expect(communityId(['192.168.0.89', 8, '192.168.0.1', 0, 'icmp'], icmp)).toBe('1:X0snYXpgwiv9TZtqg64sgzUn6Dk=');
    expect(communityId(['192.168.0.1', 0, '192.168.0.89', 8, 1], icmp)).toBe('1:X0snYXpgwiv9TZtqg64sgzUn6Dk=');
    expect(communityId(['192.168.0.89', 20, '192.168.0.1', 0, 'icmp'], icmp)).toBe('1:3o2RFccXzUgjl7zDpqmY7yJi8rI=');
    expect(communityId(['192.168.0.89', 20, '192.168.0.1', 1, 'icmp'], icmp)).toBe('1:tz/fHIDUHs19NkixVVoOZywde+I=');
    expect(communityId(['192.168.0.1', 0, '192.168.0.89', 20, 'icmp'], icmp)).toBe('1:X0snYXpgwiv9TZtqg64sgzUn6Dk=');
  });
  it('ICMPv6 neighbor solicitation/advertisement pair, and a one-way type in each direction', () => {
    expect(communityId(['fe80::200:86ff:fe05:80da', 135, 'fe80::260:97ff:fe07:69ea', 0, 'ipv6-icmp'], icmp)).toBe(
      '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=',
    );
    expect(communityId(['fe80::260:97ff:fe07:69ea', 136, 'fe80::200:86ff:fe05:80da', 0, 58], icmp)).toBe(
      '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=',
    );
    expect(
      communityId(['3ffe:507:0:1:260:97ff:fe07:69ea', 3, '3ffe:507:0:1:200:86ff:fe05:80da', 0, 'ipv6-icmp'], icmp),
    ).toBe('1:NdobDX8PQNJbAyfkWxhtL2Pqp5w=');
    expect(
      communityId(['3ffe:507:0:1:200:86ff:fe05:80da', 3, '3ffe:507:0:1:260:97ff:fe07:69ea', 0, 'ipv6-icmp'], icmp),
    ).toBe('1:/OGBt9BN1ofenrmSPWYicpij2Vc=');
  });
  it("gopacket's TypeCode text → type and code", () => {
    const t4 = [tables.icmp_types, tables.icmp_codes] as const;
    expect(icmpTypeCode('EchoRequest', ...t4)).toEqual({ type: 8, code: 0 });
    expect(icmpTypeCode({ typeCode: 'DestinationUnreachable(Port)' }, ...t4)).toEqual({ type: 3, code: 3 });
    expect(icmpTypeCode({ type_code: 'Redirect(TOS+Host)' }, ...t4)).toEqual({ type: 5, code: 3 });
    expect(icmpTypeCode('EchoReply(Code: 4)', ...t4)).toEqual({ type: 0, code: 4 });
    expect(icmpTypeCode('42(7)', ...t4)).toEqual({ type: 42, code: 7 });
    expect(icmpTypeCode('Nonsense', ...t4)).toBeUndefined();
    expect(icmpTypeCode('TimeExceeded(HopLimitExceeded)', tables.icmpv6_types, tables.icmpv6_codes)).toEqual({
      type: 3,
      code: 0,
    });
  });
  it("the real net_packet_icmp (EchoRequest 192.168.200.50 → 8.8.8.8): type 8, code 0, the flow's id", () => {
    const r = decodeText(
      fs.readFileSync(path.join(SHARED_FIXTURES, 'legacy/v0.18-v0.24/net_packet_icmp.json'), 'utf8'),
    );
    if (!r.ok) throw new Error(r.reason);
    const m = testMapper();
    const doc = m.toEcs(r.event).doc as Record<string, any>;
    expect(doc.tracee.network.icmp).toEqual({ type: 8, code: 0 });
    expect(doc.network.community_id).toBe(communityId(['192.168.200.50', 8, '8.8.8.8', 0, 'icmp'], icmp));
    // the reply direction of the same exchange gets the same id
    expect(doc.network.community_id).toBe(communityId(['8.8.8.8', 0, '192.168.200.50', 8, 'icmp'], icmp));
    expect(m.toOtel(r.event).attributes['tracee.network.icmp.type']).toBe(8);
  });
});
