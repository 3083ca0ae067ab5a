// The command as users install it: npm pack (which builds dist/) + npm install -g of the tarball
// into a temporary prefix. Returns its bin/tracee-exporter.js (the folder is removed at exit).
// The benchmarks that measure the command (start-up, memory, peer) run this, not the TypeScript
// sources: a checkout's bin runs the sources through Node's type stripping, which costs ≈ 25 MB of
// resident memory and start-up CPU that the installed bundle does not.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

export function installPackage(quiet: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-bench-install-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const stdio = quiet ? ('ignore' as const) : ('inherit' as const);
  execFileSync('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: ROOT, stdio });
  const tgz = fs.readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
  execFileSync(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      path.join(dir, 'prefix'),
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      path.join(dir, tgz),
    ],
    { cwd: dir, stdio },
  );
  return path.join(dir, 'prefix/lib/node_modules/tracee-exporter/bin/tracee-exporter.js');
}
