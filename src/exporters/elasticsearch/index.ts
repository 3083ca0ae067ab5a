export { createElasticsearchExporter, type ElasticsearchExporter, type ElasticsearchExporterDeps } from './exporter.ts';
export {
  resolveElasticsearchOptions,
  ElasticsearchConfigError,
  type ElasticsearchExporterOptions,
  type ResolvedElasticsearchOptions,
} from './config.ts';
export { dataStreamPartError, dataStreamTarget, type DataStreamTarget } from './data-stream.ts';
export { buildEcsMappings, type EcsFlat, type FieldSpec } from './ecs-mappings.ts';
