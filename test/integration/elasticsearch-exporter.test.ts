// The Elasticsearch exporter against the REAL Elasticsearch node (scripts/services/elasticsearch.sh): hand-built
// EcsRecords → exporter → data streams; mappings, routing, duplicates, rejections, nanosecond timestamps.
// Fails (never skips) when the node is not running. The node is the integ-test distribution: the exporter
// installs its templates with core-type fallbacks there (checked below).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchExporter, type ElasticsearchExporter } from '../../src/exporters/elasticsearch/index.ts';
import { loadEcsFlat } from '../../src/exporters/elasticsearch/ecs-flat.ts';
import { CORE_FALLBACK } from '../../src/exporters/elasticsearch/field-types.ts';
import type { ExportItem, ItemOutcome, SendOutcome } from '../../src/model/exporter.ts';
import type { EcsRecord } from '../../src/model/records.ts';
import { countDocs, esRequest, esUrl, getMapping, refresh, uniqueNamespace } from '../helpers/elasticsearch.ts';

const ecsFlat = loadEcsFlat();
const ns = uniqueNamespace('esexp');
const eventsStream = `logs-tracee.events-${ns}`;
const alertsStream = `logs-tracee.alerts-${ns}`;
const logs: string[] = [];
const logger = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };
let ex: ElasticsearchExporter;
let serverMajor: number;

const T0 = '2026-11-28T10:00:00.123456789Z';

function execEvent(i: number): EcsRecord {
  return {
    id: `exec-${ns}-${i}`,
    kind: 'event',
    doc: {
      '@timestamp': T0.replace('10:00:00', `10:00:0${i}`),
      message: 'sched_process_exec: /usr/bin/curl',
      tags: ['tracee'],
      labels: { policy: 'default' },
      ecs: { version: '9.4.0' },
      event: { kind: 'event', category: ['process'], type: ['start'], action: 'sched_process_exec', code: '715', id: `exec-${ns}-${i}`, module: 'tracee', provider: 'kernel', created: '2026-11-28T10:00:01.5Z', outcome: 'success', sequence: i, severity: 0 },
      observer: { type: 'sensor', vendor: 'Aqua Security', product: 'Tracee', version: '0.24.1', hostname: 'node-1' },
      host: { name: 'node-1', hostname: 'node-1', id: 'f00dfeed', architecture: 'x86_64', os: { type: 'linux', kernel: '6.8.0-45-generic' } },
      agent: { name: 'tracee-exporter', type: 'tracee-exporter', version: '0.1.0', id: 'agent-1' },
      process: {
        pid: 4242, vpid: 12, entity_id: 'f00dfeed:1:abc', name: 'curl', executable: '/usr/bin/curl', args: ['curl', '-s', 'http://example.com'], args_count: 3,
        command_line: 'curl -s http://example.com', working_directory: '/root', start: '2026-11-28T09:59:59.999Z', env_vars: ['PATH=/usr/bin'],
        thread: { id: 4242, name: 'curl', capabilities: { effective: ['CAP_NET_RAW'] } },
        user: { id: '0' }, real_user: { id: '0' }, group: { id: '0' },
        parent: { pid: 4000, vpid: 1, entity_id: 'f00dfeed:1:def', executable: '/bin/bash', name: 'bash', start: '2026-11-28T09:00:00Z' },
      },
      user: { id: '0' },
      container: { id: 'c0ffee', name: 'web', image: { name: 'docker.io/library/nginx', tag: ['1.27'], hash: { all: ['sha256:abc'] } }, runtime: 'containerd' },
      orchestrator: { type: 'kubernetes', cluster: { name: 'prod' }, namespace: 'shop', resource: { type: 'pod', name: 'web-7d9', id: 'uid-1', label: ['app:web'] } },
      file: { path: '/etc/passwd', name: 'passwd', directory: '/etc', inode: '1234', device: '259', mode: '0644', size: 1800, uid: '0', gid: '0', hash: { sha256: 'ab'.repeat(32) } },
      source: { ip: '10.0.0.5', port: 43210, address: '10.0.0.5' },
      destination: { ip: '93.184.216.34', port: 80, address: 'example.com' },
      network: { transport: 'tcp', type: 'ipv4', protocol: 'http', direction: 'egress', iana_number: '6' },
      dns: { question: { name: 'example.com', type: 'A', class: 'IN' }, id: '4321', op_code: 'QUERY', response_code: 'NOERROR', header_flags: ['RD', 'RA'], type: 'answer',
        answers: [{ name: 'example.com', type: 'A', class: 'IN', ttl: 300, data: '93.184.216.34' }], resolved_ip: ['93.184.216.34'] },
      http: { request: { method: 'GET', body: { bytes: 0 } }, response: { status_code: 200 } },
      url: { full: 'http://example.com/', original: 'http://example.com/', path: '/', domain: 'example.com' },
      user_agent: { original: 'curl/8.5.0' },
      related: { ip: ['10.0.0.5', '93.184.216.34'], hosts: ['example.com'] },
      tracee: { event_id: 715, syscall: 'execve', return_value: 0, data: { pathname: '/usr/bin/curl', argv: ['curl', '-s'], flags: 0 }, process: { entity_id: 3829158211 }, pid_namespace: '4026531836', policies: ['default'], not_in_template: { deep: 'x' } },
    },
  };
}

