// The package's own name and version (for observer/agent fields and the OTel scope).

import { PACKAGE_MANIFEST as pkg } from './util/package-files.ts';

export const EXPORTER_NAME: string = pkg.name;
export const EXPORTER_VERSION: string = pkg.version;
