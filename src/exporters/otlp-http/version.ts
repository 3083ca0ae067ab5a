// The exporter's own name and version, from package.json (used for the instrumentation scope and
// the User-Agent header).
import pkg from '../../../package.json' with { type: 'json' };

export const EXPORTER_NAME = 'tracee-exporter';
export const EXPORTER_VERSION: string = pkg.version;
