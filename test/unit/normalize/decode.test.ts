import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../../src/normalize/decode.ts';
import type { TraceeEvent } from '../../../src/model/event.ts';
import { SHARED_FIXTURES, sharedSamples } from '../../helpers/samples.ts';

const fixture = (rel: string) => fs.readFileSync(path.join(SHARED_FIXTURES, rel), 'utf8');
function decoded(text: string): TraceeEvent {
  const r = decodeText(text);
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

describe('decode: every real sample', () => {
  for (const s of sharedSamples(Infinity)) {
    it(`${s.rel} (${s.records.length} event(s)) decodes`, () => {
      for (const rec of s.records) {
        const r = decodeText(rec);
        expect(r.ok, r.ok ? '' : r.reason).toBe(true);
      }
    });
  }
  it('the hand-edited invalid doc sample is rejected as malformed JSON', () => {
    const r = decodeText(fixture('malformed/fileless_execution-missing-quote.json'));
    expect(r).toMatchObject({ ok: false, code: 'malformed_json' });
  });
});

describe('decode: classic eras', () => {
  it('v0.8–v0.12 flat container/pod fields become workload.container / workload.k8s', () => {
    const ev = decoded(fixture('legacy/v0.8-v0.12/execve-k8s-container.json'));
    expect(ev.workload.container).toEqual({
      id: 'a54718a9bd3bd16ddcbebd1c1f058c8f9538a2526d25a048263b0c6e30776041',
      name: 'tracee',
      image: { name: 'docker.io/aquasec/tracee:latest' },
      started: true,
    });
    expect(ev.workload.k8s).toEqual({
      pod: { name: 'tracee-hr52p', uid: '82b23cd8-f81b-403d-92fb-85af412e5f73' },
      namespace: { name: 'tracee-system' },
    });
  });

  it('host pid is host_pid and the namespaced pid is pid; comm is the thread name', () => {
    const ev = decoded(fixture('legacy/v0.8-v0.12/execve-k8s-container.json'));
    expect(ev.workload.process).toMatchObject({
      host_pid: 6664,
      pid: 6664,
      real_user: { id: 0 },
      thread: { name: 'kubelet', host_tid: 6664, tid: 6664 },
    });
    expect(ev.workload.process?.ancestors?.[0]).toEqual({ host_pid: 1362, pid: 1428 });
  });

  it('v0.18+ entity ids and executable; the empty executable path is dropped', () => {
    const ev = decoded(fixture('legacy/v0.18-v0.24/net_packet_dns-query.json'));
    expect(ev.workload.process).toMatchObject({
      unique_id: 2231131033,
      thread: { unique_id: 2326406626 },
      ancestors: [{ unique_id: 2142180145, host_pid: 1037836, pid: 1037836 }],
    });
    expect(ev.workload.process?.executable).toBeUndefined();
  });

  it('keeps what only the classic event has, with exact 64-bit values', () => {
    const ev = decoded(fixture('legacy/v0.8-v0.12/sched_process_exec-exec-hash.json'));
    expect(ev.timestamp).toBe(
      BigInt(fixture('legacy/v0.8-v0.12/sched_process_exec-exec-hash.json').match(/"timestamp":(\d+)/)![1]),
    );
    expect(ev.classic).toMatchObject({ event_id: expect.any(String), uts_name: expect.any(String), args_num: 14 });
    const ctime = ev.data.find((d) => d.name === 'ctime');
    expect(ctime).toMatchObject({ kind: 'u_int64', value: 1653730234432691496n, type: 'unsigned long' });
  });

  it('C-style and Go-style argument types map to the same value kinds', () => {
    const c = decoded(fixture('legacy/v0.18-v0.24/net_packet_dns-query.json'));
    const go = decoded(fixture('legacy/v0.18-v0.24/net_packet_dns-v0.24-types.json'));
    expect(c.data.map((d) => d.kind)).toEqual(['str', 'str', 'u_int32', 'u_int32', 'dns']);
    expect(go.data.map((d) => d.kind)).toEqual(c.data.map((d) => d.kind));
  });

  it('parse-arguments strings keep their text and become str values', () => {
    // option parse-arguments-fds keeps "type":"int" but sends "3=/etc/passwd" (tracee-formats.md §6)
    const ev = decoded(
      '{"timestamp":1,"eventName":"read","args":[{"name":"fd","type":"int","value":"3=/etc/passwd"},{"name":"count","type":"size_t","value":4096}]}',
    );
    expect(ev.data).toEqual([
      { name: 'fd', kind: 'str', value: '3=/etc/passwd', type: 'int' },
      { name: 'count', kind: 'u_int64', value: 4096, type: 'size_t' },
    ]);
  });

  it('null arrays (envp, stackAddresses, args) are accepted as absent', () => {
    const ev = decoded(fixture('legacy/v0.13-v0.17/execve-minikube-policy.json'));
    expect(ev.data.find((d) => d.name === 'envp')?.value).toBeNull();
    expect(ev.policies).toEqual({ matched: ['execve_event'] });
  });

  it('detections: metadata becomes threat (Tracee §4.4 rules); [""] policies mean none', () => {
    const ev = decoded(fixture('legacy/v0.8-v0.12/signature-anti_debugging-TRC-102.json'));
    expect(ev.threat).toEqual({
      description: expect.stringContaining('anti-debugging'),
      name: 'Anti-Debugging detected',
      severity: 1,
      mitre: { tactic: { name: 'defense-evasion' }, technique: { id: 'T1622', name: 'Debugger Evasion' } },
      properties: {
        Kubernetes_Technique: '',
        id: 'attack-pattern--e4dc8c01-417f-458d-9ee0-bb0617c1b391',
        signatureID: 'TRC-102',
      },
    });
    expect(ev.classic?.metadata_version).toBe('1');
  });

  it('a custom signature without Severity still carries its rule identity', () => {
    const ev = decoded(fixture('legacy/v0.13-v0.17/signature-custom-golang.json'));
    expect(ev.threat).toMatchObject({ name: 'My Own Signature', properties: { signatureID: 'Mine-0.1.0' } });
    expect(ev.threat?.severity).toBeUndefined();
  });

  it('a tracee-rules finding becomes the detection event Tracee would print', () => {
    const ev = decoded(fixture('edge-cases/tracee-rules-finding-rawjson-golden.json'));
    expect(ev.name).toBe('stdio');
    expect(ev.threat).toMatchObject({
      severity: 3,
      name: 'Standard Input/Output Over Socket',
      properties: { signatureID: 'TRC-1', 'MITRE ATT&CK': 'Persistence: Server Software Component' },
    });
    // the Rego signatures' combined "Tactic: Technique" property fills the MITRE fields
    expect(ev.threat?.mitre).toEqual({
      tactic: { name: 'Persistence' },
      technique: { name: 'Server Software Component' },
    });
    expect(ev.data.map((d) => d.name)).toEqual(['a', 'b', 'd', 'f']);
    expect(ev.workload.container?.id).toBe('abbc123');
  });

  it('the detectedFrom / triggeredBy argument becomes detected_from', () => {
    const text = fixture('legacy/v0.18-v0.24/net_packet_dns-query.json').replace(
      '"args":[',
      '"args":[{"name":"detectedFrom","type":"unknown","value":{"id":2006,"name":"net_packet_dns","args":[{"name":"src","type":"string","value":"127.0.0.1"}],"returnValue":-13}},',
    );
    const ev = decoded(text);
    expect(ev.detected_from).toEqual({
      id: 2006,
      name: 'net_packet_dns',
      data: [
        { name: 'src', kind: 'str', value: '127.0.0.1', type: 'string' },
        { name: 'returnValue', kind: 'int64', value: -13 },
      ],
    });
    expect(ev.data.some((d) => d.name === 'detectedFrom')).toBe(false);
  });

  it('keys are matched case-insensitively, as Go does', () => {
    const ev = decoded('{"timestamp":1,"eventname":"ptrace","processid":12,"hostprocessid":34,"args":[]}');
    expect(ev.name).toBe('ptrace');
    expect(ev.workload.process).toMatchObject({ pid: 12, host_pid: 34 });
  });
});

describe('decode: rejections', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['truncated', '{"timestamp":1,"eventName":"x"', /malformed JSON/],
    ['array', '[1,2]', /expected a JSON object, got an array/],
    ['string', '"hello"', /expected a JSON object/],
    ['unknown shape', '{"foo":1,"bar":2}', /not a Tracee event.*keys: foo, bar/],
    ['wrong type: eventName', '{"timestamp":1,"eventName":42}', /field "eventName": expected a string, got number 42/],
    [
      'wrong type: pid',
      '{"timestamp":1,"eventName":"x","processId":"abc"}',
      /field "processId": expected an integer, got string "abc"/,
    ],
    ['wrong type: args', '{"timestamp":1,"eventName":"x","args":{"a":1}}', /field "args": expected an array/],
    ['missing timestamp', '{"eventName":"x"}', /field "timestamp"/],
    ['huge number', '{"timestamp":1e400,"eventName":"x"}', /field "timestamp": expected an integer/],
    ['structured: bad time', '{"timestamp":"yesterday","name":"x","workload":{},"data":[]}', /timestamp/],
    [
      'structured: bad severity',
      '{"timestamp":"2023-01-01T00:00:00Z","name":"x","workload":{},"data":[],"threat":{"severity":"SEVERE"}}',
      /threat.severity/,
    ],
    [
      'structured: data without member',
      '{"timestamp":"2023-01-01T00:00:00Z","name":"x","workload":{},"data":[{"name":"a"}]}',
      /data\[0\]/,
    ],
  ];
  for (const [name, text, reason] of cases) {
    it(name, () => {
      const r = decodeText(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    });
  }

  it('deep nesting is rejected, not a crash', () => {
    const deep =
      '{"timestamp":1,"eventName":"x","args":[{"name":"a","type":"unknown","value":' +
      '['.repeat(200000) +
      ']'.repeat(200000) +
      '}]}';
    const r = decodeText(deep, { maxRecordChars: 10_000_000 });
    // V8 either parses it (then it is a valid event) or reports it too deep; never throws.
    if (!r.ok) expect(r.code).toBe('too_deep');
  });

  it('records over the size limit are rejected before parsing', () => {
    expect(decodeText('x'.repeat(101), { maxRecordChars: 100 })).toMatchObject({ ok: false, code: 'too_large' });
  });

  it('"__proto__" and "constructor" keys do not pollute prototypes', () => {
    const r = decodeText(
      '{"timestamp":1,"eventName":"x","__proto__":{"polluted":1},"constructor":{"prototype":{"p2":1}},"args":[{"name":"__proto__","type":"int","value":1}]}',
    );
    expect(r.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).p2).toBeUndefined();
  });
});
