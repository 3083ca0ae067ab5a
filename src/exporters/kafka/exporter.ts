// The Kafka exporter (target 'otel' for otlp_proto, 'ecs' for ecs_json, 'tracee' for tracee_json): one message per event, sent as one
// acks=all produce per batch (at-least-once). It classifies and never loops: kafkajs retries a transient error a
// few times within one send; src/delivery owns backoff, retry
// over outages and the dead letter.

import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import type { Kafka as KafkaType, Producer, SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import type { Exporter, ExportItem, ItemOutcome, SendOutcome } from '../../model/exporter.ts';
import type { EcsRecord, OtelRecord, TraceeRecord } from '../../model/records.ts';
import { createSdkResourceCache } from '../otlp-http/sdk-resource-cache.ts';
import { classifyKafkaError, isPerMessageError } from './classify.ts';
import { ecsMessage, otelMessage, traceeMessage } from './messages.ts';
import type { KafkaMessage } from './messages.ts';
import { KafkaOptionsError, resolveKafkaOptions } from './options.ts';
import type { KafkaExporterOptions, ResolvedKafkaOptions } from './options.ts';

const { Kafka, CompressionTypes, logLevel } = kafkajs;

type Rec = EcsRecord | OtelRecord | TraceeRecord;

export interface KafkaExporter extends Exporter<Rec> {
  /** Settings safe to log (no SASL password). */
  readonly settings: Omit<ResolvedKafkaOptions, 'sasl'> & { sasl?: { mechanism: string; username: string } };
}

export interface KafkaExporterDeps {
  log?: (message: string) => void;
}

function tlsOptions(o: ResolvedKafkaOptions): ConnectionOptions | boolean {
  if (o.tls === false) return false;
  const read = (p: string | undefined, key: string): Buffer | undefined => {
    if (p === undefined) return undefined;
    try {
      return readFileSync(p);
    } catch (err) {
      throw new KafkaOptionsError(
        `tls.${key}`,
        `cannot read ${JSON.stringify(p)}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      );
    }
  };
  return {
    ca: read(o.tls.caFile, 'caFile'),
    cert: read(o.tls.certFile, 'certFile'),
    key: read(o.tls.keyFile, 'keyFile'),
    rejectUnauthorized: !o.tls.insecureSkipVerify,
  };
}

export function createKafkaExporter(
  options: KafkaExporterOptions & { name?: string },
  deps: KafkaExporterDeps = {},
): KafkaExporter {
  const log = deps.log ?? (() => {});
  const o = resolveKafkaOptions(options);
  const cache = createSdkResourceCache({
    defaults: { 'service.name': o.serviceName },
    overrides: o.resourceAttributes,
  });
  const toMessage =
    o.encoding === 'otlp_proto'
      ? (r: Rec) => otelMessage(r as OtelRecord, o.topics, cache)
      : o.encoding === 'ecs_json'
        ? (r: Rec) => ecsMessage(r as EcsRecord, o.topics)
        : (r: Rec) => traceeMessage(r as TraceeRecord, o.topics);
  const compression = o.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;

  let kafka: KafkaType | undefined;
  let producer: Producer | undefined;
  let connected = false;

  function client(): KafkaType {
    // kafkajs logs through its own logger; we keep only errors, as one line each, without message contents
    return (kafka ??= new Kafka({
      clientId: o.clientId,
      brokers: o.brokers,
      ssl: tlsOptions(o),
      sasl: o.sasl as SASLOptions | undefined,
      connectionTimeout: o.connectionTimeoutMs,
      requestTimeout: o.requestTimeoutMs,
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
      logLevel: logLevel.ERROR,
      logCreator:
        () =>
        ({ namespace, log: entry }) =>
          log(
            `kafka client (${namespace}): ${entry.message}${typeof entry.error === 'string' ? `: ${entry.error}` : ''}`,
          ),
    }));
  }

  async function ensureConnected(): Promise<Producer> {
    if (producer && connected) return producer;
    producer ??= client().producer({
      // not idempotent: kafkajs 2.2.4's idempotent producer lost a batch it had acknowledged across a broker
      // restart (docs/exporters/kafka.md); with acks=all a retry may duplicate, never lose
      idempotent: false,
      maxInFlightRequests: 1, // kafkajs keeps order only with one request in flight
      allowAutoTopicCreation: true,
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
    });
    producer.on(producer.events.DISCONNECT, () => {
      connected = false;
    });
    await producer.connect();
    connected = true;
    return producer;
  }

  // One produce at a time: kafkajs keeps the order of batches per partition only
  // with one request in flight, so concurrent sends from the delivery layer queue here.
  let tail: Promise<unknown> = Promise.resolve();
  function produce(messages: readonly KafkaMessage[]): Promise<void> {
    const run = tail.then(() => produceNow(messages));
    tail = run.catch(() => {});
    return run;
  }

  async function produceNow(messages: readonly KafkaMessage[]): Promise<void> {
    const p = await ensureConnected();
    const byTopic = new Map<string, KafkaMessage[]>();
    for (const m of messages) {
      const list = byTopic.get(m.topic);
      if (list) list.push(m);
      else byTopic.set(m.topic, [m]);
    }
    await p.sendBatch({
      acks: -1,
      timeout: o.requestTimeoutMs,
      compression,
      topicMessages: [...byTopic].map(([topic, ms]) => ({
        topic,
        messages: ms.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      })),
    });
  }

  const { sasl, ...rest } = o;
  return {
    name: options.name ?? 'kafka',
    target: o.encoding === 'otlp_proto' ? 'otel' : o.encoding === 'ecs_json' ? 'ecs' : 'tracee',
    settings: { ...rest, ...(sasl ? { sasl: { mechanism: sasl.mechanism, username: sasl.username } } : {}) },

    async start() {
      log(
        `brokers ${o.brokers.join(',')}, encoding ${o.encoding}, topics ${o.topics.events} / ${o.topics.alerts}, compression ${o.compression}, acks=all${o.tls ? ', TLS' : ''}${sasl ? `, SASL ${sasl.mechanism}` : ''}`,
      );
      try {
        await ensureConnected();
      } catch (err) {
        // an unreachable broker at start is an outage like any other: sends are retried by the delivery layer
        log(`not connected at start (${classifyKafkaError(err).reason}); will retry on send`);
      }
    },

    async send(batch: readonly ExportItem<Rec>[]): Promise<SendOutcome> {
      const items: ItemOutcome[] = new Array(batch.length);
      const toSend: KafkaMessage[] = [];
      const sentIndex: number[] = [];
      for (let i = 0; i < batch.length; i++) {
        let m: KafkaMessage;
        try {
          m = toMessage(batch[i].record);
        } catch (err) {
          items[i] = { status: 'rejected', reason: `kafka: cannot encode the event: ${(err as Error).message}` };
          continue;
        }
        if (m.value.length > o.maxMessageBytes) {
          items[i] = {
            status: 'rejected',
            reason: `kafka: message of ${m.value.length} bytes is over maxMessageBytes ${o.maxMessageBytes}`,
          };
          continue;
        }
        toSend.push(m);
        sentIndex.push(i);
      }
      if (toSend.length > 0) {
        try {
          await produce(toSend);
          for (const i of sentIndex) items[i] = { status: 'ok' };
        } catch (err) {
          if (isPerMessageError(err) && toSend.length > 1) {
            // one message refused the whole produce: send one by one to dead-letter only the offender(s)
            for (let j = 0; j < toSend.length; j++) {
              try {
                await produce([toSend[j]]);
                items[sentIndex[j]] = { status: 'ok' };
              } catch (e1) {
                items[sentIndex[j]] = classifyKafkaError(e1);
              }
            }
          } else {
            const outcome = classifyKafkaError(err);
            if (toSend.length === batch.length) return outcome;
            for (const i of sentIndex) items[i] = outcome;
          }
        }
      }
      return items.every((x) => x.status === 'ok') ? { status: 'ok' } : { status: 'partial', items };
    },

    async shutdown() {
      if (producer) await producer.disconnect().catch(() => {});
      connected = false;
    },
  };
}
