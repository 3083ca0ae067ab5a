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
  process.stderr.write(`tracee-exporter: needs Node.js ${range}; this is Node.js ${process.versions.node} (${process.execPath})\n`);
  process.exit(1);
}

const sources = new URL('../src/cli/main.ts', import.meta.url);
if (fs.existsSync(sources)) {
  await import(sources.href);
} else {
  // V8's code cache on disk (in the temp folder; NODE_COMPILE_CACHE=dir moves it,
  // NODE_DISABLE_COMPILE_CACHE=1 turns it off): later starts do not compile the bundle again.
  // Where nothing can be written it stays off.
  try { module.enableCompileCache(); } catch { /* start without it */ }
  await import(new URL('../dist/tracee-exporter.js', import.meta.url).href);
}
