// The package's own name and version (for observer/agent fields and the OTel scope).

import { createRequire } from 'node:module';

const pkg = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

export const EXPORTER_NAME: string = pkg.name;
export const EXPORTER_VERSION: string = pkg.version;
