// `type: otlp_http` in the exporter registry.

import { camelOptions, type CamelCased } from '../../util/schema-type.ts';
import type { Exporter } from '../../model/exporter.ts';
import { checkReadable, resolving, type ExporterKind } from '../kind.ts';
import { createOtlpHttpExporter } from './exporter.ts';
import { resolveOtlpOptions, type OtlpHttpOptions } from './options.ts';
import { otlpHttpExporterSchema, type OtlpHttpExporterConfig } from './schema.ts';
import { toLogger } from '../../util/log.ts';

/** The code's options: the config camel-cased; the compiler checks the two types agree. */
const options = (c: OtlpHttpExporterConfig): OtlpHttpOptions =>
  camelOptions(otlpHttpExporterSchema, c) as CamelCased<OtlpHttpExporterConfig>;

export const otlpHttpExporterKind: ExporterKind<OtlpHttpExporterConfig> = {
  schema: otlpHttpExporterSchema,
  create: (c, ctx) =>
    resolving(() => createOtlpHttpExporter(options(c), { warn: toLogger(ctx.log).warn })) as unknown as Exporter,
  target: () => 'otel',
  check(c, chk) {
    const r = resolving(() => resolveOtlpOptions(options(c), chk.env, chk.warn));
    if (!r.url.startsWith('http:')) {
      checkReadable(['tls', 'ca_file'], r.tls.caFile);
      checkReadable(['tls', 'cert_file'], r.tls.certFile);
      checkReadable(['tls', 'key_file'], r.tls.keyFile);
    }
    return `${(c as { name?: string }).name ?? 'otlp_http'} → ${r.url} (${r.protocol}, ${r.compression})`;
  },
};
