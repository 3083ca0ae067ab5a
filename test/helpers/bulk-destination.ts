// The scenarios the Elasticsearch and OpenSearch exporters share, against a REAL node, parameterized by
// target: records in → data streams with ECS types and nanosecond @timestamp, `_id` dedupe on replay, a
// refused document, templates: check in sync, an outage through a FAKE outage proxy during a pipeline run,
// and a PRIVATE node rebuilt empty mid-run (no data stream, no template). Each test file calls the
// describe… functions for its target and keeps only what differs (REST compatibility, core-type fallbacks,
// flattened / flat_object).
// Plain fetch with JSON bodies, on purpose: these check what the exporter wrote, so they share no code with it.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src/config/run-config.ts';
import type { BulkExporter } from '../../src/exporters/bulk-common/index.ts';
import { loadEcsFlat } from '../../src/exporters/elasticsearch/ecs-flat.ts';
import type { ExportItem, ItemOutcome, SendOutcome } from '../../src/model/exporter.ts';
import type { EcsRecord } from '../../src/model/records.ts';
import { preparePipeline, ledgerGap, type RunSummary } from '../../src/pipeline/pipeline.ts';
import { uniqueNamespace } from './elasticsearch.ts';
import { createFakeOutageProxy } from './fake-outage-proxy.ts';
import { ROOT } from './samples.ts';

export interface BulkTarget {
  /** As the exporter names the server in its reasons and log lines. */
  product: 'Elasticsearch' | 'OpenSearch';
  /** The exporter type in a run config. */
  type: 'elasticsearch' | 'opensearch';
  /** Base URL of the shared node. */
  url(): string;
  /** The exporter under test, on `url` (its templates installed by start()). */
  create(opts: {
    endpoints: string;
    namespace: string;
    templates?: 'install' | 'check' | 'skip';
    logger: { info(m: string): void; warn(m: string): void };
  }): BulkExporter;
  /** Whether `got` is the right mapped type for ECS type `want` on this target (core fallbacks…). */
  typeOk(want: string | undefined, got: string | undefined, ex: BulkExporter): boolean;
  /** The reason a document with a string process.pid gets. */
  badPidReason: RegExp;
  /** The data streams matching `pattern` on the node at `base`, with their timestamp field. */
  dataStreams(base: string, pattern: string): Promise<Array<{ name: string; timestampField: string }>>;
  /** Deletes this test's data streams (where the node has the API), after the tests. */
  cleanup?(names: string[]): Promise<void>;
  /** The service script and its env names, for a PRIVATE node (port, heap, start timeout). */
  service: { script: string; portVar: string; heapVar: string; timeoutVar: string };
}

export interface Http {
  status: number;
  body: any;
}

