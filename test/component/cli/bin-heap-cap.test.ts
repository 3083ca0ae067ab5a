// bin/tracee-exporter.js `run` starts again (execve, same pid) with V8's heap capped from
// memory_limit_mib, allocation-site pretenuring and concurrent recompilation off and glibc's malloc
// held to two arenas (issue #16); a flag of the user's own wins for what it sets, and only for that.
// Read from /proc: Linux only.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** The command line and environment of `pid` once it has re-executed itself (undefined if it exited first or never did). */
async function afterReExec(
  pid: number,
  exited: () => boolean,
  reExecuted = (argv: string[]) => argv.includes('--no-concurrent-recompilation'),
): Promise<{ argv: string[]; env: string[] } | undefined> {
  const deadline = Date.now() + 15_000; // a restart comes before the command loads: well within this
  for (;;) {
    if (exited() || Date.now() > deadline) return undefined;
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (reExecuted(argv)) {
        return { argv, env: fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0') };
      }
    } catch {
      /* not there yet, or gone */
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function start(env: NodeJS.ProcessEnv, configText: string, nodeFlags: string[] = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bin-heap-cap-'));
  const config = path.join(dir, 'config.yaml');
  fs.writeFileSync(config, configText);
  const child = spawn(
    process.execPath,
    [...nodeFlags, path.join(ROOT, 'bin/tracee-exporter.js'), 'run', '--config', config],
    { env, stdio: ['pipe', 'pipe', 'ignore'] },
  );
  let done = false;
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      done = true;
      resolve(code);
    }),
  );
  return { child, exited: () => done, exit, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** `run` started with `env`, `configText` and `nodeFlags`, seen after its restart, then ended: its exit code and what /proc showed. */
async function reExecOf(env: NodeJS.ProcessEnv, configText: string, nodeFlags: string[] = []) {
  const r = start(env, configText, nodeFlags);
  const seen = await afterReExec(r.child.pid!, r.exited);
  r.child.stdin.end();
  const code = await r.exit;
  r.cleanup();
  return { seen, code };
}

const CONFIG = 'version: 1\nnode: {name: n}\nsources: [{type: stdin}]\nexporters: [{type: console}]\n';

describe.runIf(process.platform === 'linux')('bin: run re-executes with memory caps', () => {
  it('caps the heap from memory_limit_mib, turns pretenuring and concurrent recompilation off and sets MALLOC_ARENA_MAX=2', async () => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    delete env.MALLOC_ARENA_MAX;
    const { seen, code } = await reExecOf(env, `memory_limit_mib: 100\n${CONFIG}`);
    expect(code).toBe(0);
    expect(seen?.argv).toContain('--max-old-space-size=400');
    expect(seen?.argv).toContain('--max-semi-space-size=4');
    expect(seen?.argv).toContain('--no-allocation-site-pretenuring');
    expect(seen?.argv).toContain('--no-concurrent-recompilation');
    expect(seen?.env).toContain('MALLOC_ARENA_MAX=2');
  });

  it('TRACEE_EXPORTER_MEMORY_LIMIT_MIB wins over the file, as it does for the soft limit', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TRACEE_EXPORTER_MEMORY_LIMIT_MIB: '200' };
    delete env.NODE_OPTIONS;
    const { seen, code } = await reExecOf(env, `memory_limit_mib: 100\n${CONFIG}`);
    expect(code).toBe(0);
    expect(seen?.argv).toContain('--max-old-space-size=800');
    expect(seen?.argv).toContain('--max-semi-space-size=8');
  });

  it('sizes the young generation from the limit: 8 MiB semi-spaces at the default 128, smaller below', async () => {
    const semiAt = async (limitLine: string) => {
      const env = { ...process.env };
      delete env.NODE_OPTIONS;
      delete env.TRACEE_EXPORTER_MEMORY_LIMIT_MIB;
      const { seen, code } = await reExecOf(env, `${limitLine}${CONFIG}`);
      expect(code).toBe(0);
      return seen?.argv.find((a) => a.startsWith('--max-semi-space-size='));
    };
    expect(await semiAt('')).toBe('--max-semi-space-size=8');
    expect(await semiAt('memory_limit_mib: 32\n')).toBe('--max-semi-space-size=2');
    expect(await semiAt('memory_limit_mib: 20\n')).toBe('--max-semi-space-size=1');
  });

  it('a TRACEE_EXPORTER_MEMORY_LIMIT_MIB that is not a number (a ${file:…} reference) leaves the file line in force', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TRACEE_EXPORTER_MEMORY_LIMIT_MIB: '${file:/run/secrets/limit}' };
    delete env.NODE_OPTIONS;
    const { seen } = await reExecOf(env, `memory_limit_mib: 100\n${CONFIG}`);
    expect(seen?.argv).toContain('--max-old-space-size=400');
  });

  it("keeps the user's own MALLOC_ARENA_MAX", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, MALLOC_ARENA_MAX: '4' };
    delete env.NODE_OPTIONS;
    const { seen, code } = await reExecOf(env, CONFIG);
    expect(code).toBe(0);
    expect(seen?.env).toContain('MALLOC_ARENA_MAX=4');
  });
  /** The environment without the variables these tests set. */
  const plainEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
    if (!('NODE_OPTIONS' in extra)) delete env.NODE_OPTIONS;
    if (!('MALLOC_ARENA_MAX' in extra)) delete env.MALLOC_ARENA_MAX;
    delete env.TRACEE_EXPORTER_MEMORY_LIMIT_MIB;
    return env;
  };

  it("an old-space size of the user's own (NODE_OPTIONS) keeps theirs and still gets the other flags", async () => {
    const { seen, code } = await reExecOf(plainEnv({ NODE_OPTIONS: '--max-old-space-size=300' }), CONFIG);
    expect(code).toBe(0);
    expect(seen?.argv.filter((a) => a.startsWith('--max-old-space-size'))).toEqual([]);
    expect(seen?.env).toContain('NODE_OPTIONS=--max-old-space-size=300');
    expect(seen?.argv).toContain('--max-semi-space-size=8');
    expect(seen?.argv).toContain('--no-allocation-site-pretenuring');
    expect(seen?.env).toContain('MALLOC_ARENA_MAX=2');
  });

  it("a young-generation flag of the user's own, spelt with underscores, is not doubled", async () => {
    const { seen, code } = await reExecOf(plainEnv(), CONFIG, ['--max_semi_space_size=2']);
    expect(code).toBe(0);
    expect(seen?.argv.filter((a) => /^--max[-_]semi[-_]space[-_]size/.test(a))).toEqual(['--max_semi_space_size=2']);
    expect(seen?.argv).toContain('--max-old-space-size=512');
  });

  it("a whole-heap size of the user's own sizes both generations: no size flag of ours", async () => {
    const { seen, code } = await reExecOf(plainEnv(), CONFIG, ['--max-heap-size=300']);
    expect(code).toBe(0);
    expect(seen?.argv.filter((a) => /^--max-(old|semi)-space-size/.test(a))).toEqual([]);
    expect(seen?.argv).toContain('--no-concurrent-recompilation');
  });

  it('reads flags as Node does: one dash, a quoted NODE_OPTIONS token; a minimum semi-space keeps our maximum', async () => {
    const { seen: a, code: oneDashCode } = await reExecOf(plainEnv(), CONFIG, ['-max-heap-size=300']);
    // V8 refuses a heap size beside either generation's size: a flag of ours there would crash it
    expect(oneDashCode).toBe(0);
    expect(a?.argv.filter((x) => /^--max-(old|semi)-space-size/.test(x))).toEqual([]);

    const { seen: b, code: quotedCode } = await reExecOf(
      plainEnv({ NODE_OPTIONS: '"--max-old-space-size=300"' }),
      CONFIG,
    );
    expect(quotedCode).toBe(0);
    expect(b?.argv.filter((x) => x.startsWith('--max-old-space-size'))).toEqual([]);
    expect(b?.argv).toContain('--max-semi-space-size=8');

    const { seen: c, code: minCode } = await reExecOf(plainEnv(), CONFIG, ['--min-semi-space-size=1']);
    expect(minCode).toBe(0);
    expect(c?.argv).toContain('--max-semi-space-size=8');
  });

  it('every flag given by the user: no restart', async () => {
    const flags = [
      '--max-old-space-size=300',
      '--max-semi-space-size=2',
      '--allocation-site-pretenuring',
      '--concurrent-recompilation',
    ];
    const r = start(plainEnv(), CONFIG, flags);
    // one event through: by then a restart would have happened (it comes before the command loads)
    const line = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').split('\n')[0];
    const out = new Promise<void>((resolve) => r.child.stdout!.once('data', () => resolve()));
    r.child.stdin.write(`${line}\n`);
    await out;
    const argv = fs.readFileSync(`/proc/${r.child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const env = fs.readFileSync(`/proc/${r.child.pid}/environ`, 'utf8').split('\0');
    r.child.stdin.end();
    expect(await r.exit).toBe(0);
    r.cleanup();
    expect(argv.slice(1, 1 + flags.length)).toEqual(flags);
    expect(argv.filter((a) => a.startsWith('--')).filter((a) => !flags.includes(a) && a !== '--config')).toEqual([]);
    expect(env).not.toContain('MALLOC_ARENA_MAX=2');
  });
});
