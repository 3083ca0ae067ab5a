// Every producer failure → retryable or permanent (table in docs/exporters/kafka.md). kafkajs wraps the
// error that ended its own short retries in KafkaJSNumberOfRetriesExceeded (cause = the last error), so the
// verdict is taken on the innermost Kafka error.

import type { SendOutcome } from '../../model/exporter.ts';

/** Broker error codes that fail the same way however often they are sent. */
const PERMANENT_PER_MESSAGE = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
]);
/** Broker error codes that mean the destination (topic, ACLs, broker config) refuses us until an operator acts. */
const DESTINATION_STATE = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'INVALID_TOPIC_EXCEPTION',
  'UNSUPPORTED_COMPRESSION_TYPE',
  'UNSUPPORTED_VERSION',
  'POLICY_VIOLATION',
  'INVALID_REQUIRED_ACKS',
  'SASL_AUTHENTICATION_FAILED',
  'ILLEGAL_SASL_STATE',
  'UNSUPPORTED_SASL_MECHANISM',
]);

interface KafkaLikeError {
  name?: string;
  message?: string;
  type?: string;
  retriable?: boolean;
  cause?: unknown;
}

function innermost(err: unknown): KafkaLikeError {
  let e = err as KafkaLikeError;
  for (
    let i = 0;
    i < 5 &&
    e &&
    typeof e === 'object' &&
    e.cause &&
    typeof e.cause === 'object' &&
    e.name === 'KafkaJSNumberOfRetriesExceeded';
    i++
  ) {
    e = e.cause as KafkaLikeError;
  }
  return e ?? {};
}

/** Whether this failure is about the messages themselves (then the caller may isolate the offender). */
export function isPerMessageError(err: unknown): boolean {
  const e = innermost(err);
  return e.type !== undefined && PERMANENT_PER_MESSAGE.has(e.type);
}

export function classifyKafkaError(err: unknown): Exclude<SendOutcome, { status: 'ok' } | { status: 'partial' }> {
  const e = innermost(err);
  const what = `${e.name ?? 'Error'}${e.type ? ` ${e.type}` : ''}: ${e.message ?? String(err)}`;
  if (e.type && PERMANENT_PER_MESSAGE.has(e.type))
    return { status: 'rejected', reason: `kafka refused the message: ${what}` };
  if ((e.type && DESTINATION_STATE.has(e.type)) || e.name === 'KafkaJSSASLAuthenticationError') {
    return { status: 'rejected', cause: 'destination_state', reason: `kafka destination state: ${what}` };
  }
  if (e.name === 'KafkaJSServerDoesNotSupportApiKey')
    return { status: 'rejected', cause: 'destination_state', reason: `kafka broker too old: ${what}` };
  // Connection refused/closed, request timeouts, leader moves, NOT_ENOUGH_REPLICAS, unknown topic (still being
  // created), broker not available, and anything not known to be permanent: sent again with backoff.
  return { status: 'retryable', reason: `kafka: ${what}` };
}
