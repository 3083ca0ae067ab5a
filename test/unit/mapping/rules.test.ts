// The mapping decisions issue #2 names, asserted on real samples (mapping-anchors.md §6–7).

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../../src/normalize/decode.ts';
import type { TraceeEvent } from '../../../src/model/event.ts';
import { MappingTableError } from '../../../src/mapping/load.ts';
import { SHARED_FIXTURES, testMapper } from '../../helpers/samples.ts';

const ev = (rel: string): TraceeEvent => {
  const r = decodeText(fs.readFileSync(path.join(SHARED_FIXTURES, rel), 'utf8'));
  if (!r.ok) throw new Error(r.reason);
  return r.event;
};
const at = (doc: Record<string, unknown>, f: string) =>
  f.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], doc);

describe('mapping rules', () => {
  const mapper = testMapper();
  const k8sExec = ev('legacy/v0.8-v0.12/execve-k8s-container.json'); // pid 6664 in its pid ns = 6664? see below
  const nsDiffer = ev('legacy/v0.8-v0.12/signature-fileless_execution-k8s.json'); // host pid 6136, ns pid 9

  it('host pid → process.pid, namespaced pid → process.vpid (ECS and OTel)', () => {
    const d = mapper.toEcs(nsDiffer).doc;
    expect(at(d, 'process.pid')).toBe(6136);
    expect(at(d, 'process.vpid')).toBe(9);
    const o = mapper.toOtel(nsDiffer);
    expect(o.attributes['process.pid']).toBe(6136);
    expect(o.attributes['process.vpid']).toBe(9);
  });

  it('processName is comm: process.name / thread name, never process.executable.name', () => {
    const d = mapper.toEcs(nsDiffer).doc;
    expect(at(d, 'process.name')).toBe('3');
    const o = mapper.toOtel(nsDiffer);
    expect(o.attributes['thread.name']).toBe('3');
    expect(o.attributes['process.executable.name']).toBeUndefined();
  });

  it("Tracee's per-event hostName is the task's UTS name: tracee.uts_name, not host.name", () => {
    const d = mapper.toEcs(k8sExec).doc;
    expect(at(d, 'host.name')).toBe('node-1');
    expect(at(d, 'tracee.uts_name')).toBe('pool-hst1l5k80-');
    expect(mapper.toOtel(k8sExec).resource.attributes['host.name']).toBe('node-1');
  });

  it('every user stack address is kept: an ECS keyword array and an OTel string array (was: first only / nothing)', () => {
    // derived: a real v0.18 DNS event with its all-zero stack replaced by three addresses, one above 2^63
    const line = fs
      .readFileSync(path.join(SHARED_FIXTURES, 'streams/net_packet_dns-sequence-v0.18.ndjson'), 'utf8')
      .split('\n')[0]
      .replace('"stackAddresses":[0]', '"stackAddresses":[140737488355328,94662952402944,18446744073709551615]');
    const r = decodeText(line);
    if (!r.ok) throw new Error(r.reason);
    const want = ['0x800000000000', '0x56186fa6c000', '0xffffffffffffffff'];
    expect(at(mapper.toEcs(r.event).doc, 'tracee.stack_addresses')).toEqual(want);
    expect(JSON.parse(mapper.toEcsJson(r.event).json).tracee.stack_addresses).toEqual(want);
    expect(mapper.toOtel(r.event).attributes['tracee.stack_addresses']).toEqual(want);
  });

  it('ECS user ids are strings, OTel ones integers', () => {
    expect(at(mapper.toEcs(k8sExec).doc, 'process.real_user.id')).toBe('0');
    expect(mapper.toOtel(k8sExec).attributes['process.real_user.id']).toBe(0);
  });

  it('Kubernetes is orchestrator.* in ECS and k8s.* on the OTel Resource; process stays on the record', () => {
    const d = mapper.toEcs(k8sExec).doc;
    expect(d.orchestrator).toMatchObject({
      type: 'kubernetes',
      namespace: 'tracee-system',
      resource: { type: 'pod', name: 'tracee-hr52p', id: '82b23cd8-f81b-403d-92fb-85af412e5f73' },
    });
    expect(d).not.toHaveProperty('kubernetes');
    const o = mapper.toOtel(k8sExec);
    expect(o.resource.attributes).toMatchObject({
      'k8s.pod.name': 'tracee-hr52p',
      'k8s.namespace.name': 'tracee-system',
      'container.id': expect.any(String),
      'container.image.name': 'docker.io/aquasec/tracee',
      'container.image.tags': ['latest'],
      'k8s.node.name': 'node-1',
      'k8s.cluster.name': 'test-cluster',
    });
    expect(o.resource.attributes).not.toHaveProperty('process.pid');
    expect(o.attributes).not.toHaveProperty('k8s.pod.name');
  });

  it('one Resource object per workload: same workload → same object, another → another', () => {
    const a = mapper.toOtel(k8sExec).resource;
    expect(mapper.toOtel(k8sExec).resource).toBe(a);
    expect(mapper.toOtel(nsDiffer).resource).not.toBe(a);
  });

  it('EventName, Timestamp to the ns, severity of plain events', () => {
    const o = mapper.toOtel(k8sExec);
    expect(o.eventName).toBe('tracee.execve');
    expect(o.timeUnixNano).toBe(1671119209363959531n);
    expect([o.severityNumber, o.severityText]).toEqual([9, 'INFO']);
  });

  it('detections: event.kind alert, rule.*, threat.* with tactic id and technique/sub-technique split', () => {
    const r = decodeText(
      fs
        .readFileSync(path.join(SHARED_FIXTURES, 'legacy/v0.8-v0.12/signature-anti_debugging-TRC-102.json'), 'utf8')
        .replace('"T1622"', '"T1548.003"')
        .replace('"Debugger Evasion"', '"Sudo and Sudo Caching"'),
    );
    if (!r.ok) throw new Error(r.reason);
    const d = mapper.toEcs(r.event).doc;
    expect(at(d, 'event.kind')).toBe('alert');
    expect(at(d, 'event.category')).toEqual(['intrusion_detection']);
    expect(d.rule).toMatchObject({
      id: 'TRC-102',
      name: 'Anti-Debugging detected',
      category: 'Defense Evasion',
      ruleset: 'tracee',
    });
    expect(d.threat).toEqual({
      framework: 'MITRE ATT&CK',
      tactic: { id: ['TA0005'], name: ['Defense Evasion'], reference: ['https://attack.mitre.org/tactics/TA0005/'] },
      technique: {
        id: ['T1548'],
        name: ['Abuse Elevation Control Mechanism'],
        reference: ['https://attack.mitre.org/techniques/T1548/'],
        subtechnique: {
          id: ['T1548.003'],
          name: ['Sudo and Sudo Caching'],
          reference: ['https://attack.mitre.org/techniques/T1548/003/'],
        },
      },
    });
    const o = mapper.toOtel(r.event);
    expect(o.attributes).toMatchObject({
      'security_rule.uuid': 'TRC-102',
      'security_rule.name': 'Anti-Debugging detected',
      'tracee.threat.tactic.id': 'TA0005',
      'tracee.threat.subtechnique.id': 'T1548.003',
    });
  });

  it('severity 0–4 → ECS event.severity/risk_score as Kibana external alerts expect, and OTel severity', () => {
    const base = fs.readFileSync(
      path.join(SHARED_FIXTURES, 'legacy/v0.8-v0.12/signature-anti_debugging-TRC-102.json'),
      'utf8',
    );
    const expected = [
      [21, 9, 'INFO'],
      [21, 13, 'LOW'],
      [47, 14, 'MEDIUM'],
      [73, 17, 'HIGH'],
      [99, 21, 'CRITICAL'],
    ]; // SeverityText: Tracee's own word
    for (let sev = 0; sev <= 4; sev++) {
      const r = decodeText(base.replace('"Severity":1', `"Severity":${sev}`));
      if (!r.ok) throw new Error(r.reason);
      const d = mapper.toEcs(r.event).doc;
      const o = mapper.toOtel(r.event);
      expect([at(d, 'event.severity'), o.severityNumber, o.severityText]).toEqual(expected[sev]);
      expect(at(d, 'event.risk_score')).toBe(expected[sev][0]);
    }
  });

  it('a detection with no metadata (≤ v0.11) is recognised and completed from the signature table', () => {
    const d = mapper.toEcs(nsDiffer).doc;
    expect(at(d, 'event.kind')).toBe('alert');
    expect(at(d, 'rule.id')).toBe('TRC-105');
    expect(at(d, 'event.severity')).toBe(73);
    expect(at(d, 'threat.technique.name')).toEqual(['Reflective Code Loading']);
  });

  it('ecs.version, data_stream.*, event.dataset, observer.*', () => {
    const d = mapper.toEcs(k8sExec).doc;
    expect(d.ecs).toEqual({ version: '9.4.0' });
    expect(d.data_stream).toEqual({ type: 'logs', dataset: 'tracee.events', namespace: 'default' });
    expect(at(d, 'event.dataset')).toBe('tracee.events');
    expect(d.observer).toMatchObject({
      type: 'sensor',
      vendor: 'Aqua Security',
      product: 'Tracee',
      version: '0.24.1',
      hostname: 'node-1',
    });
    expect(at(mapper.toEcs(nsDiffer).doc, 'data_stream.dataset')).toBe('tracee.alerts');
  });

  it('event data: exec argv → process.args, DNS → dns.*, packet addresses → source/destination.*', () => {
    const d = mapper.toEcs(k8sExec).doc;
    expect(at(d, 'process.args')).toEqual(['umount', expect.stringContaining('kube-api-access')]);
    expect(at(d, 'process.args_count')).toBe(2);
    const dns = mapper.toEcs(ev('legacy/v0.18-v0.24/net_packet_dns_request.json')).doc;
    expect(at(dns, 'dns.question.name')).toEqual(expect.any(String));
    expect(at(dns, 'network.transport')).toBe('udp');
    expect(at(dns, 'source.ip')).toEqual(expect.any(String));
    const o = mapper.toOtel(ev('legacy/v0.18-v0.24/net_packet_tcp.json'));
    expect(o.attributes).toMatchObject({
      'source.address': 'fd12:3456:789a::2',
      'source.port': 8080,
      'network.type': 'ipv6',
      'network.transport': 'tcp',
    });
  });

  it('unknown event names map with the generic fields', () => {
    const r = decodeText(
      '{"timestamp":1700000000000000000,"eventName":"brand_new_event","hostProcessId":5,"args":[{"name":"x","type":"int","value":1}]}',
    );
    if (!r.ok) throw new Error(r.reason);
    const d = mapper.toEcs(r.event).doc;
    expect(d.event).toMatchObject({ kind: 'event', action: 'brand_new_event', category: ['host'], type: ['info'] });
    expect(at(d, 'tracee.data')).toEqual({ x: 1 });
  });

  it('event.id is deterministic and differs between events', () => {
    expect(mapper.toEcs(k8sExec).id).toBe(mapper.toEcs(k8sExec).id);
    expect(mapper.toEcs(k8sExec).id).not.toBe(mapper.toEcs(nsDiffer).id);
  });
});

