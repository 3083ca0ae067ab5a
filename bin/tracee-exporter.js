#!/usr/bin/env node
// Entry point. Plain JavaScript any Node can parse, so that an unsupported Node prints which version
// is needed (from package.json `engines`) instead of a loader error. The installed package runs its
// build (dist/, from `npm run build`); a checkout runs its TypeScript sources (Node's type
// stripping), never a dist/ left from an earlier build.
import fs from 'node:fs';
import module from 'node:module';

const manifest = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const range = String(manifest.engines && manifest.engines.node);
const need = /^>=\s*(\d+)(?:\.(\d+))?/.exec(range);
const [major, minor] = process.versions.node.split('.').map(Number);
if (!need || major < Number(need[1]) || (major === Number(need[1]) && minor < Number(need[2] || 0))) {
  process.stderr.write(
    `tracee-exporter: needs Node.js ${range}; this is Node.js ${process.versions.node} (${process.execPath})\n`,
  );
  process.exit(1);
}

capHeap();

const sources = new URL('../src/cli/main.ts', import.meta.url);
if (fs.existsSync(sources)) {
  await import(sources.href);
} else {
  // V8's code cache on disk (in the temp folder; NODE_COMPILE_CACHE=dir moves it,
  // NODE_DISABLE_COMPILE_CACHE=1 turns it off): later starts do not compile the bundle again.
  // Where nothing can be written it stays off.
  try {
    module.enableCompileCache();
  } catch {
    /* start without it */
  }
  await import(new URL('../dist/tracee-exporter.js', import.meta.url).href);
}

/**
 * `run`: start again (execve: the same process, no parent left behind) with V8's heap capped from the
 * soft memory limit ($TRACEE_EXPORTER_MEMORY_LIMIT_MIB, else
 * memory_limit_mib: the top-level key of the --config file / $TRACEE_EXPORTER_CONFIG, else 128).
 * Why: on a machine with much RAM V8 lets its young generation grow to 3 × 64 MiB and its old one to
 * gigabytes before collecting (measured: 537 MB peak RSS on 240k events, bench --memory); capped, resident memory follows the live data (docs/delivery.md "Memory").
 * A flag the user gives (node's command line or NODE_OPTIONS) wins for what it sets, and only for
 * that: an old-space size of their own used to skip every flag here, and V8's default young
 * generation then took peak RSS from 133 to 248 MB (--max-old-space-size=192, bench --memory).
 * With every one of them given, or memory_limit_mib: 0, there is no restart.
 */
