// Data stream naming: `{type}-{dataset}-{namespace}` (ECS `data_stream.*`, Elasticsearch index-name rules).

import type { EcsKind } from '../../model/records.ts';

export const DATA_STREAM_TYPE = 'logs';

export interface DataStreamTarget {
  /** Full data stream name, e.g. `logs-tracee.events-default`. */
  readonly name: string;
  readonly type: string;
  readonly dataset: string;
  readonly namespace: string;
}

export type DataStreamTargets = Readonly<Record<EcsKind, DataStreamTarget>>;

const FORBIDDEN = /[\\/*?"<>|,#: ]/;
const MAX_LEN = 100;

/**
 * Returns an error message for an invalid dataset or namespace, or undefined when valid.
 * Rules (ECS data_stream.yml + ES index names): non-empty, lower case, no `-`, none of `\ / * ? " < > | , # :`
 * or space, at most 100 characters, not starting with `_`, `+` or `.`.
 */
export function dataStreamPartError(what: 'dataset' | 'namespace', value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '')
    return `${what} must be a non-empty string, got ${JSON.stringify(value)}`;
  const v = JSON.stringify(value);
  if (value.length > MAX_LEN) return `${what} must be at most ${MAX_LEN} characters, got ${value.length}`;
  if (value !== value.toLowerCase()) return `${what} must be lower case, got ${v}`;
  if (value.includes('-')) return `${what} must not contain "-" (it separates type, dataset and namespace), got ${v}`;
  const bad = FORBIDDEN.exec(value);
  if (bad)
    return `${what} must not contain ${JSON.stringify(bad[0])} (forbidden: \\ / * ? " < > | , # : and space), got ${v}`;
  if (/^[_+.]/.test(value)) return `${what} must not start with "_", "+" or ".", got ${v}`;
  return undefined;
}

export function dataStreamTarget(dataset: string, namespace: string): DataStreamTarget {
  const err = dataStreamPartError('dataset', dataset) ?? dataStreamPartError('namespace', namespace);
  if (err) throw new Error(err);
  return { name: `${DATA_STREAM_TYPE}-${dataset}-${namespace}`, type: DATA_STREAM_TYPE, dataset, namespace };
}