describe('user overrides from config (no code change)', () => {
  const e = ev('legacy/v0.8-v0.12/execve-k8s-container.json');

  it('adds a constant, renames (drop + add) and drops a field', () => {
    const m = testMapper([
      {
        fields: [
          { value: 'eu-west-1', ecs: 'labels.region', otel: 'tracee.region', type: 'keyword' },
          { from: 'classic.uts_name', ecs: 'host.hostname' },
        ],
        drop: [{ ecs: 'process.command_line' }, { ecs: 'tracee.uts_name' }, { otel: 'process.command_line' }],
      },
    ]);
    const d = m.toEcs(e).doc;
    expect(at(d, 'labels.region')).toBe('eu-west-1');
    expect(at(d, 'host.hostname')).toBe('pool-hst1l5k80-');
    expect(at(d, 'process.command_line')).toBeUndefined();
    expect(at(d, 'tracee.uts_name')).toBeUndefined();
    expect(at(d, 'process.args')).toBeDefined();
    const o = m.toOtel(e);
    expect(o.attributes['tracee.region']).toBe('eu-west-1');
    expect(o.attributes['process.command_line']).toBeUndefined();
  });

  it('adds rows for an event name', () => {
    const m = testMapper([
      {
        events: [
          {
            names: ['execve'],
            category: ['process'],
            type: ['start'],
            fields: [{ from: 'data.pathname', ecs: 'file.path' }],
          },
        ],
      },
    ]);
    expect(at(m.toEcs(e).doc, 'file.path')).toBe('/usr/bin/umount');
  });

  it('rejects fields that are not ECS / semconv, untyped tracee.* fields and unknown transforms', () => {
    expect(() => testMapper([{ fields: [{ value: 'x', ecs: 'kubernetes.pod.name' }] }])).toThrow(
      /not an ECS 9.4.0 field/,
    );
    expect(() => testMapper([{ fields: [{ value: 'x', otel: 'k8s.pod.labels' }] }])).toThrow(/deprecated/);
    expect(() => testMapper([{ fields: [{ value: 'x', ecs: 'tracee.new' }] }])).toThrow(/needs a "type"/);
    expect(() => testMapper([{ fields: [{ from: 'name', ecs: 'event.reason', transform: 'nope' }] }])).toThrow(
      MappingTableError,
    );
    expect(() => testMapper([{ fields: [{ from: 'name', ecs: 'process.executable.path' }] }])).toThrow(
      /collide|not an ECS/,
    );
  });

  it('rejects event.kind / category / type / outcome values ECS 9.4.0 does not allow, and types no category expects', () => {
    expect(() => testMapper([{ events: [{ names: ['execve'], category: ['proces'] }] }])).toThrow(
      /mapping override #1: events "execve": event.category "proces" is not an ECS 9.4.0 value/,
    );
    expect(() => testMapper([{ events: [{ names: ['execve'], category: ['process'], type: ['launch'] }] }])).toThrow(
      /event.type "launch" is not an ECS/,
    );
    // network expects access, allowed, connection, denied, end, info, protocol, start: not creation
    expect(() =>
      testMapper([{ events: [{ names: ['my_event'], category: ['network'], type: ['creation'] }] }]),
    ).toThrow(/event.type "creation" is not expected for event.category network/);
    // the same type with a category that expects it is fine
    expect(() =>
      testMapper([{ events: [{ names: ['my_event'], category: ['network', 'file'], type: ['creation'] }] }]),
    ).not.toThrow();
    // a type added alone must still pair with the categories the built-in table gives execve (process)
    expect(() => testMapper([{ events: [{ names: ['execve'], type: ['deletion'] }] }])).toThrow(
      /event "execve" \(its tables together\): event.type "deletion"/,
    );
    expect(() => testMapper([{ fields: [{ value: 'alarm', ecs: 'event.kind' }] }])).toThrow(
      /event.kind "alarm" is not an ECS 9.4.0 value/,
    );
    expect(() => testMapper([{ fields: [{ value: 'ok', ecs: 'event.outcome' }] }])).toThrow(/event.outcome "ok"/);
    expect(() => testMapper([{ fields: [{ value: 'unknown', ecs: 'event.outcome' }] }])).not.toThrow();
  });
});
