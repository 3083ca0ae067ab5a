// `type: elasticsearch` in the exporter registry.

import { camelOptions, type CamelCased } from '../../util/schema-type.ts';
import type { Exporter } from '../../model/exporter.ts';
import { checkReadable, lazyFactory, resolving, type ExporterKind } from '../kind.ts';
import { resolveElasticsearchOptions, type ElasticsearchExporterOptions, type EsAuth } from './config.ts';
import { elasticsearchExporterSchema, type ElasticsearchExporterConfig } from './schema.ts';
import { toLogger } from '../../util/log.ts';

/** The code's options: the config camel-cased; the compiler checks the two types agree. */
const options = (c: ElasticsearchExporterConfig): ElasticsearchExporterOptions => {
  const o = camelOptions(elasticsearchExporterSchema, c) as CamelCased<ElasticsearchExporterConfig>;
  // auth: exactly one of api_key, username + password, bearer; the resolver checks which
  return { ...o, auth: o.auth as EsAuth | undefined };
};

// the client library is imported only when a config names this type (kind.ts: load)
const exporterModule = lazyFactory(
  'elasticsearch',
  async () => (await import('./exporter.ts')).createElasticsearchExporter,
);

export const elasticsearchExporterKind: ExporterKind<ElasticsearchExporterConfig> = {
  schema: elasticsearchExporterSchema,
  load: exporterModule.load,
  create: (c, ctx) =>
    resolving(
      () => exporterModule.get()({ ...options(c), logger: toLogger(ctx.log) }),
      'exporters.elasticsearch.',
    ) as unknown as Exporter,
  target: () => 'ecs',
  check(c) {
    const r = resolving(() => resolveElasticsearchOptions(options(c), '@'), '@.');
    checkReadable(['tls', 'ca_file'], r.tls.caFile);
    const auth = r.auth
      ? Object.keys(r.auth)
          .filter((k) => k !== 'password')
          .map((k) => (k === 'apiKey' ? 'api_key' : k))[0]
      : 'none';
    return `${r.name} → ${r.cloudId ? 'Elastic Cloud' : r.endpoints.join(', ')} (${r.targets.event.name}, ${r.targets.alert.name}; auth: ${auth})`;
  },
};
