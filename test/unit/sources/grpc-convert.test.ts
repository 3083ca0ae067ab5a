// StreamEvents message → record, for the members the fixtures do not exercise: wrappers holding
// 0, credentials, timespec, Struct with lists and nested objects, an unset EventValue, a
// detected_from chain, 64-bit values beyond 2^53, enum values our proto does not name.

import { describe, expect, it } from 'vitest';
import { decodeValue } from '../../../src/normalize/decode.ts';
import { messageToRecord } from '../../../src/sources/grpc/convert.ts';
import { streamEventsMethod } from '../../../src/sources/grpc/protos.ts';
import { encodeEventMessage } from '../../helpers/tracee-grpc-test-server.ts';

const method = streamEventsMethod();
const origin = { source: 'grpc test', line: 1 };

function roundTrip(structured: Record<string, unknown>) {
  const rec = messageToRecord(encodeEventMessage(structured), method.responseDeserialize, origin);
  if (rec.kind !== 'value') throw new Error(JSON.stringify(rec));
  return rec.value as Record<string, unknown>;
}

// values that come back as they went in (no proto3 default to restore)
const DATA = [
  { name: 'creds', credentials: { uid: 0, gid: 1000, cap_effective: ['CAP_SYS_ADMIN', 'CAP_BPF'] } },
  { name: 'ts', timespec: { value: 1.5 } },
  { name: 'meta', struct: { list: [1, 'a', { deep: [true, null] }], obj: { k: 'v' } } },
  { name: 'unset', value: null },
  { name: 'zero', u_int32: 0 },
  { name: 'big', u_int64: '18446744073709551615' },
  { name: 'ptr', pointer: '140737488355328' },
  { name: 'addr', sockaddr: { sa_family: 'AF_INET6', sin6_addr: '::1', sin6_port: 443 } },
];
const DETECTED_FROM = {
  id: 1032,
  name: 'security_file_open',
  data: [{ name: 'pathname', str: '/etc/shadow' }],
  parent: { name: 'openat', data: [{ name: 'flags', int32: 0 }] },
};

describe('gRPC message → record', () => {
  it('wrappers holding 0 become 0; credentials, timespec, Struct, unset values, detected_from, big integers', () => {
    const v = roundTrip({
      timestamp: '2025-11-18T10:00:00.000000001Z',
      id: 6031, // a detection id our EventId enum does not name
      name: 'detection',
      workload: {
        process: {
          pid: 0,
          host_pid: 1234,
          real_user: { id: 0 },
          thread: { tid: 0, start_time: '2025-11-18T09:59:59.5Z', name: 'sh' },
          ancestors: [{ pid: 1, host_pid: 0 }],
        },
        container: { id: 'abc' },
      },
      data: DATA,
      threat: { severity: 3, mitre: { tactic: { name: 'Defense Evasion' } }, properties: { signatureID: 'TRC-1' } },
      detected_from: DETECTED_FROM,
    });
    expect(v).toEqual({
      timestamp: { seconds: '1763460000', nanos: 1 },
      id: 6031,
      name: 'detection',
      workload: {
        process: {
          pid: 0,
          host_pid: 1234,
          real_user: { id: 0 },
          thread: { tid: 0, start_time: { seconds: '1763459999', nanos: 500000000 }, name: 'sh', compat: false },
          ancestors: [{ pid: 1, host_pid: 0 }],
        },
        container: { id: 'abc', name: '', started: false },
      },
      data: DATA,
      threat: {
        description: '',
        severity: 'HIGH',
        name: '',
        mitre: { tactic: { name: 'Defense Evasion' } },
        properties: { signatureID: 'TRC-1' },
      },
      detected_from: DETECTED_FROM,
    });
    const d = decodeValue(v, false);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.event).toMatchObject({
      timestamp: 1763460000000000001n,
      id: 6031,
      name: 'detection',
      threat: { severity: 3 },
    });
    expect(d.event.workload.process).toMatchObject({
      pid: 0,
      real_user: { id: 0 },
      thread: { tid: 0, start_time: 1763459999500000000n },
    });
    expect(d.event.data.find((f) => f.name === 'big')).toEqual({
      name: 'big',
      kind: 'u_int64',
      value: 18446744073709551615n,
    });
    expect(d.event.data.find((f) => f.name === 'unset')).toMatchObject({ kind: 'struct', value: null });
    expect(d.event.detected_from?.parent?.data).toEqual([{ name: 'flags', kind: 'int32', value: 0 }]);
  });

  it('HTTP body lengths (int64) become numbers like in the classic event', () => {
    const v = roundTrip({
      timestamp: '2025-11-18T10:00:00Z',
      name: 'net_packet_http',
      data: [{ name: 'http', http_response: { status_code: 200, content_length: '180' } }],
    });
    expect(v.data).toEqual([{ name: 'http', http_response: { status_code: 200, content_length: 180 } }]);
  });
});