export async function httpJson(
  base: string,
  method: string,
  p: string,
  body?: unknown,
  okStatuses: number[] = [],
): Promise<Http> {
  const res = await fetch(base + p, {
    method,
    headers:
      body === undefined
        ? { accept: 'application/json' }
        : { accept: 'application/json', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (!res.ok && !okStatuses.includes(res.status))
    throw new Error(`${method} ${p} -> HTTP ${res.status}: ${text.slice(0, 1000)}`);
  return { status: res.status, body: parsed };
}

export async function count(base: string, index: string): Promise<number> {
  await httpJson(base, 'POST', `/${index}/_refresh`, undefined, [404]);
  const r = await httpJson(base, 'GET', `/${index}/_count`, undefined, [404]);
  return r.status === 404 ? 0 : r.body.count;
}

export async function ids(base: string, index: string): Promise<string[]> {
  await httpJson(base, 'POST', `/${index}/_refresh`, undefined, [404]);
  const r = await httpJson(
    base,
    'POST',
    `/${index}/_search`,
    { size: 10_000, _source: false, query: { match_all: {} } },
    [404],
  );
  return r.status === 404 ? [] : r.body.hits.hits.map((h: { _id: string }) => h._id);
}

/** The mapping of a data stream's newest backing index. */
export async function mapping(base: string, index: string): Promise<any> {
  const { body } = await httpJson(base, 'GET', `/${index}/_mapping`);
  const all = Object.values(body as Record<string, { mappings: any }>);
  return all[all.length - 1].mappings;
}

export function mappedType(m: any, name: string): string | undefined {
  let node = m;
  for (const p of name === '@timestamp' ? [name] : name.split('.')) node = node?.properties?.[p];
  return node?.type;
}

/** Flat leaf names of a document (arrays of objects descend; arrays of scalars are one leaf). */
export function leafNames(doc: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(doc)) {
    const name = prefix ? `${prefix}.${k}` : k;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== null && typeof first === 'object') out.push(...leafNames(first as Record<string, unknown>, name));
    else if (first !== undefined) out.push(name);
  }
  return out;
}

export async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (await cond().catch(() => false)) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A real net_packet_dns event (examples/events/tracee-samples.ndjson, line 1), in Tracee's classic JSON. */
export const DNS_EVENT = fs
  .readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8')
  .split('\n')[0];
const TS = /"timestamp":(\d+)/.exec(DNS_EVENT)![1];
/** `n` distinct events: the real one, its time moved by `from + i` ns. */
export const dnsEvents = (from: number, n: number): string[] =>
  Array.from({ length: n }, (_, i) =>
    DNS_EVENT.replace(`"timestamp":${TS}`, `"timestamp":${BigInt(TS) + BigInt(from + i)}`),
  );

export function execEvent(ns: string, i: number): EcsRecord {
  return {
    id: `exec-${ns}-${i}`,
    kind: 'event',
    doc: {
      '@timestamp': `2026-11-28T10:00:0${i}.123456789Z`,
      message: 'sched_process_exec: /usr/bin/curl',
      tags: ['tracee'],
      labels: { policy: 'default' },
      ecs: { version: '9.4.0' },
      event: {
        kind: 'event',
        category: ['process'],
        type: ['start'],
        action: 'sched_process_exec',
        code: '715',
        id: `exec-${ns}-${i}`,
        module: 'tracee',
        provider: 'kernel',
        created: '2026-11-28T10:00:01.5Z',
        outcome: 'success',
        sequence: i,
        severity: 0,
      },
      observer: { type: 'sensor', vendor: 'Aqua Security', product: 'Tracee', version: '0.24.1', hostname: 'node-1' },
      host: {
        name: 'node-1',
        hostname: 'node-1',
        id: 'f00dfeed',
        architecture: 'x86_64',
        os: { type: 'linux', kernel: '6.8.0-45-generic' },
      },
      agent: { name: 'tracee-exporter', type: 'tracee-exporter', version: '0.1.0', id: 'agent-1' },
      process: {
        pid: 4242,
        vpid: 12,
        entity_id: 'f00dfeed:1:abc',
        name: 'curl',
        executable: '/usr/bin/curl',
        args: ['curl', '-s', 'http://example.com'],
        args_count: 3,
        command_line: 'curl -s http://example.com',
        working_directory: '/root',
        start: '2026-11-28T09:59:59.999Z',
        env_vars: ['PATH=/usr/bin'],
        thread: { id: 4242, name: 'curl', capabilities: { effective: ['CAP_NET_RAW'] } },
        user: { id: '0' },
        real_user: { id: '0' },
        group: { id: '0' },
        parent: {
          pid: 4000,
          vpid: 1,
          entity_id: 'f00dfeed:1:def',
          executable: '/bin/bash',
          name: 'bash',
          start: '2026-11-28T09:00:00Z',
        },
      },
      user: { id: '0' },
      container: {
        id: 'c0ffee',
        name: 'web',
        image: { name: 'docker.io/library/nginx', tag: ['1.27'], hash: { all: ['sha256:abc'] } },
        runtime: 'containerd',
      },
      orchestrator: {
        type: 'kubernetes',
        cluster: { name: 'prod' },
        namespace: 'shop',
        resource: { type: 'pod', name: 'web-7d9', id: 'uid-1', label: ['app:web'] },
      },
      file: {
        path: '/etc/passwd',
        name: 'passwd',
        directory: '/etc',
        inode: '1234',
        device: '259',
        mode: '0644',
        size: 1800,
        uid: '0',
        gid: '0',
        hash: { sha256: 'ab'.repeat(32) },
      },
      source: { ip: '10.0.0.5', port: 43210, address: '10.0.0.5' },
      destination: { ip: '93.184.216.34', port: 80, address: 'example.com' },
      network: { transport: 'tcp', type: 'ipv4', protocol: 'http', direction: 'egress', iana_number: '6' },
      dns: {
        question: { name: 'example.com', type: 'A', class: 'IN' },
        id: '4321',
        op_code: 'QUERY',
        response_code: 'NOERROR',
        header_flags: ['RD', 'RA'],
        type: 'answer',
        answers: [{ name: 'example.com', type: 'A', class: 'IN', ttl: 300, data: '93.184.216.34' }],
        resolved_ip: ['93.184.216.34'],
      },
      http: { request: { method: 'GET', body: { bytes: 0 } }, response: { status_code: 200 } },
      url: { full: 'http://example.com/', original: 'http://example.com/', path: '/', domain: 'example.com' },
      user_agent: { original: 'curl/8.5.0' },
      related: { ip: ['10.0.0.5', '93.184.216.34'], hosts: ['example.com'] },
      tracee: {
        event_id: 715,
        syscall: 'execve',
        return_value: 0,
        data: { pathname: '/usr/bin/curl', argv: ['curl', '-s'], flags: 0 },
        process: { entity_id: 3829158211 },
        pid_namespace: '4026531836',
        policies: ['default'],
        not_in_template: { deep: 'x' },
      },
    },
  };
}

export function alertRecord(ns: string, i: number): EcsRecord {
  return {
    id: `alert-${ns}-${i}`,
    kind: 'alert',
    doc: {
      '@timestamp': '2026-11-28T10:00:05.000000007Z',
      message: 'Anti-Debugging detected',
      event: {
        kind: 'alert',
        category: ['intrusion_detection', 'process'],
        type: ['info'],
        action: 'anti_debugging',
        severity: 47,
        risk_score: 47,
        risk_score_norm: 47,
      },
      rule: {
        id: 'TRC-102',
        name: 'Anti-Debugging detected',
        description: 'A process used anti-debugging techniques',
        category: 'defense-evasion',
        version: '1',
        ruleset: 'tracee',
        reference: 'https://aquasecurity.github.io/tracee/',
        author: ['Aqua Security'],
      },
      threat: {
        framework: 'MITRE ATT&CK',
        tactic: { id: ['TA0005'], name: ['Defense Evasion'], reference: ['https://attack.mitre.org/tactics/TA0005/'] },
        technique: {
          id: ['T1622'],
          name: ['Debugger Evasion'],
          reference: ['https://attack.mitre.org/techniques/T1622/'],
          subtechnique: { id: [], name: [], reference: [] },
        },
      },
      process: { pid: 99, name: 'strace' },
      tracee: { detected_from: { id: 1, name: 'ptrace', data: { request: 'PTRACE_TRACEME' } } },
    },
  };
}

export const items = (recs: EcsRecord[]): ExportItem<EcsRecord>[] =>
  recs.map((record, i) => ({ record, origin: { source: 'integration', line: i + 1 } }));

export function statuses(o: SendOutcome, n: number): ItemOutcome['status'][] {
  if (o.status === 'ok') return Array(n).fill('ok');
  if (o.status === 'partial') return o.items.map((x) => x.status);
  throw new Error(`unexpected outcome ${JSON.stringify(o)}`);
}

export interface ExporterFixture {
  readonly ns: string;
  readonly eventsStream: string;
  readonly alertsStream: string;
  readonly logs: string[];
  readonly events: EcsRecord[];
  readonly alerts: EcsRecord[];
  /** The exporter of the file (created and started in beforeAll). */
  ex(): BulkExporter;
}

/**
 * The shared exporter scenarios against the target's shared node. Returns the fixture so the file can add
 * its own tests (they run after these, on the same streams).
 */
export function describeExporterScenarios(t: BulkTarget, prefix: string): ExporterFixture {
  const ecsFlat = loadEcsFlat();
  const ns = uniqueNamespace(prefix);
  const logs: string[] = [];
  const logger = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };
  let ex: BulkExporter;
  const f: ExporterFixture = {
    ns,
    logs,
    eventsStream: `logs-tracee.events-${ns}`,
    alertsStream: `logs-tracee.alerts-${ns}`,
    events: [execEvent(ns, 1), execEvent(ns, 2), execEvent(ns, 3)],
    alerts: [alertRecord(ns, 1)],
    ex: () => ex,
  };
  const base = () => t.url();
  beforeAll(async () => {
    ex = t.create({ endpoints: base(), namespace: ns, logger });
    await ex.start();
  });
  afterAll(async () => {
    await ex?.shutdown();
    await t.cleanup?.([f.eventsStream, f.alertsStream]);
  });

  describe(`${t.product} exporter → real ${t.product}: shared scenarios`, () => {
    let sentAt = 0;
    it('sends events and alerts into their data streams: every item ok', async () => {
      sentAt = Date.now();
      expect(await ex.send(items([...f.events, ...f.alerts]))).toEqual({ status: 'ok' });
      const streams = await t.dataStreams(base(), `logs-tracee.*-${ns}`);
      expect(streams.map((d) => d.name).sort()).toEqual([f.alertsStream, f.eventsStream]);
      for (const d of streams) expect(d.timestampField).toBe('@timestamp');
      expect(await count(base(), f.eventsStream)).toBe(3);
      expect(await count(base(), f.alertsStream)).toBe(1);
    });

    it('maps every field sent with its ECS type, @timestamp as date_nanos; unknown tracee.* sub-fields not mapped', async () => {
      for (const [stream, rec] of [
        [f.eventsStream, f.events[0]],
        [f.alertsStream, f.alerts[0]],
      ] as const) {
        const m = await mapping(base(), stream);
        const wrong: string[] = [];
        for (const name of leafNames(rec.doc)) {
          const got = mappedType(m, name);
          if (name === '@timestamp') {
            if (got !== 'date_nanos') wrong.push(`${name}: ${got}`);
            continue;
          }
          if (name.startsWith('tracee.') || name.startsWith('labels.')) continue;
          const want = ecsFlat[name]?.type;
          if (!t.typeOk(want, got, ex)) wrong.push(`${name}: mapped ${got}, ECS ${want}`);
        }
        expect(wrong, stream).toEqual([]);
        expect(mappedType(m, 'data_stream.dataset')).toBeDefined();
      }
      const m = await mapping(base(), f.eventsStream);
      expect(mappedType(m, 'tracee.event_id')).toBe('long');
      expect(mappedType(m, 'tracee.process.entity_id')).toBe('long');
      expect(m.properties.labels.properties.policy.type).toBe('keyword');
      expect(m.properties.tracee.properties.not_in_template).toBeUndefined();
    });

    it('keeps the nanoseconds of @timestamp and the deterministic _id; alerts carry their dataset and event.ingested', async () => {
      await httpJson(base(), 'POST', `/${f.eventsStream}/_refresh`);
      const { body } = await httpJson(base(), 'POST', `/${f.eventsStream}/_search`, {
        query: { ids: { values: [f.events[0].id] } },
      });
      expect(body.hits.hits[0]._id).toBe(f.events[0].id);
      expect(body.hits.hits[0]._source['@timestamp']).toBe('2026-11-28T10:00:01.123456789Z');
      await httpJson(base(), 'POST', `/${f.alertsStream}/_refresh`);
      const a = await httpJson(base(), 'POST', `/${f.alertsStream}/_search`, { query: { match_all: {} } });
      expect(a.body.hits.hits).toHaveLength(1);
      const src = a.body.hits.hits[0]._source;
      expect(a.body.hits.hits[0]._id).toBe(f.alerts[0].id);
      expect(src.event.kind).toBe('alert');
      expect(src.event.dataset).toBe('tracee.alerts');
      expect(src.data_stream).toEqual({ type: 'logs', dataset: 'tracee.alerts', namespace: ns });
      const ingested = Date.parse(src.event.ingested);
      expect(ingested).toBeGreaterThanOrEqual(sentAt - 1000);
      expect(ingested).toBeLessThanOrEqual(Date.now());
      expect(mappedType(await mapping(base(), f.alertsStream), 'event.ingested')).toBe('date');
    });

    it('replaying the same records adds no documents: every item is a duplicate (409)', async () => {
      const again = await ex.send(items([...f.events, ...f.alerts]));
      expect(statuses(again, 4)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate']);
      expect(await count(base(), f.eventsStream)).toBe(3);
      expect(await count(base(), f.alertsStream)).toBe(1);
    });

    it(`a document ${t.product} refuses comes back rejected (permanent) with its reason; the others are stored`, async () => {
      const bad: EcsRecord = {
        id: `bad-${ns}`,
        kind: 'event',
        doc: { '@timestamp': '2026-11-28T10:00:09Z', event: { kind: 'event' }, process: { pid: 'not-a-pid' } },
      };
      const out = await ex.send(items([execEvent(ns, 4), bad, f.events[0]]));
      expect(out.status).toBe('partial');
      if (out.status !== 'partial') return;
      expect(out.items[0]).toEqual({ status: 'ok' });
      expect(out.items[1]).toMatchObject({
        status: 'rejected',
        cause: 'permanent',
        reason: expect.stringMatching(t.badPidReason),
      });
      expect(JSON.stringify(out.items[1])).not.toContain('_source');
      expect(out.items[2]).toEqual({ status: 'duplicate' });
      expect(await count(base(), f.eventsStream)).toBe(4);
    });

    it("templates: 'check' finds the installed templates in sync", async () => {
      const checker = t.create({ endpoints: base(), namespace: ns, templates: 'check', logger });
      await checker.start();
      expect(checker.templateDiffs).toEqual([]);
      await checker.shutdown();
    });
  });
  return f;
}

/** A pipeline run with the node unreachable in the middle (FAKE outage proxy before the shared node). */
export function describeOutage(t: BulkTarget, prefix: string): void {
  describe(`${t.product} unreachable in the middle of a run (FAKE outage proxy before the real node)`, () => {
    const ns = uniqueNamespace(prefix);
    const ds = `logs-tracee.events-${ns}`;
    afterAll(async () => {
      await t.cleanup?.([ds]);
    });

    it('every event is delivered once after the outage, none dead-lettered or dropped; the ledger adds up', async () => {
      const target = new URL(t.url());
      const proxy = await createFakeOutageProxy({ host: target.hostname, port: Number(target.port) }, { up: true });
      try {
        const config = {
          version: 1,
          node: { name: 'n' },
          sources: [{ type: 'stdin' }],
          exporters: [
            {
              type: t.type,
              name: 'x',
              endpoints: proxy.url,
              data_stream: { namespace: ns },
              delivery: { max_batch_items: 50, flush_interval_ms: 50, initial_backoff_ms: 100, max_backoff_ms: 400 },
            },
          ],
        } as unknown as RunConfig;
        const stdin = new PassThrough();
        const p = await preparePipeline(config, { stdin, log: () => {} }, { shutdownTimeoutMs: 120_000 });
        const running = p.run();
        await p.ready();
        stdin.write(dnsEvents(0, 100).join('\n') + '\n');
        await until(async () => (await count(t.url(), ds)) === 100, 60_000, 'the first 100 events');
        proxy.down();
        stdin.write(dnsEvents(1000, 100).join('\n') + '\n');
        await until(async () => proxy.counts.reset >= 2, 60_000, 'the exporter retrying against the outage');
        expect(await count(t.url(), ds)).toBe(100);
        proxy.up();
        await until(async () => (await count(t.url(), ds)) === 200, 120_000, 'the second 100 events after the outage');
        stdin.end();
        const l = (await running).exporters[0].ledger;
        expect(l.entered).toBe(200);
        expect(l.delivered + l.duplicates).toBe(200);
        expect(l.deadLettered).toEqual({});
        expect(l.dropped).toBe(0);
        expect(ledgerGap(l)).toBe(0);
        const got = await ids(t.url(), ds);
        expect(got.length).toBe(200);
        expect(new Set(got).size).toBe(200);
      } finally {
        await proxy.close();
      }
    }, 240_000);
  });
}

/**
 * Issue 14's rebuilt cluster, for this target: a PRIVATE node (own port and run dir, via the target's service
 * script) is stopped mid-run and started again EMPTY (no data stream, no template). Every event is delivered
 * once, none dead-lettered; the templates are reinstalled once. Returns the logs for target-specific checks.
 */
export function describeRebuiltCluster(
  t: BulkTarget,
  port: number,
  check: (logs: string[], base: string, ds: string) => Promise<void>,
): void {
  const base = `http://127.0.0.1:${port}`;
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), `private-${t.type}-`));
  fs.chmodSync(runDir, 0o755); // the node runs as its own user when we are root: it must reach its dir
  const service = (cmd: 'start' | 'stop') =>
    execFileSync('bash', [path.join(ROOT, t.service.script), cmd], {
      env: {
        ...process.env,
        [t.service.portVar]: String(port),
        [t.service.heapVar]: '384m',
        [t.service.timeoutVar]: '240',
        TRACEE_EXPORTER_RUN: runDir,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });

  describe(`${t.product} comes back empty mid-run (rebuilt cluster, private node on :${port})`, () => {
    afterAll(() => {
      service('stop');
      fs.rmSync(runDir, { recursive: true, force: true });
    });

    it('every event is delivered once, none dead-lettered: the templates are reinstalled and the items retried', async () => {
      service('start');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rebuilt-'));
      const dl = path.join(dir, 'dl.ndjson');
      const ns = uniqueNamespace('rebuilt');
      const ds = `logs-tracee.events-${ns}`;
      const config: RunConfig = {
        version: 1,
        node: { name: 'n' },
        dead_letter: { path: dl },
        sources: [{ type: 'stdin' }],
        exporters: [
          {
            type: t.type,
            name: 'x',
            endpoints: base,
            data_stream: { namespace: ns },
            delivery: { max_batch_items: 50, flush_interval_ms: 50, initial_backoff_ms: 200, max_backoff_ms: 1000 },
          },
        ],
      } as unknown as RunConfig;
      const stdin = new PassThrough();
      const logs: string[] = [];
      const p = await preparePipeline(config, { stdin, log: (l) => logs.push(l) }, { shutdownTimeoutMs: 120_000 });
      const running = p.run();
      await p.ready();
      stdin.write(dnsEvents(0, 200).join('\n') + '\n');
      await until(async () => (await count(base, ds)) === 200, 60_000, 'the first 200 events in the first cluster');
      // the cluster is rebuilt: down (the events meanwhile are retried), then up with nothing in it
      service('stop');
      stdin.write(dnsEvents(1000, 200).join('\n') + '\n');
      await until(async () => logs.some((l) => /x: (retrying|circuit open)/.test(l)), 60_000, 'the exporter retrying');
      service('start');
      await until(async () => (await count(base, ds)) === 200, 120_000, 'the second 200 events in the rebuilt cluster');
      stdin.end();
      const summary: RunSummary = await running;
      const x = summary.exporters[0];
      expect(x.ledger).toEqual({
        entered: 400,
        delivered: 400,
        duplicates: 0,
        deadLettered: {},
        dropped: 0,
        buffered: 0,
        unsettled: 0,
        filtered: 0,
      });
      expect(ledgerGap(x.ledger)).toBe(0);
      expect(fs.existsSync(dl) ? fs.readFileSync(dl, 'utf8').trim() : '').toBe('');
      // the rebuilt cluster holds exactly the events sent after it was rebuilt, once each, in the data stream
      const got = await ids(base, ds);
      expect(got.length).toBe(200);
      expect(new Set(got).size).toBe(200);
      expect((await t.dataStreams(base, ds)).map((d) => d.name)).toEqual([ds]);
      // one episode: said once
      expect(
        logs.filter((l) => l.includes('reinstalling the templates and retrying them (not dead-lettered)')),
      ).toHaveLength(1);
      expect(logs.some((l) => l.endsWith('x: templates reinstalled'))).toBe(true);
      expect((await httpJson(base, 'GET', '/_index_template/logs-tracee')).status).toBe(200);
      await check(logs, base, ds);
      fs.rmSync(dir, { recursive: true, force: true });
    }, 600_000);
  });
}
