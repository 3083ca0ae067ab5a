// Structured (v1beta1) events, in Tracee's JSON and in proto3 JSON, built by hand from real classic
// events (test/fixtures/structured/PROVENANCE.md): both shapes of the same event must map alike.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../../src/normalize/decode.ts';
import { SHARED_FIXTURES, STRUCTURED_FIXTURES, testMapper } from '../../helpers/samples.ts';

const PAIRS: Array<[structured: string, classic: string, shape: string]> = [
  ['security_file_open.tracee-json.json', 'legacy/v0.13-v0.17/security_file_open.json', 'structured'],
  ['net_packet_dns-query.protojson-v0.24.json', 'legacy/v0.18-v0.24/net_packet_dns-query.json', 'structured'],
  ['anti_debugging.proto3-camel.json', 'legacy/v0.8-v0.12/signature-anti_debugging-TRC-102.json', 'structured-proto3'],
  ['execve-k8s-container.tracee-json.json', 'legacy/v0.8-v0.12/execve-k8s-container.json', 'structured'],
];

/** ECS fields both shapes carry (the classic-only ones and the parent ancestry are left out). */
const COMPARED = [
  '@timestamp',
  'event.kind',
  'event.action',
  'event.id',
  'event.category',
  'event.type',
  'message',
  'process.pid',
  'process.vpid',
  'process.name',
  'process.thread.id',
  'process.real_user.id',
  'process.entity_id',
  'process.executable',
  'process.args',
  'process.command_line',
  'container.id',
  'container.name',
  'container.image.name',
  'container.image.tag',
  'orchestrator.resource.name',
  'orchestrator.resource.id',
  'orchestrator.namespace',
  'file.path',
  'file.inode',
  'file.device',
  'source.ip',
  'source.port',
  'destination.ip',
  'destination.port',
  'dns.question.name',
  'dns.question.type',
  'dns.id',
  'dns.type',
  'dns.response_code',
  'rule.id',
  'rule.name',
  'rule.description',
  'rule.category',
  'threat.tactic.id',
  'threat.tactic.name',
  'threat.technique.id',
  'threat.technique.name',
  'event.severity',
  'event.risk_score',
];

function get(doc: Record<string, unknown>, field: string): unknown {
  if (field === '@timestamp') return doc[field];
  return field
    .split('.')
    .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), doc);
}

describe('structured events', () => {
  const mapper = testMapper();
  for (const [file, classic, shape] of PAIRS) {
    it(`${file} decodes as ${shape} and maps like ${classic}`, () => {
      const s = decodeText(fs.readFileSync(path.join(STRUCTURED_FIXTURES, file), 'utf8'));
      const c = decodeText(fs.readFileSync(path.join(SHARED_FIXTURES, classic), 'utf8'));
      expect(s.ok && c.ok).toBe(true);
      if (!s.ok || !c.ok) return;
      expect(s.shape).toBe(shape);
      const sd = mapper.toEcs(s.event).doc;
      const cd = mapper.toEcs(c.event).doc;
      let compared = 0;
      for (const f of COMPARED) {
        const cv = get(cd, f);
        if (cv === undefined && get(sd, f) === undefined) continue;
        compared++;
        expect(get(sd, f), f).toEqual(cv);
      }
      expect(compared).toBeGreaterThan(10);
    });
  }

  it('accepts wrappers as {"value": n}, Timestamp objects and numeric severities', () => {
    const r = decodeText(
      JSON.stringify({
        timestamp: { seconds: '1680119087', nanos: 787203746 },
        id: 6018,
        name: 'anti_debugging',
        workload: { process: { hostPid: { value: 95599 }, thread: { hostTid: { value: 95599 }, name: 'strace' } } },
        data: [
          { name: 'big', uInt64: '18446744073709551615' },
          { name: 'argv', strArray: { value: ['a', 'b'] } },
        ],
        threat: { severity: 3, name: 'x' },
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.timestamp).toBe(1680119087787203746n);
    expect(r.event.workload.process).toMatchObject({ host_pid: 95599, thread: { host_tid: 95599 } });
    expect(r.event.data).toEqual([
      { name: 'big', kind: 'u_int64', value: 18446744073709551615n },
      { name: 'argv', kind: 'str_array', value: ['a', 'b'] },
    ]);
    expect(r.event.threat?.severity).toBe(3);
  });
  // What Tracee v0.24.1's conversion (pkg/server/grpc/tracee.go, event_data.go) puts on every event,
  // read as the classic reader reads the same event: the policy "" of CLI flags, the one 0 stack
  // address of derived events, an empty DetectedFrom and Mitre, "<nil>" properties, and a
  // syscall's return value appended to the data.
  it("reads Tracee's conversion defaults as the classic reader does", () => {
    const r = decodeText(
      JSON.stringify({
        timestamp: '2023-03-30T13:29:36.364916505Z',
        id: 257,
        name: 'openat',
        policies: { matched: [''] },
        workload: {
          process: {
            host_pid: 676,
            pid: 676,
            thread: {
              name: 'cat',
              host_tid: 676,
              tid: 676,
              syscall: 'openat',
              user_stack_trace: { addresses: [{ address: 0 }] },
            },
          },
        },
        data: [
          { name: 'pathname', str: '/etc/shadow' },
          { name: 'flags', int32: 0 },
          { name: 'returnValue', int64: '-13' },
        ],
        detected_from: {},
        threat: {
          mitre: { tactic: {}, technique: {} },
          properties: { id: '<nil>', Category: 'x' },
          severity: 0,
          name: 'n',
        },
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const ev = r.event;
    expect(ev.policies).toBeUndefined();
    expect(ev.workload.process?.thread?.user_stack_trace).toBeUndefined();
    expect(ev.detected_from).toBeUndefined();
    expect(ev.threat?.mitre).toBeUndefined();
    expect(ev.threat?.properties).toEqual({ Category: 'x' });
    expect(ev.classic?.return_value).toBe(-13);
    const doc = testMapper().toEcs(ev).doc as { event: { outcome?: string }; tracee: Record<string, unknown> };
    expect(doc.event.outcome).toBe('failure');
    expect(doc.tracee.return_value).toBe(-13);
    expect(doc.tracee.policies).toBeUndefined();
    expect(doc.tracee.stack_addresses).toBeUndefined();
  });
});
