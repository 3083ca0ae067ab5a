// The repository builds, tests and benches from its own files: none names the team's shared folder
// beside the checkout (its data was copied in: reference/, test/fixtures/tracee/, test/data/,
// docs/notes/, each with its origin). .ci/run also runs the unit and component tests (this one too) in a
// `git archive` export with nothing beside it.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../helpers/samples.ts';

// assembled, so that this file does not name it itself
const OUTSIDE = new RegExp(['\\.\\./', 'shared\\b|/work/', 'shared\\b'].join(''));

/** The tracked files (git), or every file of an export that has no .git. */
function projectFiles(): string[] {
  if (fs.existsSync(path.join(ROOT, '.git')))
    return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  return fs
    .readdirSync(ROOT, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(ROOT, path.join(d.parentPath, d.name)))
    .filter((f) => !/^(node_modules|dist)\//.test(f));
}

describe('self-contained repository', () => {
  it('no file names the shared folder outside the repository', () => {
    const files = projectFiles();
    expect(files.length).toBeGreaterThan(100);
    const naming = files.filter(
      (f) =>
        !/\.(gz|tgz|png)$/.test(f) &&
        fs.existsSync(path.join(ROOT, f)) &&
        OUTSIDE.test(fs.readFileSync(path.join(ROOT, f), 'utf8')),
    );
    expect(naming).toEqual([]);
  });

  it('holds the data the tests and bench read, each with its origin beside it', () => {
    for (const f of [
      'reference/ecs_flat-9.4.0.yml',
      'reference/semconv-attributes-1.44.0.tsv',
      'reference/README.md',
      'test/fixtures/tracee/PROVENANCE.md',
      'test/data/tracee-net_packet_dns-24010.ndjson.gz',
      'test/data/README.md',
      'docs/notes/README.md',
    ]) {
      expect(fs.existsSync(path.join(ROOT, f)), f).toBe(true);
    }
  });
});
