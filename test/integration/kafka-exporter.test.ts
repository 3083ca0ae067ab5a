// The kafka exporter through the whole pipeline (sources → mapping → src/delivery → kafkajs) against the
// REAL Kafka 4.1.1 broker of scripts/services/kafka.sh (127.0.0.1:9092). Each test writes to its own topics
// (random prefix). The last test also runs a real Collector built with the contrib kafkareceiver
// (test/collector-kafka) that forwards to the shared test collector. The restart test stops and starts the shared broker (keeping its data): run integration
// files one at a time (flock /tmp/tracee-integ.lock).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src/config/run-config.ts';
import { decodeText } from '../../src/normalize/decode.ts';
import { preparePipeline } from '../../src/pipeline/pipeline.ts';
import {
  anyValueToJs,
  assertCollectorRunning,
  attributeMap,
  COLLECTOR_OTLP_HTTP_URL,
  recordsWithResourceAttribute,
  uniqueTestId,
  waitForCollectorOutput,
} from '../helpers/collector.ts';
import {
  assertKafkaRunning,
  buildKafkaCollector,
  consumeAll,
  KAFKA_BROKER,
  kafkaCollectorConfig,
  kafkaScript,
  topicMessageCount,
  uniqueTopicPrefix,
} from '../helpers/kafka.ts';
import { attrMap, decodeLogsRequest } from '../helpers/otlp-proto-decode.ts';
import { ROOT, sharedSamples, testMapper } from '../helpers/samples.ts';

const NODE = { name: 'it-node', cluster_name: 'it-cluster' };
const lines = sharedSamples(Infinity)
  .flatMap((s) => s.records.map((r) => r.trim()))
  .filter((r) => !r.includes('\n'));
const mapper = testMapper();
const expected = lines.map((l) => {
  const r = decodeText(l);
  if (!r.ok) throw new Error(r.reason);
  const ecs = mapper.toEcsJson(r.event);
  const doc = ecs.doc as { container?: { id?: string }; event: { id: string; action: string } };
  return { id: doc.event.id, kind: ecs.kind, key: doc.container?.id || NODE.name, action: doc.event.action };
});
const alerts = expected.filter((e) => e.kind === 'alert').length;
/** The samples hold a few events twice (the same event in two fixture files): how often each id is expected. */
const timesExpected = new Map<string, number>();
for (const e of expected) timesExpected.set(e.id, (timesExpected.get(e.id) ?? 0) + 1);

async function runPipeline(config: RunConfig, stdin: Readable) {
  const log: string[] = [];
  const p = await preparePipeline(config, { stdin, log: (l) => log.push(l) }, { shutdownTimeoutMs: 120_000 });
  const summary = await p.run();
  return { summary, log };
}

function kafkaExporter(
  prefix: string,
  encoding: 'otlp_proto' | 'ecs_json' | 'tracee_json',
  delivery: Record<string, unknown> = {},
) {
  return {
    type: 'kafka' as const,
    name: `kafka_${encoding}`,
    brokers: [KAFKA_BROKER],
    encoding,
    topics: { events: `${prefix}.events`, alerts: `${prefix}.alerts` },
    delivery: { max_batch_items: 50, flush_interval_ms: 50, ...delivery },
  };
}

/**
 * The producer is at-least-once (acks=all, not idempotent: docs/exporters/kafka.md): a batch whose acknowledgement
 * was lost (a request timed out on a loaded machine) is sent again and stored twice. So every event must be in its
 * topic, and the topics may hold whole extra copies; how many is printed. Returns the messages stored.
 */
async function storedAtLeastOnce(prefix: string): Promise<number> {
  const events = await topicMessageCount(`${prefix}.events`);
  const alertsStored = await topicMessageCount(`${prefix}.alerts`);
  expect(events).toBeGreaterThanOrEqual(lines.length - alerts);
  expect(alertsStored).toBeGreaterThanOrEqual(alerts);
  const extra = events + alertsStored - lines.length;
  if (extra > 0) console.warn(`kafka ${prefix}: ${extra} message(s) stored twice (a batch sent again: at-least-once)`);
  return events + alertsStored;
}

