// npm run build: the published command is compiled JavaScript (Node refuses to strip types under
// node_modules). One esbuild bundle of src/cli/main.ts into dist/ (code splitting keeps `run` and
// `config` in chunks that `map` never loads), and dist/builtin-mappings.json: the built-in mapping
// tables read and schema-checked here once, so the command does not parse YAML at every start. The
// run-config validator is compiled here too (Ajv standalone code), not at every start.
// A bundle rather than a `tsc` emit, with the dependencies in it: it starts faster (measured for
// issue 13: `run` ready after 0.22 CPU-s against 0.52 for a `tsc` emit, which loads its modules and
// every dependency's files one by one; dependencies left outside the bundle: +45%), and the
// installed package needs no other package. Their licenses go to dist/THIRD-PARTY-LICENSES.txt.
//   node scripts/build.ts [--outdir dist]

import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { RUN_CONFIG_AJV_OPTIONS } from '../src/config/run-config-validator.ts';
import { runConfigSchema } from '../src/config/model.ts';
import { BUILTIN_SNAPSHOT_FILE, loadMappingTables, type BuiltinSnapshot } from '../src/mapping/load.ts';
import { loadTrimGroups } from '../src/mapping/trim.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values: opts } = parseArgs({ options: { outdir: { type: 'string', default: 'dist' } } });
const outdir = path.resolve(ROOT, opts.outdir!);

fs.rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: {
    'tracee-exporter': path.join(ROOT, 'src/cli/main.ts'),
    // the worker threads of `workers: N` (src/pipeline/workers/pool.ts starts dist/pipeline-worker.js)
    'pipeline-worker': path.join(ROOT, 'src/pipeline/workers/worker-main.ts'),
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  // bundled CommonJS dependencies call require(): give the ES module bundle one
  banner: {
    js: "import { createRequire as __trex_createRequire } from 'node:module'; const require = __trex_createRequire(import.meta.url);",
  },
  legalComments: 'none',
  // whitespace and syntax minified, names kept (stack traces still name the functions): V8 holds
  // each loaded chunk's source text for the process's life. 7.6 -> 5.0 MB of dist/; measured,
  // installed, `run` with OTLP and Elasticsearch exporters ready: 95.3 -> 89.1 MB RSS (9 alternated
  // runs); 240k events file -> OTLP: peak RSS 132-134 -> 129-131 MB (4 pairs), CPU within the spread
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [precompiledRunConfigValidator()],
  metafile: true,
  logLevel: 'warning',
});
if (result.errors.length > 0) process.exit(1);

writeThirdPartyLicenses(Object.keys(result.metafile!.inputs));

// the tables as the sources load them (every file schema-checked), stored as JSON
const { overrides: _none, ...tables } = loadMappingTables();
const snapshot: BuiltinSnapshot = { tables, trimGroups: loadTrimGroups() };
const text = JSON.stringify(snapshot);
if (!isDeepStrictEqual(JSON.parse(text), snapshot))
  throw new Error('the mapping tables do not survive a JSON round trip: the snapshot would differ from mappings/');
fs.writeFileSync(path.join(outdir, BUILTIN_SNAPSHOT_FILE), text);

const files = fs.readdirSync(outdir);
const bytes = files.reduce((n, f) => n + fs.statSync(path.join(outdir, f)).size, 0);
process.stderr.write(
  `built ${path.relative(ROOT, outdir)}/: ${files.length} files, ${(bytes / 1024).toFixed(0)} KiB\n`,
); // stderr: `npm pack --json` prints on stdout

/** The license text of every package the bundle holds code of (MIT, Apache-2.0, BSD, ISC: keep the notices). */
function writeThirdPartyLicenses(inputs: string[]): void {
  const dirs = new Set<string>();
  for (const input of inputs) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(path.resolve(ROOT, m[1]));
  }
  const parts: string[] = [];
  for (const dir of [...dirs].sort()) {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license?: string;
    };
    const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    if (file === undefined)
      throw new Error(
        `${pkg.name}@${pkg.version} (${pkg.license}) is bundled but ships no license file: add its notice by hand`,
      );
    parts.push(
      `${pkg.name}@${pkg.version} (${pkg.license})\n\n${fs.readFileSync(path.join(dir, file), 'utf8').trim()}\n`,
    );
  }
  const head = `tracee-exporter's dist/ bundles code of these ${parts.length} packages, under their own licenses:\n`;
  fs.writeFileSync(path.join(outdir, 'THIRD-PARTY-LICENSES.txt'), [head, ...parts].join(`\n${'-'.repeat(72)}\n\n`));
}

/** src/config/run-config-validator.ts, as Ajv's standalone code for the schema it would compile. */
function precompiledRunConfigValidator(): Plugin {
  return {
    name: 'precompiled-run-config-validator',
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/]config[\\/]run-config-validator\.ts$/ }, () => {
        const schema = runConfigSchema();
        const ajv = new Ajv({ ...RUN_CONFIG_AJV_OPTIONS, code: { source: true, esm: true } });
        const code = standaloneCode.default(ajv, ajv.compile(schema));
        return {
          contents: `${code}\nexport function runConfigValidator() { return validate; }\n`,
          loader: 'js',
          resolveDir: ROOT,
        };
      });
    },
  };
}