function capHeap() {
  if (process.argv[2] !== 'run' || typeof process.execve !== 'function' || process.platform === 'win32') return;
  // as Node and V8 read them: NODE_OPTIONS tokens may be quoted, a flag may start with one dash or
  // two, and "_" and "-" are alike in its name
  const given = [...process.execArgv, ...String(process.env.NODE_OPTIONS || '').split(/\s+/)].map((a) =>
    a.replace(/^"(.*)"$/, '$1').replace(/^--?([^=]*)/, (_all, name) => `--${name.replaceAll('_', '-')}`),
  );
  const gives = (re) => given.some((a) => re.test(a));
  // a whole-heap size of the user's own sizes both generations (V8 refuses it beside either size)
  const heapGiven = gives(/^--max-heap-size\b/);
  const oldGiven = heapGiven || gives(/^--max-old-space-size/); // also --max-old-space-size-percentage
  // a minimum of the user's own leaves our maximum in force (V8 then caps at the maximum)
  const youngGiven = heapGiven || gives(/^--max-semi-space-size\b/);
  const pretenuringGiven = gives(/^--(no-)?allocation-site-pretenuring\b/);
  const recompilationGiven = gives(/^--(no-)?concurrent-recompilation\b/);
  if (oldGiven && youngGiven && pretenuringGiven && recompilationGiven) return;
  // the variable wins over the file, as it does for the soft limit itself (the config's env overlay);
  // a value that is not a plain number (a ${file:…} reference the config resolves) is not read here
  const fromEnv = /^\s*\d+\s*$/.test(process.env.TRACEE_EXPORTER_MEMORY_LIMIT_MIB || '')
    ? process.env.TRACEE_EXPORTER_MEMORY_LIMIT_MIB
    : undefined;
  let mib = Number(fromEnv || 128);
  const at = process.argv.indexOf('--config');
  const file =
    at > 0
      ? process.argv[at + 1]
      : (process.argv.find((a) => a.startsWith('--config='))?.slice(9) ?? process.env.TRACEE_EXPORTER_CONFIG);
  if (file && !fromEnv) {
    try {
      const m = /^memory_limit_mib:[ \t]*(\d+)[ \t]*(?:#.*)?$/m.exec(fs.readFileSync(file, 'utf8'));
      if (m) mib = Number(m[1]);
    } catch {
      /* the command reports an unreadable config itself */
    }
  }
  if (!(mib > 0)) return;
  // old generation: 4 × the limit, so the soft limit (heap used + buffers) acts well before V8 runs
  // out of heap (measured: the old cap barely changes RSS, a tight one crashes with out-of-memory);
  // young: 3 semi-spaces of the largest power of two ≤ limit / 16, 1 to 8 MiB (V8 rounds the size up
  // to a power of two; its default here is 3 × 64 MiB: most of the extra RSS). 8 MiB at the default
  // 128: half the scavenges of 4 MiB, each copying about the same survivors (the queued items).
  // Measured, installed, 240k events, alternated: GC 5.8-6.4 -> 4.3-4.4 % of the main thread, CPU
  // -1 to -3 %, peak RSS +8 MB (DNS capture -> OTLP 124-125 -> 132-134 MB, mixed stream 135-137 ->
  // 142-144, ECS 133-136 -> 138-142; docs/performance.md "Young generation")
  const oldMib = Math.max(256, 4 * mib);
  const semiMib = 2 ** Math.min(3, Math.max(0, Math.floor(Math.log2(mib / 16))));
  // no allocation-site pretenuring: V8 decides per allocation site, from the first collections, to
  // allocate its objects straight in old space when most of them survived; a stream's per-event
  // objects survive only while their batch or chunk is in flight, yet once a site is tenured every
  // later event's objects fill old space and need full collections (measured, 240k events: a worker
  // thread of `workers: 1` 790 MB old-space garbage and 85 full GCs -> 6 MB and 2, CPU -20%;
  // `workers: 0` unchanged. docs/performance.md "Pretenuring")
  // no concurrent recompilation: V8's optimizing compiler then runs on the thread whose code got
  // hot instead of a helper thread, whose freed compiler memory stayed resident (a thread's malloc
  // arena). Measured, 240k events file -> OTLP, installed, 4 alternated pairs: peak RSS 131-140 ->
  // 122-124 MB on the DNS capture, 149-163 -> 136-138 MB on a mixed stream (every event group's
  // generated writers), CPU per event within the runs' spread (docs/performance.md)
  const argv = [
    process.execPath,
    ...process.execArgv,
    ...(oldGiven ? [] : [`--max-old-space-size=${oldMib}`]),
    ...(youngGiven ? [] : [`--max-semi-space-size=${semiMib}`]),
    ...(pretenuringGiven ? [] : ['--no-allocation-site-pretenuring']),
    ...(recompilationGiven ? [] : ['--no-concurrent-recompilation']),
    ...process.argv.slice(1),
  ];
  // glibc's malloc gives each thread that allocates (V8's compiler and GC helpers, libuv's pool) an
  // arena of its own, up to 8 per core, each keeping freed pages; two arenas: 7 MB less peak RSS on
  // the 240k-event run, CPU unchanged (bench --memory, issue #16). Other C libraries ignore it.
  const env = process.env.MALLOC_ARENA_MAX === undefined ? { ...process.env, MALLOC_ARENA_MAX: '2' } : process.env;
  try {
    process.execve(process.execPath, argv, env);
  } catch {
    /* run uncapped */
  }
}
