// The Elasticsearch exporter (target 'ecs'): the shared bulk send loop (../bulk-common/bulk-exporter.ts) with
// the @elastic/elasticsearch client, REST-compatibility headers (EsRequester), `require_data_stream` and the
// optional pinned CA (tls.caFingerprint), fetched on first use.

import type { Client } from '@elastic/elasticsearch';
import { BulkExporterCore, type BulkDialect, type BulkExporter } from '../bulk-common/bulk-exporter.ts';
import { CaFingerprintError, fetchPinnedCa } from './ca-fingerprint.ts';
import { createEsClient } from './client.ts';
import {
  resolveElasticsearchOptions,
  type ElasticsearchExporterOptions,
  type ResolvedElasticsearchOptions,
} from './config.ts';
import { exporterLogger } from './logger.ts';
import { EsRequester } from './requester.ts';
import type { TemplateIo } from './template-install.ts';

export type ElasticsearchExporter = BulkExporter;

export interface ElasticsearchExporterDeps {
  /** Inject a client (tests); otherwise one is created from the options. */
  client?: Client;
}

const BULK_QUERY = {
  require_data_stream: true,
  include_source_on_error: false,
  filter_path: 'errors,items.*.status,items.*.error',
};

function esDialect(
  o: ResolvedElasticsearchOptions,
  requester: EsRequester,
  injected: Client | undefined,
): BulkDialect<Client> {
  // With tls.caFingerprint the client needs the pinned CA first: created on first use (start or send).
  let client = injected ?? (o.tls.caFingerprint ? undefined : createEsClient(o));
  return {
    product: 'Elasticsearch',
    async client() {
      if (client) return client;
      const ca = await fetchPinnedCa(
        o.endpoints.find((e) => e.startsWith('https:')) ?? o.endpoints[0],
        o.tls.caFingerprint!,
        o.requestTimeoutMs,
      );
      client ??= createEsClient(o, ca);
      return client;
    },
    hasClient: () => client !== undefined,
    isFatal: (err) => err instanceof CaFingerprintError,
    bulk: (c, body, signal) =>
      requester.call('ndjson', (headers) =>
        c.bulk({ ...BULK_QUERY, operations: body as unknown as never[] }, { meta: true, headers, signal }),
      ),
    templates: (c): TemplateIo => ({
      put: (kind, name, body) =>
        requester.call('json', (headers) =>
          kind === 'component'
            ? c.transport.request(
                { method: 'PUT', path: `/_component_template/${encodeURIComponent(name)}`, body },
                { meta: true, headers },
              )
            : c.transport.request(
                { method: 'PUT', path: `/_index_template/${encodeURIComponent(name)}`, body },
                { meta: true, headers },
              ),
        ),
      get: (kind, name) =>
        requester.call('none', (headers) =>
          c.transport.request(
            {
              method: 'GET',
              path: `/${kind === 'component' ? '_component_template' : '_index_template'}/${encodeURIComponent(name)}`,
            },
            { meta: true, headers, ignore: [404] },
          ),
        ),
    }),
    close: async () => {
      await client?.close();
    },
  };
}

export function createElasticsearchExporter(
  options: ElasticsearchExporterOptions,
  deps: ElasticsearchExporterDeps = {},
): ElasticsearchExporter {
  const o = resolveElasticsearchOptions(options);
  const logger = exporterLogger(options.logger, o.name);
  return new BulkExporterCore(o, esDialect(o, new EsRequester(o.serverMajor, logger), deps.client), logger);
}
