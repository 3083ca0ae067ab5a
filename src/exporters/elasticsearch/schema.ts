// The config model of `type: elasticsearch` (docs/exporters/elasticsearch.md). The code's options
// (./config.ts, camelCase) are this config with its keys camel-cased (camelOptions).

import { schema, type FromSchema } from '../../util/schema-type.ts';
import { DEFAULTS } from './config.ts';

export const dataStreamSchema = schema({
  type: 'object',
  additionalProperties: false,
  description: 'Target data streams logs-<dataset>-<namespace>.',
  properties: {
    events_dataset: { type: 'string', default: DEFAULTS.eventsDataset },
    alerts_dataset: { type: 'string', default: DEFAULTS.alertsDataset },
    namespace: { type: 'string', default: DEFAULTS.namespace },
  },
});

export const endpointsSchema = schema({
  anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
  description: 'One http(s) URL or a list (env: comma-separated).',
});

/** Keys the OpenSearch exporter shares with this one: same meaning, same defaults (../opensearch/schema.ts). */
export const sharedBulkKeys = {
  ca_file: schema({ type: 'string', description: 'PEM file with the CA that signed the server certificate.' }),
  insecure_skip_verify: schema({
    type: 'boolean',
    default: false,
    description: 'Accept any certificate (logged as a warning).',
  }),
  request_timeout_ms: schema({
    type: 'integer',
    minimum: 1,
    default: DEFAULTS.requestTimeoutMs,
    description: 'Per request.',
  }),
  compression: schema({ type: 'boolean', default: false, description: 'Gzip request bodies.' }),
  max_bulk_bytes: schema({
    type: 'integer',
    minimum: 1024,
    default: DEFAULTS.maxBulkBytes,
    description: 'Upper bound of one bulk request body (uncompressed); larger batches are split.',
  }),
};

export const elasticsearchExporterSchema = schema({
  description:
    'elasticsearch exporter (docs/exporters/elasticsearch.md). Unset endpoints / cloud_id / auth / tls.ca_file / tls.ca_fingerprint fall back to ELASTICSEARCH_URL, ELASTICSEARCH_CLOUD_ID, ELASTICSEARCH_API_KEY, ELASTICSEARCH_USERNAME + ELASTICSEARCH_PASSWORD, ELASTICSEARCH_CA_FILE, ELASTICSEARCH_CA_FINGERPRINT.',
  properties: {
    endpoints: {
      ...endpointsSchema,
      description: 'One http(s) URL or a list (env: comma-separated). Or cloud_id instead.',
    },
    cloud_id: { type: 'string', description: 'Elastic Cloud id ("<name>:<base64>"), instead of endpoints.' },
    auth: {
      type: 'object',
      additionalProperties: false,
      description:
        'Exactly one of api_key, username + password, bearer. Use ${env:…} or ${file:…}; masked by config print.',
      properties: {
        api_key: { type: 'string', minLength: 1, description: 'Encoded API key (base64 "id:key") as Kibana shows it.' },
        username: { type: 'string', minLength: 1 },
        password: { type: 'string' },
        bearer: { type: 'string', minLength: 1, description: 'Bearer token (service account token).' },
      },
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ca_file: sharedBulkKeys.ca_file,
        ca_fingerprint: {
          type: 'string',
          description: 'SHA-256 fingerprint of the CA or server certificate ("AA:BB:…"), https only.',
        },
        insecure_skip_verify: sharedBulkKeys.insecure_skip_verify,
      },
    },
    request_timeout_ms: sharedBulkKeys.request_timeout_ms,
    compression: sharedBulkKeys.compression,
    server_major: {
      enum: [8, 9, 'auto'],
      default: 'auto',
      description: 'REST compatibility headers: 8, 9, or auto (9, falling back to 8 once).',
    },
    data_stream: dataStreamSchema,
    max_bulk_bytes: sharedBulkKeys.max_bulk_bytes,
    templates: {
      enum: ['install', 'check', 'skip'],
      default: 'install',
      description: 'Index/component templates at start: install them, only check them, or skip.',
    },
  },
});
export type ElasticsearchExporterConfig = FromSchema<typeof elasticsearchExporterSchema>;
