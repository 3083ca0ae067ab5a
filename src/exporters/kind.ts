// What every built-in exporter type registers (src/exporters/registry.ts): its config model, how
// `run` builds it, and how `config check` checks it without connecting (the same resolvers).

import fs from 'node:fs';
import type { Exporter, ExportTarget } from '../model/exporter.ts';
import type { JsonSchema } from '../util/schema-type.ts';
import { OptionError, optionPathOf, type OptionPath } from '../util/option-error.ts';
import { schema, snakeCase } from '../util/schema-type.ts';
import type { LogTarget } from '../util/log.ts';

export interface ExporterContext {
  /**
   * One-line operational messages (start-up decisions, downgrades): callable (info), and with
   * .debug/.info/.warn/.error when it is a Logger (src/util/log.ts; toLogger() makes one of either).
   */
  log: LogTarget;
}

/** What `config check` hands an exporter kind: report problems at a key below `exporters[i]`. */
export interface ExporterCheck {
  /** The environment `run` would see (OTEL_*). */
  env: NodeJS.ProcessEnv;
  /** Not fatal for `run`, but probably not what was meant. */
  warn(message: string): void;
}

export interface ExporterKind<C = any> {
  /** The keys of an `exporters[]` entry of this type besides the common ones (name, delivery, filter…), snake_case, with defaults. */
  schema: JsonSchema;
  /**
   * Kinds with a large client library (Elasticsearch, OpenSearch, Kafka: ~13 MB resident at start) import
   * it here, only when a config names them; `create` refuses until it ran (registry: loadExporterTypes).
   */
  load?(): Promise<void>;
  /** `run`: the exporter, from its config entry (snake_case; the pipeline's keys removed). */
  create(config: C, ctx: ExporterContext): Exporter;
  /** Which records it takes: decides its mapper (trim, drop_fields) before it is built. */
  target(config: C): ExportTarget;
  /**
   * `config check`: the dry run of create: the same option resolution, files it would read, no
   * connection. Throws OptionError (path below the entry); returns the summary part.
   */
  check(config: C, chk: ExporterCheck): string;
}

/**
 * Runs a resolver and turns its error, which names the key in the code's camelCase (`tls.caFile`),
 * into an OptionError at the config's snake_case key (`tls.ca_file`).
 */
export function resolving<T>(f: () => T, prefix = ''): T {
  try {
    return f();
  } catch (err) {
    const e = err as { path?: unknown; reason?: unknown };
    if (typeof e.path === 'string' && typeof e.reason === 'string') {
      const p = e.path.startsWith(prefix) ? e.path.slice(prefix.length) : e.path;
      throw new OptionError(optionPathOf(p, snakeCase), e.reason);
    }
    throw err;
  }
}

/** A file the exporter would read at start must be readable. */
export function checkReadable(key: OptionPath, file: string | undefined): void {
  if (file === undefined) return;
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (err) {
    throw new OptionError(key, (err as Error).message);
  }
}

const scalar = [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] as const;

/** `resource_attributes`: OTel attribute values (a string, number, boolean or a list of them) by key. */
export const resourceAttributesSchema = schema({
  type: 'object',
  additionalProperties: { anyOf: [...scalar, { type: 'array', items: { anyOf: scalar } }] },
});

/** An on-demand exporter type built before its load() ran (createPipeline without preparePipeline). */
export class ExporterNotLoadedError extends Error {
  override name = 'ExporterNotLoadedError';
}

/** A factory imported on demand by an ExporterKind's load(); get() names the kind when it was not loaded. */
export function lazyFactory<F>(type: string, importer: () => Promise<F>): { load(): Promise<void>; get(): F } {
  let f: F | undefined;
  return {
    async load() {
      f ??= await importer();
    },
    get() {
      if (f === undefined)
        throw new ExporterNotLoadedError(
          `exporter type "${type}" is not loaded: build the pipeline with preparePipeline() (or call loadExporterTypes() first)`,
        );
      return f;
    },
  };
}
