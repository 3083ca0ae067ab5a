// The example collector configurations in examples/collector/ must pass `otelcol validate` with a
// real collector binary built from Go modules (scripts/services/collector-validate.sh; each example
// names its build target in a `# validate-with:` line). The first run builds the binaries
// (minutes when the Go caches are cold), hence the long hook timeout.
//
// Known gap: otlp-to-elasticsearch.yaml is validated with a stand-in for the elasticsearch exporter
// (the Go module proxy does not serve it), so that exporter's own settings are not checked.

import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCollector, collectorExampleFiles, validateCollectorConfig } from '../helpers/collector.ts';

const examples = collectorExampleFiles();

describe('examples/collector validate with a real collector', () => {
  beforeAll(async () => {
    // Build both targets up front so no single test carries the build time.
    await buildCollector('collector');
    await buildCollector('collector-contrib');
  }, 1_800_000);

  it('has the three documented examples, each with a validate-with line', () => {
    const names = examples.map((f) => path.basename(f));
    expect(names).toEqual(
      expect.arrayContaining(['otlp-k8s-enrichment.yaml', 'otlp-to-debug-file.yaml', 'otlp-to-elasticsearch.yaml']),
    );
    for (const f of examples) expect(fs.readFileSync(f, 'utf8'), f).toMatch(/^# validate-with: \S+/m);
  });

  it.each(examples.map((f) => [path.basename(f), f]))(
    '%s validates',
    async (_name, file) => {
      const r = await validateCollectorConfig(file);
      expect(r.code, `collector-validate.sh ${file}\n${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^OK /m);
    },
    120_000,
  );

  it('rejects a broken config (the validation is real)', async () => {
    const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'collector-validate-'));
    try {
      const broken = path.join(dir, 'broken.yaml');
      const good = fs.readFileSync(examples.find((f) => f.endsWith('otlp-to-debug-file.yaml'))!, 'utf8');
      // An unknown key in the file exporter must fail validation.
      fs.writeFileSync(broken, good.replace('    format: json\n', '    format: json\n    no_such_setting: 1\n'));
      expect(fs.readFileSync(broken, 'utf8')).toContain('no_such_setting');
      const r = await validateCollectorConfig(broken);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toMatch(/no_such_setting/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
