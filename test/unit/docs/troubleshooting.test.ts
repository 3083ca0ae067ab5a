import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../helpers/samples.ts';

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? tsFiles(p) : d.name.endsWith('.ts') ? [p] : [];
  });
}

/**
 * Every rejection code the input side can emit: `code: 'x'` on error records and decode results,
 * code unions (`RejectCode = 'a' | 'b'`, `code: 'a' | 'b'`), and the codes ingest passes to reject().
 */
function emittedRejectionCodes(): Map<string, string> {
  const codes = new Map<string, string>();
  const files = [
    ...tsFiles(path.join(ROOT, 'src/sources')),
    ...tsFiles(path.join(ROOT, 'src/normalize')),
    ...tsFiles(path.join(ROOT, 'src/pipeline')),
  ];
  const add = (code: string, file: string) => {
    if (!codes.has(code)) codes.set(code, path.relative(ROOT, file));
  };
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\bcode\??:\s*((?:'[a-z][a-z0-9_]*'\s*\|?\s*)+)/g))
      for (const c of m[1].matchAll(/'([a-z][a-z0-9_]*)'/g)) add(c[1], f);
    for (const m of text.matchAll(/type RejectCode\s*=\s*([^;]+);/g))
      for (const c of m[1].matchAll(/'([a-z][a-z0-9_]*)'/g)) add(c[1], f);
    for (const m of text.matchAll(/\breject\((?:'([a-z][a-z0-9_]*)'|[^;]*?,\s*'([a-z][a-z0-9_]*)'\))/g))
      add(m[1] ?? m[2], f);
    for (const m of text.matchAll(/\bbad\([^,]+,\s*'([a-z][a-z0-9_]*)'/g)) add(m[1], f);
  }
  return codes;
}

describe('docs/troubleshooting.md', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/troubleshooting.md'), 'utf8');
  const section = doc.slice(
    doc.indexOf('## Rejected input'),
    doc.indexOf('\n## ', doc.indexOf('## Rejected input') + 5),
  );

  it('documents every rejection code the code can emit', () => {
    const codes = emittedRejectionCodes();
    // the extraction itself works: the codes known today are found
    for (const known of [
      'malformed_json',
      'not_an_object',
      'unknown_shape',
      'wrong_type',
      'too_large',
      'too_deep',
      'invalid_utf8',
      'map_error',
      'queue_full',
    ])
      expect([...codes.keys()]).toContain(known);
    for (const [code, file] of codes)
      expect(
        section,
        `rejection code ${code} (emitted in ${file}) is not in docs/troubleshooting.md "Rejected input"`,
      ).toContain(`| \`${code}\` |`);
  });

  it('lists every /readyz reason and webhook error the code answers with', () => {
    const readiness = fs.readFileSync(path.join(ROOT, 'src/telemetry/readiness.ts'), 'utf8');
    for (const m of readiness.matchAll(/reason: '([^']+)'/g)) if (m[1] !== 'ready') expect(doc, m[1]).toContain(m[1]);
    const server = fs.readFileSync(path.join(ROOT, 'src/sources/webhook/server.ts'), 'utf8');
    for (const m of server.matchAll(/refuse\((\d{3}), '([^']+)'/g)) expect(doc, `${m[1]} ${m[2]}`).toContain(m[2]);
    for (const m of server.matchAll(/refuse\((\d{3}), `([^`$]+)/g))
      expect(doc, `${m[1]} ${m[2]}`).toContain(m[2].trim());
  });

  it('names the Elasticsearch answers the exporter turns into rejections', () => {
    const classify = fs.readFileSync(path.join(ROOT, 'src/exporters/elasticsearch/classify.ts'), 'utf8');
    for (const m of classify.matchAll(/reason: `HTTP (\d{3}) from Elasticsearch: ([^:`(]+)/g))
      expect(doc, m[0]).toContain(`HTTP ${m[1]} from Elasticsearch: ${m[2].trim()}`);
  });
});
