// `tracee-exporter config check [FILE]` and `config print [FILE]`: validate a configuration the way
// `run` does at start-up (without connecting anywhere), and show the effective configuration with
// the environment applied and secrets masked. FILE defaults to $TRACEE_EXPORTER_CONFIG, else the
// environment alone (docs/configuration.md).

import { checkConfigFile, checkConfigWithPlugins } from '../config/check.ts';
import { effectiveConfigYaml } from '../config/effective.ts';

export interface ConfigCommandIO {
  out: (text: string) => void;
  err: (text: string) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * Exit status: 0 valid, 1 invalid (the message names file:line, the key and what is expected).
 * `type: module` exporters are code: imported and built from their options (not started) only with
 * `loadPlugins` (--load-plugins); otherwise the summary says they were skipped.
 */
export async function runConfigCheck(
  file: string | undefined,
  io: ConfigCommandIO,
  opts: { loadPlugins?: boolean } = {},
): Promise<number> {
  try {
    const env = io.env ?? process.env;
    const r = opts.loadPlugins ? await checkConfigWithPlugins(file, env) : checkConfigFile(file, env);
    if (!opts.loadPlugins && r.pluginChecks.length > 0) {
      const modules = r.pluginChecks.map((p) => r.config.exporters[p.index].module).join(', ');
      r.summary.push(
        `plugins: ${r.pluginChecks.length} module(s) not imported (${modules}): a plugin is code that runs with the exporter's privileges; --load-plugins imports and builds them`,
      );
    }
    io.out(`ok: ${r.source}\n${r.summary.map((l) => `  ${l}\n`).join('')}`);
    for (const w of r.warnings) io.err(`tracee-exporter: warning: ${w}\n`);
    return 0;
  } catch (err) {
    io.err(`tracee-exporter: config check: ${(err as Error).message}\n`);
    return 1;
  }
}

export function runConfigPrint(file: string | undefined, io: ConfigCommandIO): number {
  try {
    const env = io.env ?? process.env;
    const r = checkConfigFile(file, env);
    const { text, warnings } = effectiveConfigYaml(r.config, r.source, env, r.fileSecrets);
    for (const w of [...r.warnings, ...warnings]) io.err(`tracee-exporter: warning: ${w}\n`);
    io.out(text);
    return 0;
  } catch (err) {
    io.err(`tracee-exporter: config print: ${(err as Error).message}\n`);
    return 1;
  }
}
