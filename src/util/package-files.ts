// Files the package ships beside its code (mappings/, proto/, JSON schemas, index templates) are
// found from the package root: the nearest folder above this module whose package.json is ours.
// One answer for every layout: the TypeScript tree (src/util/), the build (dist/, one bundle) and an
// installed copy (node_modules/tracee-exporter/dist/), so no module counts `../` levels itself.

import fs from 'node:fs';
import path from 'node:path';

const PACKAGE_NAME = 'tracee-exporter';

function findPackageRoot(start: string): { root: string; manifest: { name: string; version: string } } {
  for (let dir = start; ; dir = path.dirname(dir)) {
    let text: string | undefined;
    try {
      text = fs.readFileSync(path.join(dir, 'package.json'), 'utf8');
    } catch {
      /* not here: go up */
    }
    if (text !== undefined) {
      const manifest = JSON.parse(text) as { name: string; version: string };
      if (manifest.name === PACKAGE_NAME) return { root: dir, manifest };
    }
    if (path.dirname(dir) === dir)
      throw new Error(
        `${PACKAGE_NAME}: no package.json of ${PACKAGE_NAME} above ${start}: the package's files are incomplete`,
      );
  }
}

const found = findPackageRoot(import.meta.dirname);

/** The package's root folder (holds package.json, mappings/, proto/). */
export const PACKAGE_ROOT: string = found.root;
/** The package's own package.json (name, version). */
export const PACKAGE_MANIFEST: { readonly name: string; readonly version: string } = found.manifest;

/** A path inside the package, given relative to its root: packageFile('mappings', 'common.yaml'). */
export function packageFile(...parts: string[]): string {
  return path.join(PACKAGE_ROOT, ...parts);
}
