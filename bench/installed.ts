// The command as users install it: npm pack (which builds dist/) + npm install -g of the tarball
// into a temporary prefix. Returns its bin/tracee-exporter.js (the folder is removed at exit).
// The benchmarks that measure the command (start-up, memory, peer) run this, not the TypeScript
// sources: a checkout's bin runs the sources through Node's type stripping, which costs ≈ 25 MB of
// resident memory and start-up CPU that the installed bundle does not.
// installRef does the same for another commit of this repository (`bench --peer --vs <ref>`): a
// detached git worktree of it, packed with this checkout's node_modules (the build tools), removed at exit.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

export function installPackage(quiet: boolean, from: string = ROOT): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-bench-install-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const stdio = quiet ? ('ignore' as const) : ('inherit' as const);
  execFileSync('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: from, stdio });
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

/** The installed command of commit `ref` of this repository (a tag, branch or hash), and that commit's hash. */
export function installRef(ref: string, quiet: boolean): { bin: string; commit: string } {
  const git = (...a: string[]) => execFileSync('git', a, { cwd: ROOT, encoding: 'utf8' }).trim();
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-bench-ref-'));
  fs.rmdirSync(tree);
  git('worktree', 'prune'); // registrations left by an interrupted run (exit handlers do not run on a signal)
  git('worktree', 'add', '--detach', '--quiet', tree, commit);
  const remove = () => {
    try {
      execFileSync('git', ['worktree', 'remove', '--force', tree], { cwd: ROOT, stdio: 'ignore' });
    } catch {
      fs.rmSync(tree, { recursive: true, force: true });
    }
  };
  process.on('exit', remove);
  try {
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules'), 'dir');
    return { bin: installPackage(quiet, tree), commit };
  } catch (err) {
    remove();
    throw err;
  }
}
