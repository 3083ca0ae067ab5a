// Community ID v1 against the spec's published vector and an independent computation (Python's
// ipaddress + hashlib on the same tuples, run when this test was written: values below).
import { describe, expect, it } from 'vitest';
import { communityId } from '../../../src/mapping/transforms/community-id.ts';

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
    expect(communityId(['10.0.0.1', 80, '10.0.0.1', 1234, 'tcp'])).toBe(communityId(['10.0.0.1', 1234, '10.0.0.1', 80, 'tcp']));
    // a zone id is not part of the address; an IPv4-mapped address is 16 bytes
    expect(communityId(['fe80::1%eth0', 1, 'fe80::2', 2, 'tcp'])).toBe(communityId(['fe80::1', 1, 'fe80::2', 2, 'tcp']));
    expect(communityId(['::ffff:1.2.3.4%eth0', 1, '::1', 2, 'tcp'])).toBe(communityId(['::ffff:1.2.3.4', 1, '::1', 2, 'tcp']));
    expect(communityId(['::ffff:1.2.3.4', 1, '::1', 2, 'tcp'])).toBe('1:D4maFVDTNCfjP333hpUQvBynUxQ=');
  });
  it('nothing for what it does not cover: ICMP, a missing port, mixed families, not an IP', () => {
    expect(communityId(['10.0.0.1', 0, '10.0.0.2', 0, 'icmp'])).toBeUndefined();
    expect(communityId(['10.0.0.1', undefined, '10.0.0.2', 20, 'tcp'])).toBeUndefined();
    expect(communityId(['10.0.0.1', 10, '::1', 20, 'tcp'])).toBeUndefined();
    expect(communityId(['host', 10, '10.0.0.2', 20, 'tcp'])).toBeUndefined();
    expect(communityId(['01.2.3.4', 10, '10.0.0.2', 20, 'tcp'])).toBeUndefined();   // not an address for isIP either
    expect(communityId(['10.0.0.1', 10, '10.0.0.2', 70000, 'tcp'])).toBeUndefined();
  });
});
