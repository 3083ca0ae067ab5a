export { createOpenSearchExporter, createOpenSearchClient, type OpenSearchExporter, type OpenSearchExporterDeps } from './exporter.ts';
export { resolveOpenSearchOptions, OpenSearchConfigError, type OpenSearchExporterOptions, type ResolvedOpenSearchOptions } from './config.ts';
export { openSearchTemplates } from './templates.ts';
