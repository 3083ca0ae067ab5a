// The Kafka exporter's pure parts: options, message building (topic, key, headers, value) and the failure
// classification table of docs/exporters/kafka.md. The broker itself: test/integration/kafka-exporter.test.ts.

import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { classifyKafkaError, isPerMessageError } from '../../../../src/exporters/kafka/classify.ts';
import { ecsMessage, otelMessage } from '../../../../src/exporters/kafka/messages.ts';
import { KafkaOptionsError, resolveKafkaOptions } from '../../../../src/exporters/kafka/options.ts';
import { createSdkResourceCache } from '../../../../src/exporters/otlp-http/sdk-resource-cache.ts';
import type { EcsRecord, OtelRecord } from '../../../../src/model/records.ts';
import { attrMap, decodeLogsRequest } from '../../../helpers/otlp-proto-decode.ts';

const {
  KafkaJSProtocolError,
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
} = kafkajs;
const topics = { events: 't.events', alerts: 't.alerts' };

/** A broker error as kafkajs builds it from an error code (createErrorFromCode is internal: same shape). */
function protocolError(type: string, retriable: boolean): Error {
  return new KafkaJSProtocolError({ type, code: 0, retriable, message: `${type} message` } as never);
}

describe('kafka options', () => {
  it('defaults, comma-separated brokers, tls: true', () => {
    const o = resolveKafkaOptions({ brokers: 'a:9092, b:9093', tls: true });
    expect(o).toMatchObject({
      brokers: ['a:9092', 'b:9093'],
      encoding: 'otlp_proto',
      compression: 'gzip',
      topics: { events: 'tracee.events', alerts: 'tracee.alerts' },
      tls: {},
    });
  });
  it('refuses missing brokers, a broker without port, an illegal topic, an unknown SASL mechanism', () => {
    expect(() => resolveKafkaOptions({})).toThrow(KafkaOptionsError);
    expect(() => resolveKafkaOptions({ brokers: ['localhost'] })).toThrow(/host:port/);
    expect(() => resolveKafkaOptions({ brokers: ['h:1'], topics: { alerts: 'a b' } })).toThrow(/topics.alerts/);
    expect(() =>
      resolveKafkaOptions({ brokers: ['h:1'], sasl: { mechanism: 'gssapi' as never, username: 'u', password: 'p' } }),
    ).toThrow(/sasl.mechanism/);
  });
});

describe('kafka messages', () => {
  it('ecs_json: topic by event.kind, key container id else host name, headers, value = the JSON text', () => {
    const rec: EcsRecord = {
      id: 'x',
      kind: 'alert',
      doc: {
        ecs: { version: '9.4.0' },
        event: { action: 'anti_debugging', kind: 'alert' },
        host: { name: 'n1' },
        container: { id: 'c1' },
      },
      json: '{"a":1}',
    };
    expect(ecsMessage(rec, topics)).toEqual({
      topic: 't.alerts',
      key: 'c1',
      value: Buffer.from('{"a":1}'),
      headers: { 'tracee.encoding': 'ecs_json', 'tracee.event.name': 'anti_debugging', 'schema.version': '9.4.0' },
    });
    const hostOnly: EcsRecord = { id: 'y', kind: 'event', doc: { event: { action: 'execve' }, host: { name: 'n1' } } };
    const m = ecsMessage(hostOnly, topics);
    expect(m.topic).toBe('t.events');
    expect(m.key).toBe('n1');
    expect(JSON.parse(m.value.toString())).toEqual(hostOnly.doc);
  });
  it('otlp_proto: one ExportLogsServiceRequest with the one record; alert topic from tracee.event.kind', () => {
    const cache = createSdkResourceCache({ defaults: { 'service.name': 'tracee' }, overrides: {} });
    const rec: OtelRecord = {
      resource: { key: 'k', attributes: { 'host.name': 'n1' } },
      timeUnixNano: 5n,
      observedTimeUnixNano: 6n,
      severityNumber: 17,
      severityText: 'HIGH',
      eventName: 'tracee.anti_debugging',
      attributes: { 'tracee.event.kind': 'alert', 'log.record.uid': 'u1' },
    };
    const m = otelMessage(rec, topics, cache);
    expect(m).toMatchObject({
      topic: 't.alerts',
      key: 'n1',
      headers: {
        'tracee.encoding': 'otlp_proto',
        'schema.version': 'v1',
        'tracee.event.name': 'tracee.anti_debugging',
      },
    });
    const req = decodeLogsRequest(m.value);
    const lr = req.resourceLogs[0].scopeLogs[0].logRecords;
    expect(lr.length).toBe(1);
    expect(attrMap(lr[0].attributes)['log.record.uid'].stringValue).toBe('u1');
    expect(otelMessage({ ...rec, attributes: { 'tracee.event.kind': 'event' } }, topics, cache).topic).toBe('t.events');
  });
});

describe('kafka failure classification (docs/exporters/kafka.md table)', () => {
  const cls = (e: unknown) => {
    const o = classifyKafkaError(e);
    return o.status === 'rejected' ? (o.cause ?? 'permanent') : o.status;
  };
  it.each([
    [
      'connection refused',
      new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'),
      'retryable',
    ],
    ['request timeout', new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out'), 'retryable'],
    ['leader moved', protocolError('NOT_LEADER_OR_FOLLOWER', true), 'retryable'],
    ['not enough replicas', protocolError('NOT_ENOUGH_REPLICAS', true), 'retryable'],
    ['unknown topic (being created)', protocolError('UNKNOWN_TOPIC_OR_PARTITION', true), 'retryable'],
    ['unknown error', new Error('something odd'), 'retryable'],
    ['message too large', protocolError('MESSAGE_TOO_LARGE', false), 'permanent'],
    ['record list too large', protocolError('RECORD_LIST_TOO_LARGE', false), 'permanent'],
    ['topic not authorized', protocolError('TOPIC_AUTHORIZATION_FAILED', false), 'destination_state'],
    ['invalid topic', protocolError('INVALID_TOPIC_EXCEPTION', false), 'destination_state'],
    [
      'SASL failed',
      new (KafkaJSSASLAuthenticationError as unknown as new (m: string) => Error)(
        'SASL SCRAM SHA512 authentication failed',
      ),
      'destination_state',
    ],
  ])('%s → %s', (_name, err, want) => {
    expect(cls(err)).toBe(want);
    // kafkajs's own retries end in KafkaJSNumberOfRetriesExceeded (not retriable itself): the cause decides
    expect(cls(new KafkaJSNumberOfRetriesExceeded(err as Error, { retryCount: 2, retryTime: 100 }))).toBe(want);
  });
  it('per-message errors are told apart (the batch is then sent message by message)', () => {
    expect(isPerMessageError(protocolError('MESSAGE_TOO_LARGE', false))).toBe(true);
    expect(isPerMessageError(new KafkaJSConnectionError('x'))).toBe(false);
  });
});
