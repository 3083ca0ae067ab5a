export {
  createOpenSearchExporter,
  createOpenSearchClient,
  type OpenSearchExporter,
  type OpenSearchExporterDeps,
} from './exporter.ts';
export {
  awsCredentialSource,
  AwsCredentialsError,
  type AwsCredentialSource,
  type AwsCredentials,
} from './aws-credentials.ts';
export {
  resolveOpenSearchOptions,
  OpenSearchConfigError,
  type OpenSearchExporterOptions,
  type ResolvedOpenSearchOptions,
  type AwsSigv4Options,
} from './config.ts';
export { openSearchTemplates } from './templates.ts';
