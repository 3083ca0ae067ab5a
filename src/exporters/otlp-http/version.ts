// The exporter's own name and version (instrumentation scope, User-Agent): the package's.
export { EXPORTER_NAME, EXPORTER_VERSION } from '../../version.ts';
