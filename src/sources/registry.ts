// The source types a config may name. Adding one = one folder (its schema.ts and source.ts) + one
// line here + one docs page (docs/sources/).

import type { SourceKind } from './types.ts';
import { stdinSource } from './stdin/source.ts';
import { fileSource } from './files/source.ts';
import { webhookSource } from './webhook/source.ts';
import { forwardSource } from './forward/source.ts';
import { grpcSource } from './grpc/source.ts';

export const SOURCE_KINDS = {
  stdin: stdinSource,
  file: fileSource,
  webhook: webhookSource,
  forward: forwardSource,
  grpc: grpcSource,
} satisfies Record<string, SourceKind>;

/** By a config's `type` string (a source type not in the registry: undefined). */
export const SOURCE_TYPES: Readonly<Record<string, SourceKind>> = SOURCE_KINDS;

type ConfigOf<K> = K extends { check(config: infer C, ...rest: never[]): unknown } ? C : never;

/** One `sources[]` entry: a union discriminated by `type`, each member derived from its kind's schema. */
export type SourceConfig = {
  [T in keyof typeof SOURCE_KINDS]: ConfigOf<(typeof SOURCE_KINDS)[T]>;
}[keyof typeof SOURCE_KINDS];