function alert(i: number): EcsRecord {
  return {
    id: `alert-${ns}-${i}`,
    kind: 'alert',
    doc: {
      '@timestamp': '2026-11-28T10:00:05.000000007Z',
      message: 'Anti-Debugging detected',
      event: { kind: 'alert', category: ['intrusion_detection', 'process'], type: ['info'], action: 'anti_debugging', severity: 47, risk_score: 47, risk_score_norm: 47 },
      rule: { id: 'TRC-102', name: 'Anti-Debugging detected', description: 'A process used anti-debugging techniques', category: 'defense-evasion', version: '1', ruleset: 'tracee', reference: 'https://aquasecurity.github.io/tracee/', author: ['Aqua Security'] },
      threat: { framework: 'MITRE ATT&CK', tactic: { id: ['TA0005'], name: ['Defense Evasion'], reference: ['https://attack.mitre.org/tactics/TA0005/'] },
        technique: { id: ['T1622'], name: ['Debugger Evasion'], reference: ['https://attack.mitre.org/techniques/T1622/'], subtechnique: { id: [], name: [], reference: [] } } },
      process: { pid: 99, name: 'strace' },
      tracee: { detected_from: { id: 1, name: 'ptrace', data: { request: 'PTRACE_TRACEME' } } },
    },
  };
}

const items = (recs: EcsRecord[]): ExportItem<EcsRecord>[] => recs.map((record, i) => ({ record, origin: { source: 'integration', line: i + 1 } }));

function itemStatuses(o: SendOutcome, n: number): ItemOutcome['status'][] {
  if (o.status === 'ok') return Array(n).fill('ok');
  if (o.status === 'partial') return o.items.map((x) => x.status);
  throw new Error(`unexpected outcome ${JSON.stringify(o)}`);
}

/** Flat leaf names of a document (arrays of objects descend; arrays of scalars are one leaf). */
function leafNames(doc: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(doc)) {
    const name = prefix ? `${prefix}.${k}` : k;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== null && typeof first === 'object') out.push(...leafNames(first as Record<string, unknown>, name));
    else if (first !== undefined) out.push(name);
  }
  return out;
}

function mappedType(mapping: any, name: string): string | undefined {
  const parts = name === '@timestamp' ? [name] : name.split('.');
  let node = mapping;
  for (const p of parts) node = node?.properties?.[p];
  return node?.type;
}

