// The real Kafka broker of the integration tests (scripts/services/kafka.sh, 127.0.0.1:9092): run the
// script, count a topic's messages (sum of the partitions' high watermarks: no compaction, no transactions),
// and read them all back with a consumer.

import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import kafkajs from 'kafkajs';
import type { IHeaders } from 'kafkajs';
import { ROOT } from './samples.ts';

const { Kafka, logLevel } = kafkajs;

export const KAFKA_BROKER = process.env.KAFKA_BROKER ?? '127.0.0.1:9092';

/**
 * The script's environment for the broker of KAFKA_BROKER: a private broker on another port is the same script
 * with KAFKA_PORT, and KAFKA_RUN its run directory when it is not the other servers' (TRACEE_EXPORTER_RUN).
 */
function scriptEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_PORT: KAFKA_BROKER.slice(KAFKA_BROKER.lastIndexOf(':') + 1) };
  if (process.env.KAFKA_RUN) env.TRACEE_EXPORTER_RUN = process.env.KAFKA_RUN;
  return env;
}

export function kafkaScript(cmd: 'start' | 'stop' | 'restart' | 'status'): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [path.join(ROOT, 'scripts/services/kafka.sh'), cmd],
      { timeout: 180_000, env: scriptEnv() },
      (err, _out, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr });
      },
    );
  });
}

/** The TLS listeners of the test broker and their test-only users (`kafka.sh env`). */
export interface KafkaTlsEnv {
  KAFKA_SASL_SSL: string;
  KAFKA_SSL: string;
  KAFKA_CA_FILE: string;
  KAFKA_PLAIN_USER: string;
  KAFKA_PLAIN_PASSWORD: string;
  KAFKA_SCRAM_USER: string;
  KAFKA_SCRAM_PASSWORD: string;
}

export function kafkaTlsEnv(): KafkaTlsEnv {
  const out = execFileSync('bash', [path.join(ROOT, 'scripts/services/kafka.sh'), 'env'], {
    encoding: 'utf8',
    env: scriptEnv(),
  });
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  ) as unknown as KafkaTlsEnv;
}

export function uniqueTopicPrefix(label: string): string {
  return `it.${label}.${crypto.randomBytes(4).toString('hex')}`;
}

function client() {
  return new Kafka({
    clientId: 'tracee-exporter-tests',
    brokers: [KAFKA_BROKER],
    logLevel: logLevel.NOTHING,
    retry: { retries: 10 },
  });
}

export async function assertKafkaRunning(): Promise<void> {
  const admin = client().admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } catch (err) {
    throw new Error(
      `no Kafka broker at ${KAFKA_BROKER} (start it with: npm run services:start): ${(err as Error).message}`,
    );
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Messages in a topic (0 when the topic does not exist). */
export async function topicMessageCount(topic: string): Promise<number> {
  const admin = client().admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

function headerStrings(h: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) out[k] = Array.isArray(v) ? String(v[0]) : String(v);
  return out;
}

/** Every message of these topics, from the beginning (waits until `expected` total arrived, at most timeoutMs). */
export async function consumeAll(topics: string[], expected: number, timeoutMs = 60_000): Promise<ConsumedMessage[]> {
  const consumer = client().consumer({ groupId: `it-${crypto.randomBytes(6).toString('hex')}` });
  const got: ConsumedMessage[] = [];
  // a consumer may be handed a message again (a group rebalance before its offset was committed, e.g. while the
  // coordinator reloads after a broker restart): each stored message counts once, by topic, partition, offset
  const seen = new Set<string>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, timeoutMs);
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            const at = `${topic}/${partition}/${message.offset}`;
            if (seen.has(at)) return;
            seen.add(at);
            got.push({
              topic,
              partition,
              offset: message.offset,
              key: message.key ? message.key.toString() : null,
              value: message.value ?? Buffer.alloc(0),
              headers: headerStrings(message.headers),
            });
            if (got.length >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  return got;
}

/** Builds (or finds cached) test/collector-kafka (kafkareceiver + otlphttp exporter) and returns the binary. */
export function buildKafkaCollector(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [path.join(ROOT, 'scripts/services/collector.sh'), 'build', 'collector-kafka'],
      { timeout: 1_200_000, maxBuffer: 16 << 20 },
      (err, out, stderr) => {
        if (err) reject(new Error(`collector.sh build collector-kafka failed: ${stderr}`));
        else resolve(out.trim());
      },
    );
  });
}

/** Collector config: read these topics (otlp_proto) from the test broker, forward to an OTLP/HTTP endpoint. */
export function kafkaCollectorConfig(topics: string[], groupId: string, otlpHttpEndpoint: string): string {
  return [
    'receivers:',
    '  kafka:',
    `    brokers: ["${KAFKA_BROKER}"]`,
    `    group_id: ${groupId}`,
    '    initial_offset: earliest',
    '    logs:',
    `      topics: [${topics.map((t) => JSON.stringify(t)).join(', ')}]`,
    '      encoding: otlp_proto',
    'exporters:',
    '  otlphttp:',
    `    endpoint: ${otlpHttpEndpoint}`,
    'service:',
    '  telemetry:',
    '    metrics:',
    '      level: none',
    '  pipelines:',
    '    logs:',
    '      receivers: [kafka]',
    '      exporters: [otlphttp]',
    '',
  ].join('\n');
}
