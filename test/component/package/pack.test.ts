// What `npm pack` would publish (the `files` list of package.json): the build, the runtime data
// (mappings/, proto/, JSON schema, index templates) and bin/, and nothing of the tests, bench,
// scripts, TypeScript sources, Go sources or keys. dist/ itself is checked by scripts/package-smoke.sh
// (CI), which builds, packs, installs and runs it.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../helpers/samples.ts';

// --ignore-scripts: no build (prepack) for a listing
const listing = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }),
) as Array<{ files: Array<{ path: string }> }>;
const files = listing[0].files.map((f) => f.path);

describe('npm pack', () => {
  it('publishes no tests, bench, scripts, docs, sources or keys', () => {
    const forbidden = files.filter(
      (f) =>
        /^(test|bench|scripts|docs|examples|charts|\.ci)\//.test(f) ||
        /\.(ts|go|pem|key|crt|tgz)$/.test(f) ||
        f.includes('fixtures'),
    );
    expect(forbidden).toEqual([]);
    // the TLS test key the repository holds is not among them
    expect(fs.existsSync(path.join(ROOT, 'test/fixtures/tls'))).toBe(true);
  });

  it('publishes every file the command reads at run time', () => {
    for (const f of [
      'package.json',
      'README.md',
      'LICENSE',
      'bin/tracee-exporter.js',
      'bin/healthcheck.js',
      'mappings/common.yaml',
      'mappings/schema/mapping-table.schema.json',
      'mappings/reference/ecs-9.4.0-types.json',
      'proto/tracee/v1beta1/tracee.proto',
      'src/config/run-config.schema.json',
      'src/exporters/elasticsearch/templates/logs-tracee-index-template.json',
    ])
      expect(files, f).toContain(f);
    const tracked = (dir: string) =>
      fs
        .readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => path.relative(ROOT, path.join(d.parentPath, d.name)));
    for (const f of [...tracked('mappings'), ...tracked('proto')]) expect(files, f).toContain(f);
  });
});
