// The run-config schema's validator. From the sources, Ajv compiles it at start (≈ 0.1 CPU-s); the
// build (scripts/build.ts) replaces this module with Ajv's standalone code for the same schema and
// options, so the installed command starts without that compile.

import { Ajv, type ValidateFunction } from 'ajv';

export const RUN_CONFIG_AJV_OPTIONS = { allErrors: false, strict: false } as const;

export function runConfigValidator(schema: object): ValidateFunction {
  return new Ajv(RUN_CONFIG_AJV_OPTIONS).compile(schema);
}