beforeAll(async () => {
  const { body } = await esRequest('GET', '/_nodes/_local/version');
  const node = Object.values(body.nodes as Record<string, { version: string }>)[0];
  serverMajor = Number(node.version.split('.')[0]);
  ex = createElasticsearchExporter({ endpoints: esUrl(), dataStream: { namespace: ns }, logger, requestTimeoutMs: 30_000 });
  await ex.start();
});
afterAll(async () => { await ex?.shutdown(); });

describe('Elasticsearch exporter → real Elasticsearch', () => {
  const events = [execEvent(1), execEvent(2), execEvent(3)];
  const alerts = [alert(1)];
  let first: SendOutcome;

  it('REST compatibility: falls back to compatible-with=8 only on an 8.x server', () => {
    const fellBack = logs.some((l) => l.includes('using compatible-with=8'));
    expect(fellBack).toBe(serverMajor === 8);
  });

  it('installs the templates (core-type fallbacks on the integ-test distribution, said once)', async () => {
    const { body } = await esRequest('GET', '/_index_template/logs-tracee');
    const t = body.index_templates[0].index_template;
    expect(t.index_patterns).toEqual(['logs-tracee.*-*']);
    expect(t.priority).toBeGreaterThan(200);
    expect(t.composed_of).toEqual(['tracee-ecs@mappings', 'tracee@mappings', 'tracee@settings', 'tracee@custom']);
    expect(logs.filter((l) => l.includes('core-type fallbacks')).length).toBeLessThanOrEqual(1);
    for (const d of ex.downgradedTypes) expect(CORE_FALLBACK[d]).toBeDefined();
  });

  let sentAt = 0;
  it('sends events and alerts: every item ok', async () => {
    sentAt = Date.now();
    first = await ex.send(items([...events, ...alerts]));
    expect(first).toEqual({ status: 'ok' });
  });

  it('creates both data streams', async () => {
    const { body } = await esRequest('GET', `/_resolve/index/logs-tracee.*-${ns}?expand_wildcards=all`);
    expect(body.data_streams.map((d: { name: string }) => d.name).sort()).toEqual([alertsStream, eventsStream]);
    for (const d of body.data_streams) expect(d.timestamp_field).toBe('@timestamp');
  });

  it('maps every field sent with its ECS type (or its core fallback), @timestamp as date_nanos', async () => {
    for (const [stream, recs] of [[eventsStream, events], [alertsStream, alerts]] as const) {
      const mapping = await getMapping(stream);
      const wrong: string[] = [];
      for (const name of leafNames(recs[0].doc)) {
        const got = mappedType(mapping, name);
        if (name === '@timestamp') { if (got !== 'date_nanos') wrong.push(`${name}: ${got}`); continue; }
        if (name.startsWith('tracee.') || name.startsWith('labels.')) continue;
        const want = ecsFlat[name]?.type;
        const ok = got === want || (want !== undefined && ex.downgradedTypes.includes(want) && got === CORE_FALLBACK[want]);
        if (!ok) wrong.push(`${name}: mapped ${got}, ECS ${want}`);
      }
      expect(wrong, stream).toEqual([]);
      expect(mappedType(mapping, 'data_stream.dataset')).toBeDefined();
    }
  });

  it('tracee.* is mapped deliberately: event data flattened, unknown sub-fields not mapped', async () => {
    const mapping = await getMapping(eventsStream);
    expect(mapping.properties.tracee.dynamic).toBe('false');
    expect(mappedType(mapping, 'tracee.data')).toBe('flattened');
    expect(mappedType(mapping, 'tracee.process.entity_id')).toBe('long');
    expect(mapping.properties.labels.properties.policy.type).toBe('keyword');
    expect(mapping.properties.tracee.properties.not_in_template).toBeUndefined();
    await refresh(eventsStream);
    const r = await esRequest('POST', `/${eventsStream}/_search`, { body: { query: { term: { 'tracee.data.pathname': '/usr/bin/curl' } } } });
    expect(r.body.hits.total.value).toBe(3);
  });

  it('alerts land in the alerts stream with event.kind alert and the alerts dataset', async () => {
    await refresh(alertsStream);
    const { body } = await esRequest('POST', `/${alertsStream}/_search`, { body: { query: { match_all: {} } } });
    expect(body.hits.hits).toHaveLength(1);
    const src = body.hits.hits[0]._source;
    expect(body.hits.hits[0]._id).toBe(alerts[0].id);
    expect(src.event.kind).toBe('alert');
    expect(src.event.dataset).toBe('tracee.alerts');
    expect(src.data_stream).toEqual({ type: 'logs', dataset: 'tracee.alerts', namespace: ns });
    // Kibana's External Alerts rule reads event.ingested (a 2-minute look-back): the time it was sent,
    // indexed as the ECS date it is
    const ingested = Date.parse(src.event.ingested);
    expect(ingested).toBeGreaterThanOrEqual(sentAt - 1000);
    expect(ingested).toBeLessThanOrEqual(Date.now());
    const r = await esRequest('POST', `/${alertsStream}/_search`, { body: { query: { range: { 'event.ingested': { gte: new Date(sentAt - 1000).toISOString() } } } } });
    expect(r.body.hits.total.value).toBe(1);
    expect(mappedType(await getMapping(alertsStream), 'event.ingested')).toBe('date');
  });

  it('keeps the nanoseconds of @timestamp', async () => {
    await refresh(eventsStream);
    const { body } = await esRequest('POST', `/${eventsStream}/_search`, {
      body: { query: { ids: { values: [events[0].id] } }, fields: [{ field: '@timestamp', format: 'strict_date_optional_time_nanos' }] },
    });
    const hit = body.hits.hits[0];
    expect(hit._source['@timestamp']).toBe('2026-11-28T10:00:01.123456789Z');
    expect(hit.fields['@timestamp']).toEqual(['2026-11-28T10:00:01.123456789Z']);
  });

  it('replaying the same records adds no documents: every item is a duplicate (409)', async () => {
    const again = await ex.send(items([...events, ...alerts]));
    expect(itemStatuses(again, 4)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect(await countDocs(eventsStream)).toBe(3);
    expect(await countDocs(alertsStream)).toBe(1);
  });

  it("a document ES refuses comes back rejected with ES's reason; counts add up", async () => {
    const bad: EcsRecord = { id: `bad-${ns}`, kind: 'event', doc: { '@timestamp': '2026-11-28T10:00:09Z', event: { kind: 'event' }, process: { pid: 'not-a-pid' } } };
    const good = execEvent(4);
    const out = await ex.send(items([good, bad, events[0]]));
    expect(out.status).toBe('partial');
    if (out.status !== 'partial') return;
    expect(out.items[0]).toEqual({ status: 'ok' });
    expect(out.items[1]).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^400 document_parsing_exception: .*failed to parse field \[process\.pid\] of type \[long\]/) });
    expect(out.items[2]).toEqual({ status: 'duplicate' });
    expect(JSON.stringify(out.items[1])).not.toContain('_source');
    const counts = { ok: 0, duplicate: 0, rejected: 0, retryable: 0 };
    for (const o of out.items) counts[o.status]++;
    expect(counts).toEqual({ ok: 1, duplicate: 1, rejected: 1, retryable: 0 });
    expect(await countDocs(eventsStream)).toBe(4);
  });

  it("templates: 'check' finds the installed templates in sync", async () => {
    const checker = createElasticsearchExporter({ endpoints: esUrl(), dataStream: { namespace: ns }, templates: 'check', logger });
    await checker.start();
    expect(checker.templateDiffs).toEqual([]);
    await checker.shutdown();
  });

  it('serverMajor 8 works against this server too (REST compatibility N-1)', async () => {
    const e8 = createElasticsearchExporter({ endpoints: esUrl(), dataStream: { namespace: ns }, templates: 'skip', serverMajor: 8, logger });
    expect(await e8.send(items([execEvent(5)]))).toEqual({ status: 'ok' });
    await e8.shutdown();
  });
});
