// What the Elasticsearch and OpenSearch exporters share (both speak the same `_bulk` / template REST API):
// the bulk body encoder (ECS document + `create` action with the deterministic `_id`), bulk item and request
// classification (409 = duplicate, 429/5xx retryable…), data stream naming and the template set with its
// install/check logic, and the send loop itself (./bulk-exporter.ts: both exporters are a BulkDialect on it).
// The modules other than the send loop live in src/exporters/elasticsearch (their first user); this is the one
// place the OpenSearch exporter imports them from.

export { BulkExporterCore, type BulkDialect, type BulkExporter } from './bulk-exporter.ts';
export { BulkEncoder, chunkBySize, type EncodedItem } from '../elasticsearch/bulk-body.ts';
export {
  classifyRequestStatus,
  classifyThrown,
  esItemVerdict,
  outcomeOf,
  classifyBulkItem,
  bodyReason,
  type BulkResponseItem,
  type EsErrorObject,
  type EsVerdict,
  type DriftCheck,
} from '../elasticsearch/classify.ts';
export {
  dataStreamTarget,
  dataStreamPartError,
  type DataStreamTarget,
  type DataStreamTargets,
} from '../elasticsearch/data-stream.ts';
export {
  checkTemplates,
  installTemplates,
  TemplateError,
  type TemplateAdapt,
  type TemplateIo,
  type TemplateKind,
} from '../elasticsearch/template-install.ts';
export { loadTemplateSet, type TemplateSet, type NamedTemplate, type Body } from '../elasticsearch/templates.ts';
export { driftCheck } from '../elasticsearch/template-fields.ts';
export type { EsAnswer } from '../elasticsearch/requester.ts';
export type { Logger } from '../elasticsearch/logger.ts';
export { exporterLogger } from '../elasticsearch/logger.ts';
export { makeRedactor, type Redactor } from '../elasticsearch/redact.ts';
export {
  resolveElasticsearchOptions,
  redactUrl,
  type ResolvedElasticsearchOptions,
  type ElasticsearchExporterOptions,
} from '../elasticsearch/config.ts';
