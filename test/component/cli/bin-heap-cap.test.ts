// bin/tracee-exporter.js `run` without a heap flag of the user's own starts again (execve, same pid)
// with V8's heap capped from memory_limit_mib, allocation-site pretenuring off and glibc's malloc held
// to two arenas (issue #16).
// Read from /proc: Linux only.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** The command line and environment of `pid` once it has re-executed itself (or undefined if it exited first). */
async function afterReExec(pid: number, exited: () => boolean): Promise<{ argv: string[]; env: string[] } | undefined> {
  for (;;) {
    if (exited()) return undefined;
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.startsWith('--max-semi-space-size='))) {
        return { argv, env: fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0') };
      }
    } catch {
      /* not there yet, or gone */
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function start(env: NodeJS.ProcessEnv, configText: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bin-heap-cap-'));
  const config = path.join(dir, 'config.yaml');
  fs.writeFileSync(config, configText);
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/tracee-exporter.js'), 'run', '--config', config], {
    env,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  let done = false;
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      done = true;
      resolve(code);
    }),
  );
  return { child, exited: () => done, exit, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const CONFIG = 'version: 1\nnode: {name: n}\nsources: [{type: stdin}]\nexporters: [{type: console}]\n';

describe.runIf(process.platform === 'linux')('bin: run re-executes with memory caps', () => {
  it('caps the heap from memory_limit_mib, turns pretenuring and concurrent recompilation off and sets MALLOC_ARENA_MAX=2', async () => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    delete env.MALLOC_ARENA_MAX;
    const r = start(env, `memory_limit_mib: 100\n${CONFIG}`);
    const seen = await afterReExec(r.child.pid!, r.exited);
    r.child.stdin.end();
    expect(await r.exit).toBe(0);
    r.cleanup();
    expect(seen?.argv).toContain('--max-old-space-size=400');
    expect(seen?.argv).toContain('--max-semi-space-size=4');
    expect(seen?.argv).toContain('--no-allocation-site-pretenuring');
    expect(seen?.argv).toContain('--no-concurrent-recompilation');
    expect(seen?.env).toContain('MALLOC_ARENA_MAX=2');
  });

  it('TRACEE_EXPORTER_MEMORY_LIMIT_MIB wins over the file, as it does for the soft limit', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TRACEE_EXPORTER_MEMORY_LIMIT_MIB: '200' };
    delete env.NODE_OPTIONS;
    const r = start(env, `memory_limit_mib: 100\n${CONFIG}`);
    const seen = await afterReExec(r.child.pid!, r.exited);
    r.child.stdin.end();
    expect(await r.exit).toBe(0);
    r.cleanup();
    expect(seen?.argv).toContain('--max-old-space-size=800');
    expect(seen?.argv).toContain('--max-semi-space-size=8');
  });

  it('sizes the young generation from the limit: 8 MiB semi-spaces at the default 128, smaller below', async () => {
    const semiAt = async (limitLine: string) => {
      const env = { ...process.env };
      delete env.NODE_OPTIONS;
      delete env.TRACEE_EXPORTER_MEMORY_LIMIT_MIB;
      const r = start(env, `${limitLine}${CONFIG}`);
      const seen = await afterReExec(r.child.pid!, r.exited);
      r.child.stdin.end();
      expect(await r.exit).toBe(0);
      r.cleanup();
      return seen?.argv.find((a) => a.startsWith('--max-semi-space-size='));
    };
    expect(await semiAt('')).toBe('--max-semi-space-size=8');
    expect(await semiAt('memory_limit_mib: 32\n')).toBe('--max-semi-space-size=2');
    expect(await semiAt('memory_limit_mib: 20\n')).toBe('--max-semi-space-size=1');
  });

  it('a TRACEE_EXPORTER_MEMORY_LIMIT_MIB that is not a number (a ${file:…} reference) leaves the file line in force', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TRACEE_EXPORTER_MEMORY_LIMIT_MIB: '${file:/run/secrets/limit}' };
    delete env.NODE_OPTIONS;
    const r = start(env, `memory_limit_mib: 100\n${CONFIG}`);
    const seen = await afterReExec(r.child.pid!, r.exited);
    r.child.stdin.end();
    await r.exit;
    r.cleanup();
    expect(seen?.argv).toContain('--max-old-space-size=400');
  });

  it("keeps the user's own MALLOC_ARENA_MAX", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, MALLOC_ARENA_MAX: '4' };
    delete env.NODE_OPTIONS;
    const r = start(env, CONFIG);
    const seen = await afterReExec(r.child.pid!, r.exited);
    r.child.stdin.end();
    expect(await r.exit).toBe(0);
    r.cleanup();
    expect(seen?.env).toContain('MALLOC_ARENA_MAX=4');
  });
});
