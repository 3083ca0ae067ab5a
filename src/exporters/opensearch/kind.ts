// `type: opensearch` in the exporter registry.

import { camelOptions, type CamelCased } from '../../util/schema-type.ts';
import type { Exporter } from '../../model/exporter.ts';
import { checkReadable, lazyFactory, resolving, type ExporterKind } from '../kind.ts';
import { resolveOpenSearchOptions, type OpenSearchExporterOptions } from './config.ts';
import { opensearchExporterSchema, type OpenSearchExporterConfig } from './schema.ts';
import { toLogger } from '../../util/log.ts';
import { AwsCredentialsError, awsCredentialsOrigin } from './aws-credentials.ts';

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
  check(c, chk) {
    const r = resolving(() => resolveOpenSearchOptions(options(c), '@'), '@.');
    checkReadable(['tls', 'ca_file'], r.tls.caFile);
    let auth = r.awsSigv4 ? 'aws_sigv4' : r.auth ? 'basic' : 'none';
    if (r.awsSigv4) {
      // where run would find its AWS credentials; none here is a warning (the check may run on
      // another machine than the exporter): run would start, and every request would fail
      try {
        auth += `, credentials from ${awsCredentialsOrigin({ profile: r.awsSigv4.profile, env: chk.env })}`;
      } catch (err) {
        if (!(err instanceof AwsCredentialsError)) throw err;
        chk.warn(`aws_sigv4: ${err.message} (every request would be refused until credentials are there)`);
      }
    }
    return `${r.name} → ${r.endpoints.join(', ')} (${r.targets.event.name}, ${r.targets.alert.name}; auth: ${auth})`;
  },
};
