// The ES|QL queries of docs/kibana-security.md against the REAL Elasticsearch node, on Tracee
// detections mapped by this project and delivered by the Elasticsearch exporter into data streams
// of a namespace unique to this run. The node (the integ-test distribution) has no ES|QL module
// (POST /_query answers 405), so each query is run as its search equivalent: its WHERE (rule.id ==
// / IN, process.entity_id ==) as term filters and its STATS … BY fields as a composite aggregation.
// That checks the fields exist, are aggregatable and hold what the detections carry; the ES|QL
// syntax itself is not run here. Detections: the
// real anti_debugging line and v0.10 fileless_execution line, and the real anti_debugging line as
// other signatures with the finding data and triggering events Tracee's signatures produce (as in
// test/unit/mapping/signature-targets.test.ts).

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchExporter, type ElasticsearchExporter } from '../../src/exporters/elasticsearch/index.ts';
import { decodeText } from '../../src/normalize/decode.ts';
import type { TraceeEvent } from '../../src/model/event.ts';
import { esRequest, esUrl, refresh, uniqueNamespace } from '../helpers/elasticsearch.ts';
import { ROOT, SHARED_FIXTURES, testMapper } from '../helpers/samples.ts';

const ns = uniqueNamespace('cheatsheet');
const alertsStream = `logs-tracee.alerts-${ns}`;
const eventsStream = `logs-tracee.events-${ns}`;
const mapper = testMapper();
const ANTI = fs.readFileSync(path.join(ROOT, 'test/fixtures/classic/anti_debugging-triggeredBy.v0.2x.json'), 'utf8');
const doc = fs.readFileSync(path.join(ROOT, 'docs/kibana-security.md'), 'utf8');
const queries = [...doc.matchAll(/```esql\n([\s\S]*?)```/g)].map((m) => m[1]);
let ex: ElasticsearchExporter;

