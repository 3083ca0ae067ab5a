// `type: opensearch` in the exporter registry.

import { camelOptions, type CamelCased } from '../../util/schema-type.ts';
import type { Exporter } from '../../model/exporter.ts';
import { checkReadable, lazyFactory, resolving, type ExporterKind } from '../kind.ts';
import { resolveOpenSearchOptions, type OpenSearchExporterOptions } from './config.ts';
import { opensearchExporterSchema, type OpenSearchExporterConfig } from './schema.ts';
import { toLogger } from '../../util/log.ts';

/** The code's options: the config camel-cased; the compiler checks the two types agree. */
const options = (c: OpenSearchExporterConfig): OpenSearchExporterOptions =>
  camelOptions(opensearchExporterSchema, c) as CamelCased<OpenSearchExporterConfig>;

// the client library is imported only when a config names this type (kind.ts: load)
const exporterModule = lazyFactory('opensearch', async () => (await import('./exporter.ts')).createOpenSearchExporter);

export const opensearchExporterKind: ExporterKind<OpenSearchExporterConfig> = {
  schema: opensearchExporterSchema,
  load: exporterModule.load,
  create: (c, ctx) =>
    resolving(
      () => exporterModule.get()({ ...options(c), logger: toLogger(ctx.log) }),
      'exporters.opensearch.',
    ) as unknown as Exporter,
  target: () => 'ecs',
  check(c) {
    const r = resolving(() => resolveOpenSearchOptions(options(c), '@'), '@.');
    checkReadable(['tls', 'ca_file'], r.tls.caFile);
    return `${r.name} → ${r.endpoints.join(', ')} (${r.targets.event.name}, ${r.targets.alert.name}; auth: ${r.awsSigv4 ? 'aws_sigv4' : r.auth ? 'basic' : 'none'})`;
  },
};
