// The exporter types a config may name. Adding one = one folder + one line here.
// console and otlp_http are always loaded. The others bring large client libraries (the
// Elasticsearch, OpenSearch and Kafka clients: 13 MB more resident memory at start, measured on the
// bundle), so each is imported only when a config names it: loadExporterTypes() before the
// pipeline is built (preparePipeline and loadExporterModules do it).

import type { Exporter } from '../model/exporter.ts';
import { createConsoleExporter, type ConsoleExporterOptions } from './console/exporter.ts';
import { createOtlpHttpExporter, type OtlpHttpOptions } from './otlp-http/index.ts';
import type { ElasticsearchExporterOptions } from './elasticsearch/index.ts';
import type { OpenSearchExporterOptions } from './opensearch/index.ts';
import type { KafkaExporterOptions } from './kafka/index.ts';

export interface ExporterContext {
  /** One-line operational messages (start-up decisions, downgrades). */
  log(message: string): void;
}

export type ExporterFactory = (options: Record<string, unknown>, ctx: ExporterContext) => Exporter;

/** Always loaded. */
export const EXPORTER_TYPES: Record<string, ExporterFactory> = {
  console: (o) => createConsoleExporter(o as ConsoleExporterOptions),
  otlp_http: (o, ctx) => createOtlpHttpExporter(o as OtlpHttpOptions, { warn: ctx.log }) as unknown as Exporter,
};

/** Loaded when a config names them. */
export const EXPORTER_LOADERS: Record<string, () => Promise<ExporterFactory>> = {
  elasticsearch: async () => {
    const { createElasticsearchExporter } = await import('./elasticsearch/index.ts');
    return (o, ctx) => createElasticsearchExporter({ ...(o as ElasticsearchExporterOptions), logger: { info: ctx.log, warn: ctx.log, error: ctx.log } } as ElasticsearchExporterOptions) as unknown as Exporter;
  },
  kafka: async () => {
    const { createKafkaExporter } = await import('./kafka/index.ts');
    return (o, ctx) => createKafkaExporter(o as KafkaExporterOptions, { log: ctx.log }) as unknown as Exporter;
  },
  opensearch: async () => {
    const { createOpenSearchExporter } = await import('./opensearch/index.ts');
    return (o, ctx) => createOpenSearchExporter({ ...(o as OpenSearchExporterOptions), logger: { info: ctx.log, warn: ctx.log } }) as unknown as Exporter;
  },
};

/** Every built-in type name. */
export const EXPORTER_TYPE_NAMES: readonly string[] = [...Object.keys(EXPORTER_TYPES), ...Object.keys(EXPORTER_LOADERS)];

const loaded = new Map<string, ExporterFactory>();

/** Import the built-in types among `types` that are loaded on demand (unknown names are left to the config checks). */
export async function loadExporterTypes(types: Iterable<string>): Promise<void> {
  for (const t of types) {
    const load = Object.hasOwn(EXPORTER_LOADERS, t) ? EXPORTER_LOADERS[t] : undefined;
    if (load !== undefined && !loaded.has(t)) loaded.set(t, await load());
  }
}

/** A built-in type's factory: `undefined` for an unknown type, 'not loaded' for one loadExporterTypes has not imported yet. */
export function builtinExporter(type: string): ExporterFactory | 'not loaded' | undefined {
  if (Object.hasOwn(EXPORTER_TYPES, type)) return EXPORTER_TYPES[type];
  if (!Object.hasOwn(EXPORTER_LOADERS, type)) return undefined;
  return loaded.get(type) ?? 'not loaded';
}