function decode(text: string): TraceeEvent {
  const r = decodeText(text);
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

type Arg = { name: string; type: string; value: unknown };
function finding(
  eventName: string,
  data: Arg[],
  trigger: { id: number; name: string; args: Arg[] },
  tsOffset: number,
): TraceeEvent {
  const base = JSON.parse(ANTI.replace(/("timestamp"|"threadStartTime"):(\d+)/g, '$1:"$2"')) as Record<string, unknown>;
  const args = [...data, { name: 'triggeredBy', type: 'unknown', value: { ...trigger, returnValue: 0 } }];
  const ts = (BigInt(base.timestamp as string) + BigInt(tsOffset)).toString();
  return decode(
    JSON.stringify({ ...base, timestamp: ts, eventName, args, argsNum: args.length, metadata: null }).replace(
      /("timestamp"|"threadStartTime"):"(\d+)"/g,
      '$1:$2',
    ),
  );
}

const sockaddr = (ip: string, port: string) => ({ sa_family: 'AF_INET', sin_addr: ip, sin_port: port });
const detections: TraceeEvent[] = [
  decode(ANTI),
  decode(
    fs.readFileSync(path.join(SHARED_FIXTURES, 'legacy/v0.8-v0.12/signature-fileless_execution-k8s.json'), 'utf8'),
  ),
  finding(
    'dropped_executable',
    [{ name: 'path', type: 'const char *', value: '/tmp/.x/payload' }],
    { id: 758, name: 'magic_write', args: [{ name: 'pathname', type: 'const char*', value: '/tmp/.x/payload' }] },
    1,
  ),
  finding(
    'k8s_api_connection',
    [{ name: 'ip', type: 'const char *', value: '10.96.0.1' }],
    {
      id: 1036,
      name: 'security_socket_connect',
      args: [{ name: 'remote_addr', type: 'struct sockaddr*', value: sockaddr('10.96.0.1', '443') }],
    },
    2,
  ),
  finding(
    'stdio_over_socket',
    [
      { name: 'IP address', type: 'const char *', value: '203.0.113.7' },
      { name: 'Port', type: 'const char *', value: '4444' },
    ],
    { id: 1040, name: 'socket_dup', args: [{ name: 'newfd', type: 'int', value: 0 }] },
    3,
  ),
  finding(
    'k8s_cert_theft',
    [],
    {
      id: 1020,
      name: 'security_inode_rename',
      args: [{ name: 'old_path', type: 'const char*', value: '/etc/kubernetes/pki/apiserver.key' }],
    },
    4,
  ),
];

beforeAll(async () => {
  ex = createElasticsearchExporter({
    endpoints: esUrl(),
    dataStream: { namespace: ns },
    logger: { info: () => {}, warn: () => {} },
    requestTimeoutMs: 30_000,
  });
  await ex.start();
  const records = detections.map((d) => mapper.toEcs(d));
  // the events the alert→events pivot reads: the anti_debugging process's own events
  const events = fs
    .readFileSync(path.join(ROOT, 'test/fixtures/classic/read-fd-path.v0.9.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => mapper.toEcs(decode(l)));
  for (const r of events) (r.doc.process as Record<string, unknown>).entity_id = 'node-1:1747443885';
  const outcome = await ex.send(
    [...records, ...events].map((record, k) => ({ record, origin: { source: 'cheatsheet', line: k + 1 } })),
  );
  expect(outcome).toEqual({ status: 'ok' });
  await refresh(alertsStream);
  await refresh(eventsStream);
});
afterAll(async () => {
  await ex?.shutdown();
  for (const ds of [alertsStream, eventsStream]) await esRequest('DELETE', `/_data_stream/${ds}`).catch(() => {});
});

/** An ES|QL query of the cheat sheet as a search: WHERE as term filters, STATS … BY as a composite aggregation. */
async function esql(q: string): Promise<{ columns: Array<{ name: string }>; values: unknown[][] }> {
  const index = q.includes('FROM logs-tracee.events-*') ? eventsStream : alertsStream;
  const filter: object[] = [];
  for (const m of q.matchAll(/WHERE ([\w.]+) == "([^"]+)"/g)) filter.push({ term: { [m[1]]: m[2] } });
  for (const m of q.matchAll(/WHERE ([\w.]+) IN \(([^)]*)\)/g))
    filter.push({ terms: { [m[1]]: [...m[2].matchAll(/"([^"]+)"/g)].map((x) => x[1]) } });
  const by = /\bBY ([\w., ]+)\n/
    .exec(q)![1]
    .split(',')
    .map((f) => f.trim());
  expect(/\| WHERE /.test(q) ? filter.length : 0, `every WHERE of the query understood: ${q}`).toBe(
    (q.match(/\| WHERE /g) ?? []).length,
  );
  // an unmapped field would just give null buckets: the data stream's mapping must have each one
  const mapped = (
    await esRequest(
      'GET',
      `/${index}/_mapping/field/${[...by, ...filter.map((f) => Object.keys(Object.values(f)[0])[0])].join(',')}`,
    )
  ).body as Record<string, { mappings: Record<string, unknown> }>;
  const names = new Set(Object.values(mapped).flatMap((m) => Object.keys(m.mappings)));
  for (const f of by) expect(names.has(f), `${f} mapped in ${index}`).toBe(true);
  const sources = by.map((f) => ({ [f]: { terms: { field: f, missing_bucket: true } } }));
  const { body } = await esRequest('POST', `/${index}/_search`, {
    body: { size: 0, query: { bool: { filter } }, aggs: { by: { composite: { size: 100, sources } } } },
  });
  const buckets = body.aggregations.by.buckets as Array<{ key: Record<string, unknown>; doc_count: number }>;
  return {
    columns: [{ name: 'count' }, ...by.map((name) => ({ name }))],
    values: buckets.map((b) => [b.doc_count, ...by.map((f) => b.key[f])]),
  };
}

describe('docs/kibana-security.md ES|QL queries on a real Elasticsearch', () => {
  it("every query's filter and group-by fields exist and aggregate", async () => {
    expect(queries.length).toBeGreaterThanOrEqual(12);
    for (const q of queries) {
      const r = await esql(q);
      expect(r.columns.length, q).toBeGreaterThan(0);
    }
  });

  it('they find the detections sent, with the fields the detections now carry', async () => {
    const byQuery = async (id: string) => (await esql(queries.find((q) => q.includes(`rule.id == "${id}"`))!)).values;
    expect(await byQuery('TRC-1022')).toEqual([[1, '/tmp/.x/payload', 'docker.io/library/debian', 'team-green']]);
    expect((await byQuery('TRC-105'))[0][1]).toBe('memfd:');
    expect(await byQuery('TRC-1013')).toEqual([[1, 'team-green', 'app-c-8b9cd456c-5h54z', '10.96.0.1']]);
    expect((await byQuery('TRC-101'))[0].slice(0, 3)).toEqual([1, '203.0.113.7', 4444]);
    expect((await byQuery('TRC-1018'))[0][1]).toBe('/etc/kubernetes/pki/apiserver.key');
    const tactics = await esql(queries.find((q) => q.includes('threat.tactic.name'))!);
    expect(tactics.values.length).toBe(detections.length);
    const pivot = await esql(queries.find((q) => q.includes('FROM logs-tracee.events-*'))!);
    expect(pivot.values.map((v) => v[2]).sort()).toEqual(['/etc/locale.alias', '/etc/passwd']);
  });
});