/** An event sent `times` times is stored at least that often, each copy on the same topic with the same key. */
function expectCopies(id: string, ms: Array<{ topic: string; key: string | null }>, times: number): void {
  expect(ms.length, id).toBeGreaterThanOrEqual(times);
  for (const m of ms) expect([m.topic, m.key], id).toEqual([ms[0].topic, ms[0].key]);
}

beforeAll(async () => {
  await assertKafkaRunning();
  expect(alerts).toBeGreaterThan(0);
  expect(alerts).toBeLessThan(lines.length);
});

describe('kafka exporter → real Kafka broker', () => {
  it('otlp_proto: one decodable ExportLogsServiceRequest per event, on the topic of its kind, keyed by container else host, with headers', async () => {
    const prefix = uniqueTopicPrefix('otlp');
    const { summary } = await runPipeline(
      { version: 1, node: NODE, exporters: [kafkaExporter(prefix, 'otlp_proto')] } as RunConfig,
      Readable.from([lines.join('\n') + '\n']),
    );
    expect(summary).toMatchObject({ received: lines.length, mapped: lines.length, rejected: 0 });
    expect(summary.exporters[0].stats).toMatchObject({ delivered: lines.length, deadLettered: 0, droppedTotal: 0 });
    const stored = await storedAtLeastOnce(prefix);
    const got = await consumeAll([`${prefix}.events`, `${prefix}.alerts`], stored);
    expect(got.length).toBe(stored);
    const byUid = new Map<string, Array<(typeof got)[number]>>();
    for (const m of got) {
      const req = decodeLogsRequest(m.value);
      expect(req.resourceLogs.length).toBe(1);
      const recs = req.resourceLogs[0].scopeLogs.flatMap((sl: { logRecords: unknown[] }) => sl.logRecords);
      expect(recs.length).toBe(1);
      const uid = attrMap(recs[0].attributes)['log.record.uid'].stringValue as string;
      byUid.set(uid, [...(byUid.get(uid) ?? []), m]);
      expect(m.headers['tracee.encoding']).toBe('otlp_proto');
      expect(m.headers['schema.version']).toBe('v1');
      expect(m.headers['tracee.event.name']).toBe(recs[0].eventName);
    }
    expect(byUid.size).toBe(timesExpected.size);
    for (const e of expected) {
      const ms = byUid.get(e.id) ?? [];
      expectCopies(e.id, ms, timesExpected.get(e.id) ?? 0);
      const m = ms[0];
      expect(m!.topic).toBe(e.kind === 'alert' ? `${prefix}.alerts` : `${prefix}.events`);
      expect(m!.key).toBe(e.key);
    }
  });

  it('ecs_json: one ECS document per event, event.id intact, ECS version header', async () => {
    const prefix = uniqueTopicPrefix('ecs');
    const { summary } = await runPipeline(
      { version: 1, node: NODE, exporters: [kafkaExporter(prefix, 'ecs_json')] } as RunConfig,
      Readable.from([lines.join('\n') + '\n']),
    );
    expect(summary.exporters[0].stats).toMatchObject({ delivered: lines.length, deadLettered: 0, droppedTotal: 0 });
    const stored = await storedAtLeastOnce(prefix);
    const got = await consumeAll([`${prefix}.events`, `${prefix}.alerts`], stored);
    expect(got.length).toBe(stored);
    const byId = new Map<string, Array<(typeof got)[number]>>();
    for (const m of got) {
      const id = (JSON.parse(m.value.toString()) as { event: { id: string } }).event.id;
      byId.set(id, [...(byId.get(id) ?? []), m]);
    }
    expect(byId.size).toBe(timesExpected.size);
    for (const e of expected) {
      const ms = byId.get(e.id) ?? [];
      expectCopies(e.id, ms, timesExpected.get(e.id) ?? 0);
      const m = ms[0];
      const doc = JSON.parse(m.value.toString());
      expect(doc.event.kind).toBe(e.kind);
      expect(m.topic).toBe(e.kind === 'alert' ? `${prefix}.alerts` : `${prefix}.events`);
      expect(m.key).toBe(e.key);
      expect(m.headers).toMatchObject({
        'tracee.encoding': 'ecs_json',
        'schema.version': doc.ecs.version,
        'tracee.event.name': e.action,
      });
    }
  });

  it('tracee_json: the Tracee event per message (structured JSON), redacted by default, unchanged with redact: none', async () => {
    const FIX = path.join(ROOT, 'test/fixtures/security');
    const http = ['net_packet_http-request-credentials.json', 'net_packet_http_request-credentials.json'].map((f) =>
      fs.readFileSync(path.join(FIX, f), 'utf8').trim(),
    );
    const secrets = [
      ...new Set(
        http
          .join('\n')
          .match(/[\w.=-]*-REQ-[\w.-]*/g)!
          .filter((x) => !x.startsWith('apikey-REQ')),
      ),
    ];
    expect(secrets.length).toBeGreaterThan(4);
    const input = [...lines, ...http];
    const [red, raw] = [uniqueTopicPrefix('tj'), uniqueTopicPrefix('tjraw')];
    const { summary } = await runPipeline(
      {
        version: 1,
        node: NODE,
        exporters: [
          { ...kafkaExporter(red, 'tracee_json'), name: 'tj' },
          { ...kafkaExporter(raw, 'tracee_json'), name: 'tjraw', redact: 'none' },
        ],
      } as RunConfig,
      Readable.from([input.join('\n') + '\n']),
    );
    for (const x of summary.exporters)
      expect(x.stats, x.name).toMatchObject({ delivered: input.length, deadLettered: 0, droppedTotal: 0 });
    const ids = new Map<string, (typeof expected)[number]>(expected.map((e) => [e.id, e]));
    for (const [prefix, redacted] of [
      [red, true],
      [raw, false],
    ] as const) {
      const got = await consumeAll([`${prefix}.events`, `${prefix}.alerts`], input.length);
      expect(got.length).toBe(input.length);
      const text = got.map((m) => m.value.toString()).join('\n');
      expect(
        secrets.filter((x) => text.includes(x)),
        prefix,
      ).toEqual(redacted ? [] : secrets);
      let matched = 0;
      for (const m of got) {
        const d = decodeText(m.value.toString());
        expect(d.ok, m.value.toString().slice(0, 200)).toBe(true);
        if (!d.ok) continue;
        expect(m.headers).toMatchObject({
          'tracee.encoding': 'tracee_json',
          'schema.version': '1.0.0',
          'tracee.event.name': d.event.name,
          'host.name': NODE.name,
        });
        // the sample events (no HTTP secrets) read back as the very same events: same id, topic and key as ECS
        const e = ids.get(mapper.toEcsJson(d.event).id);
        if (e === undefined) {
          // the two HTTP requests (not in `expected`), and, redacted, every event whose data lost a value (the id hashes the data)
          if (redacted)
            expect(m.value.toString(), 'an event that does not read back as itself').toContain('[REDACTED]');
          continue;
        }
        matched++;
        expect(m.topic).toBe(e.kind === 'alert' ? `${prefix}.alerts` : `${prefix}.events`);
        expect(m.key).toBe(e.key);
      }
      // unredacted, every sample reads back as the very same event
      if (!redacted) expect(matched).toBe(lines.length);
      else expect(matched).toBeGreaterThan(lines.length - 10);
    }
  });

  it('a broker restart in the middle of the stream loses nothing; a real Collector (kafkareceiver, otlp_proto) reads every record back', async () => {
    const prefix = uniqueTopicPrefix('restart');
    const runId = uniqueTestId('kafka');
    // the same samples three times over
    const rounds = 3;
    const chunks: string[] = [];
    for (let r = 0; r < rounds; r++)
      for (let i = 0; i < lines.length; i += 20) chunks.push(lines.slice(i, i + 20).join('\n') + '\n');
    let sent = 0;
    let restarted: Promise<{ code: number; stderr: string }> | undefined;
    const stdin = Readable.from(
      (async function* () {
        for (const c of chunks) {
          yield c;
          sent++;
          if (sent === Math.floor(chunks.length / 3)) restarted = kafkaScript('restart');
          await sleep(20);
        }
        // the end of input waits for the broker to be back, so the pipeline's drain has a broker to drain to
        if (restarted) expect((await restarted).code).toBe(0);
      })(),
    );
    const { summary } = await runPipeline(
      {
        version: 1,
        node: NODE,
        exporters: [
          {
            ...kafkaExporter(prefix, 'otlp_proto', { initial_backoff_ms: 200, max_backoff_ms: 2000 }),
            resource_attributes: { 'test.run.id': runId },
          },
        ],
      } as RunConfig,
      stdin,
    );
    expect(restarted).toBeDefined();
    const total = lines.length * rounds;
    expect(summary).toMatchObject({ received: total, mapped: total, rejected: 0 });
    expect(summary.exporters[0].stats).toMatchObject({ delivered: total, deadLettered: 0, droppedTotal: 0 });
    // the restart did interrupt the stream: some batch failed and was sent again
    expect(summary.exporters[0].stats.retries).toBeGreaterThan(0);

    const topics = [`${prefix}.events`, `${prefix}.alerts`];
    const inTopics = (await topicMessageCount(topics[0])) + (await topicMessageCount(topics[1]));
    expect(inTopics).toBeGreaterThanOrEqual(total);
    const got = await consumeAll(topics, inTopics);
    expect(got.length).toBe(inTopics);
    const uidOf = (m: { value: Buffer }) =>
      attrMap(decodeLogsRequest(m.value).resourceLogs[0].scopeLogs[0].logRecords[0].attributes)['log.record.uid']
        .stringValue as string;
    const perId = new Map<string, number>();
    for (const m of got) perId.set(uidOf(m), (perId.get(uidOf(m)) ?? 0) + 1);
    // every distinct event, each at least as often as it was sent (at-least-once); a failure lists what differs
    const differs = [...new Set([...timesExpected.keys(), ...perId.keys()])]
      .map((id) => ({ id, want: (timesExpected.get(id) ?? 0) * rounds, got: perId.get(id) ?? 0 }))
      .filter((d) => d.got < d.want || d.want === 0);
    expect(differs, `messages ${inTopics}, read ${got.length}, retries ${summary.exporters[0].stats.retries}`).toEqual(
      [],
    );
    console.log(
      `kafka restart: ${total} events, ${inTopics} messages, ${inTopics - total} duplicate(s) from retries across the restart`,
    );

    // a real Collector with the contrib kafkareceiver reads the topics (encoding otlp_proto) and forwards
    // every record to the shared test collector, whose file output we read
    await assertCollectorRunning();
    const bin = await buildKafkaCollector();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-collector-'));
    const cfg = path.join(dir, 'config.yaml');
    fs.writeFileSync(cfg, kafkaCollectorConfig(topics, `it-${runId}`, COLLECTOR_OTLP_HTTP_URL));
    const logFile = path.join(dir, 'collector.log');
    const out = fs.openSync(logFile, 'w');
    const child = spawn(bin, ['--config', cfg], { stdio: ['ignore', out, out] });
    try {
      const recs = await waitForCollectorOutput((ls) => recordsWithResourceAttribute('test.run.id', runId, ls), {
        count: inTopics,
        timeoutMs: 120_000,
      });
      expect(recs.length, fs.readFileSync(logFile, 'utf8').slice(-3000)).toBe(inTopics);
      const fromCollector = new Map<string, number>();
      for (const r of recs) {
        const uid = anyValueToJs(attributeMap(r.record.attributes)['log.record.uid']) as string;
        fromCollector.set(uid, (fromCollector.get(uid) ?? 0) + 1);
      }
      expect(fromCollector).toEqual(perId);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      fs.closeSync(out);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
