// The config model of `type: opensearch` (docs/exporters/opensearch.md): the elasticsearch
// exporter's keys minus what OpenSearch has no use for (cloud_id, api_key / bearer, ca_fingerprint, server_major).

import { schema, type FromSchema } from '../../util/schema-type.ts';
import { dataStreamSchema, endpointsSchema, sharedBulkKeys } from '../elasticsearch/schema.ts';

export const opensearchExporterSchema = schema({
  description:
    "opensearch exporter (docs/exporters/opensearch.md): the elasticsearch exporter's ECS documents, _ids and data streams, sent to OpenSearch.",
  properties: {
    endpoints: { ...endpointsSchema, description: 'One http(s) URL or a list.' },
    auth: {
      type: 'object',
      additionalProperties: false,
      description:
        'HTTP basic auth (security plugin users: username + password; use ${env:…} or ${file:…}, masked by config print), or aws_sigv4 alone (Amazon OpenSearch Service / Serverless).',
      properties: {
        username: { type: 'string', minLength: 1 },
        password: { type: 'string' },
        aws_sigv4: {
          type: 'object',
          additionalProperties: false,
          description:
            'Sign every request with AWS SigV4 (https endpoints only). Keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), else the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials), read again every 5 minutes; no instance roles, IRSA or SSO (docs/exporters/opensearch.md).',
          properties: {
            region: { type: 'string', description: 'AWS region; default AWS_REGION, else AWS_DEFAULT_REGION.' },
            service: {
              enum: ['es', 'aoss'],
              default: 'es',
              description: 'es: OpenSearch Service; aoss: OpenSearch Serverless.',
            },
            profile: {
              type: 'string',
              minLength: 1,
              description: 'Profile of the shared credentials file (default AWS_PROFILE, else default).',
            },
          },
        },
      },
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ca_file: sharedBulkKeys.ca_file,
        insecure_skip_verify: sharedBulkKeys.insecure_skip_verify,
      },
    },
    request_timeout_ms: sharedBulkKeys.request_timeout_ms,
    compression: sharedBulkKeys.compression,
    data_stream: dataStreamSchema,
    max_bulk_bytes: sharedBulkKeys.max_bulk_bytes,
    templates: {
      enum: ['install', 'check', 'skip'],
      default: 'install',
      description:
        'Index/component templates at start (adapted to OpenSearch: flattened → flat_object, no tracee@custom hook): install, check or skip.',
    },
  },
});
export type OpenSearchExporterConfig = FromSchema<typeof opensearchExporterSchema>;
