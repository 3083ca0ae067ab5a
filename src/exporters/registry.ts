// The exporter types a config may name. Adding one = one folder (its schema.ts, kind.ts) + one
// line here + one docs page (docs/exporters/). `type: module` (plugins) is not here: its code is
// loaded from the config's `module:` (src/exporters/plugin.ts).

import type { Exporter } from '../model/exporter.ts';
import type { ExporterContext, ExporterKind } from './kind.ts';
import { consoleExporterKind } from './console/kind.ts';
import { elasticsearchExporterKind } from './elasticsearch/kind.ts';
import { kafkaExporterKind } from './kafka/kind.ts';
import { opensearchExporterKind } from './opensearch/kind.ts';
import { otlpHttpExporterKind } from './otlp-http/kind.ts';

export type { ExporterCheck, ExporterContext, ExporterKind } from './kind.ts';

/** How a plugin module builds its exporter (src/exporters/plugin.ts): its options as configured. */
export type ExporterFactory = (options: Record<string, unknown>, ctx: ExporterContext) => Exporter;

export const EXPORTER_KINDS = {
  console: consoleExporterKind,
  otlp_http: otlpHttpExporterKind,
  elasticsearch: elasticsearchExporterKind,
  kafka: kafkaExporterKind,
  opensearch: opensearchExporterKind,
} satisfies Record<string, ExporterKind>;

/** By a config's `type` string (`module` and unknown types: undefined). */
export const EXPORTER_TYPES: Readonly<Record<string, ExporterKind>> = EXPORTER_KINDS;

/** The type-specific keys of an entry of each built-in type, derived from its kind's schema. */
export type ExporterConfigOf = {
  [T in keyof typeof EXPORTER_KINDS]: (typeof EXPORTER_KINDS)[T] extends ExporterKind<infer C> ? C : never;
};

/** Every built-in type name. */
export const EXPORTER_TYPE_NAMES: readonly string[] = Object.keys(EXPORTER_KINDS);

/** Import the client libraries of the built-in types among `types` (unknown names are left to the config checks). */
export async function loadExporterTypes(types: Iterable<string>): Promise<void> {
  for (const t of new Set(types)) if (Object.hasOwn(EXPORTER_TYPES, t)) await EXPORTER_TYPES[t].load?.();
}
