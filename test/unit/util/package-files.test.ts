import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_MANIFEST, PACKAGE_ROOT, packageFile } from '../../../src/util/package-files.ts';
import { ROOT } from '../../helpers/samples.ts';

describe('package-files', () => {
  it('finds the package root from the sources and resolves shipped files under it', () => {
    expect(PACKAGE_ROOT).toBe(ROOT);
    expect(PACKAGE_MANIFEST.name).toBe('tracee-exporter');
    expect(PACKAGE_MANIFEST.version).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    expect(packageFile('mappings', 'common.yaml')).toBe(path.join(ROOT, 'mappings/common.yaml'));
    expect(fs.existsSync(packageFile('proto/tracee/v1beta1/tracee.proto'))).toBe(true);
  });
});
