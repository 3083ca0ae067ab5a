// The exporter types a config may name. Adding one = one folder + one line here.

import type { Exporter } from '../model/exporter.ts';
import { createConsoleExporter, type ConsoleExporterOptions } from './console/exporter.ts';
import { createElasticsearchExporter, type ElasticsearchExporterOptions } from './elasticsearch/index.ts';
import { createOpenSearchExporter, type OpenSearchExporterOptions } from './opensearch/index.ts';
import { createOtlpHttpExporter, type OtlpHttpOptions } from './otlp-http/index.ts';
import { createKafkaExporter, type KafkaExporterOptions } from './kafka/index.ts';
import { toLogger, type LogTarget } from '../util/log.ts';

export interface ExporterContext {
  /**
   * One-line operational messages (start-up decisions, downgrades): callable (info), and with
   * .debug/.info/.warn/.error when it is a Logger (src/util/log.ts; toLogger() makes one of either).
   */
  log: LogTarget;
}

export type ExporterFactory = (options: Record<string, unknown>, ctx: ExporterContext) => Exporter;

export const EXPORTER_TYPES: Record<string, ExporterFactory> = {
  console: (o) => createConsoleExporter(o as ConsoleExporterOptions),
  otlp_http: (o, ctx) => createOtlpHttpExporter(o as OtlpHttpOptions, { warn: toLogger(ctx.log).warn }) as unknown as Exporter,
  elasticsearch: (o, ctx) => createElasticsearchExporter({ ...(o as ElasticsearchExporterOptions), logger: toLogger(ctx.log) } as ElasticsearchExporterOptions) as unknown as Exporter,
  kafka: (o, ctx) => createKafkaExporter(o as KafkaExporterOptions, { log: ctx.log }) as unknown as Exporter,
  opensearch: (o, ctx) => createOpenSearchExporter({ ...(o as OpenSearchExporterOptions), logger: toLogger(ctx.log) }) as unknown as Exporter,
};
