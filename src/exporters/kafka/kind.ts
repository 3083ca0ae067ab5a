// `type: kafka` in the exporter registry.

import { camelOptions, type CamelCased } from '../../util/schema-type.ts';
import type { Exporter } from '../../model/exporter.ts';
import { checkReadable, lazyFactory, resolving, type ExporterKind } from '../kind.ts';
import { resolveKafkaOptions, type KafkaExporterOptions } from './options.ts';
import { kafkaExporterSchema, type KafkaExporterConfig } from './schema.ts';

/** The code's options: the config camel-cased; the compiler checks the two types agree. */
const options = (c: KafkaExporterConfig): KafkaExporterOptions =>
  camelOptions(kafkaExporterSchema, c) as CamelCased<KafkaExporterConfig>;

// the client library is imported only when a config names this type (kind.ts: load)
const exporterModule = lazyFactory('kafka', async () => (await import('./exporter.ts')).createKafkaExporter);

export const kafkaExporterKind: ExporterKind<KafkaExporterConfig> = {
  schema: kafkaExporterSchema,
  load: exporterModule.load,
  create: (c, ctx) => resolving(() => exporterModule.get()(options(c), { log: ctx.log })) as unknown as Exporter,
  target: (c) => (c.encoding === 'ecs_json' ? 'ecs' : c.encoding === 'tracee_json' ? 'tracee' : 'otel'),
  check(c) {
    const r = resolving(() => resolveKafkaOptions(options(c)));
    if (r.tls) {
      checkReadable(['tls', 'ca_file'], r.tls.caFile);
      checkReadable(['tls', 'cert_file'], r.tls.certFile);
      checkReadable(['tls', 'key_file'], r.tls.keyFile);
    }
    return `${(c as { name?: string }).name ?? 'kafka'} → kafka ${r.brokers.join(',')} (${r.encoding} to ${r.topics.events}, ${r.topics.alerts}; ${r.compression}${r.tls ? ', TLS' : ''}; sasl: ${r.sasl?.mechanism ?? 'none'})`;
  },
};
