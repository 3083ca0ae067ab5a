// The closed registry of named transforms that mapping tables may use. A transform gets the
// source value (never undefined) and the mapping input; it returns the value to write, or
// undefined to write nothing. Parametrized transforms are written "name:arg" in a table.

import type { MapInput } from '../input.ts';
import type { Lookups } from '../lookups.ts';
import { textTransforms } from './text.ts';
import { eventTransforms } from './event.ts';
import { networkTransforms } from './network.ts';
import { dnsTransforms } from './dns.ts';
import { httpTransforms } from './http.ts';
import { threatTransforms } from './threat.ts';
import { domainTransforms } from './domain.ts';
import { fileTransforms } from './file.ts';

export type Transform = ((value: unknown, input: MapInput) => unknown) & {
  /** Optional: the JSON text of the result (undefined: nothing to write), for the ECS JSON writer. */
  json?: (value: unknown, input: MapInput) => string | undefined;
  /** Optional: the result never is nor holds a bigint (toJsonSafe returns it as it is). */
  jsonSafe?: true;
};
export type TransformFactory = (arg: string | undefined, lookups: Lookups) => Transform;

const REGISTRY: Record<string, TransformFactory> = {
  ...textTransforms,
  ...eventTransforms,
  ...networkTransforms,
  ...dnsTransforms,
  ...httpTransforms,
  ...threatTransforms,
  ...domainTransforms,
  ...fileTransforms,
};

export function transformNames(): string[] {
  return Object.keys(REGISTRY).sort();
}

/** Resolve "name" or "name:arg" against the registry; throws on an unknown name. */
export function resolveTransform(spec: string, lookups: Lookups): Transform {
  const i = spec.indexOf(':');
  const name = i < 0 ? spec : spec.slice(0, i);
  const arg = i < 0 ? undefined : spec.slice(i + 1);
  const factory = Object.hasOwn(REGISTRY, name) ? REGISTRY[name] : undefined;
  if (factory === undefined) throw new Error(`unknown transform "${name}" (known: ${transformNames().join(', ')})`);
  return factory(arg, lookups);
}

/** Plain transform without parameters. */
export function plain(fn: Transform): TransformFactory {
  return () => fn;
}
