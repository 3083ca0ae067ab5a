// The two targets of test/helpers/bulk-destination.ts's shared scenarios: what differs between the
// Elasticsearch and the OpenSearch node (how to list data streams, which mapped types count as right, the
// reason a bad document gets, the service script of a PRIVATE node).

import { createElasticsearchExporter } from '../../src/exporters/elasticsearch/index.ts';
import { CORE_FALLBACK } from '../../src/exporters/elasticsearch/field-types.ts';
import { createOpenSearchExporter } from '../../src/exporters/opensearch/index.ts';
import { httpJson, type BulkTarget } from './bulk-destination.ts';
import { esUrl } from './elasticsearch.ts';
import { osDeleteDataStreams, osUrl } from './opensearch.ts';

export const elasticsearchTarget: BulkTarget = {
  product: 'Elasticsearch',
  type: 'elasticsearch',
  url: esUrl,
  create: ({ endpoints, namespace, templates, logger }) =>
    createElasticsearchExporter({
      endpoints,
      dataStream: { namespace },
      ...(templates ? { templates } : {}),
      logger,
      requestTimeoutMs: 30_000,
    }),
  // the integ-test distribution lacks x-pack field types: the exporter installs their core fallbacks
  typeOk: (want, got, ex) =>
    got === want || (want !== undefined && ex.downgradedTypes.includes(want) && got === CORE_FALLBACK[want]),
  badPidReason: /^400 document_parsing_exception: .*failed to parse field \[process\.pid\] of type \[long\]/,
  // the integ-test node has no GET _data_stream: _resolve/index lists them
  dataStreams: async (base, pattern) => {
    const r = await httpJson(base, 'GET', `/_resolve/index/${pattern}?expand_wildcards=all`, undefined, [404]);
    return (r.body?.data_streams ?? []).map((d: { name: string; timestamp_field: string }) => ({
      name: d.name,
      timestampField: d.timestamp_field,
    }));
  },
  service: {
    script: 'scripts/services/elasticsearch.sh',
    portVar: 'ES_HTTP_PORT',
    heapVar: 'ES_HEAP',
    timeoutVar: 'ES_START_TIMEOUT',
  },
};

export const openSearchTarget: BulkTarget = {
  product: 'OpenSearch',
  type: 'opensearch',
  url: osUrl,
  create: ({ endpoints, namespace, templates, logger }) =>
    createOpenSearchExporter({ endpoints, dataStream: { namespace }, ...(templates ? { templates } : {}), logger }),
  typeOk: (want, got) => got === want,
  badPidReason: /^400 mapper_parsing_exception: failed to parse field \[process\.pid\] of type \[long\]/,
  dataStreams: async (base, pattern) => {
    const r = await httpJson(base, 'GET', `/_data_stream/${pattern}`, undefined, [404]);
    return (r.body?.data_streams ?? []).map((d: { name: string; timestamp_field: { name: string } }) => ({
      name: d.name,
      timestampField: d.timestamp_field.name,
    }));
  },
  cleanup: osDeleteDataStreams,
  service: {
    script: 'scripts/services/opensearch.sh',
    portVar: 'OS_HTTP_PORT',
    heapVar: 'OS_HEAP',
    timeoutVar: 'OS_START_TIMEOUT',
  },
};
