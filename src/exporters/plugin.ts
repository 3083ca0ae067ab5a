// Third-party exporters (`type: module`): a JavaScript/TypeScript module, named by npm package or
// by path, loaded with dynamic import before the pipeline is built. Its factory returns an
// Exporter (src/model/exporter.ts) and the pipeline wraps it in the same delivery layer as a
// built-in exporter (queue, batching, retries, dead letter). Interface: docs/exporters/plugins.md.

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { collectSecrets, scrub } from '../util/secrets.ts';
import type { Exporter } from '../model/exporter.ts';
import type { ExporterContext, ExporterFactory } from './registry.ts';

export class PluginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginError';
  }
}

/** `./x.js`, `../x.mjs`, `/abs/x.ts` or `file:` URL: a path; anything else: an npm package name. */
function isPath(spec: string): boolean {
  return spec.startsWith('.') || path.isAbsolute(spec) || spec.startsWith('file:');
}

/**
 * The import specifier for `module`: paths relative to `baseDir` (the config file's folder);
 * package names as they are (resolved from tracee-exporter's own node_modules).
 */
export function moduleSpecifier(spec: string, baseDir: string): string {
  if (spec.startsWith('file:')) return spec;
  if (isPath(spec)) return pathToFileURL(path.resolve(baseDir, spec)).href;
  return spec;
}

/** Load one plugin module and return its factory, checked. `where`: e.g. "exporters[2]". */
export async function loadExporterModule(spec: string, baseDir: string, where: string): Promise<ExporterFactory> {
  if (typeof spec !== 'string' || spec === '')
    throw new PluginError(`${where}.module: expected an npm package name or a path to a module`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(moduleSpecifier(spec, baseDir))) as Record<string, unknown>;
  } catch (err) {
    throw new PluginError(`${where}: cannot load exporter module "${spec}": ${(err as Error).message}`);
  }
  const def = mod.default as Record<string, unknown> | ((...a: unknown[]) => unknown) | undefined;
  const factory = mod.createExporter ?? (typeof def === 'function' ? def : def?.createExporter);
  if (typeof factory !== 'function') {
    throw new PluginError(
      `${where}: exporter module "${spec}" exports no createExporter(options, context) function (exports: ${Object.keys(mod).join(', ') || 'none'})`,
    );
  }
  return (options, ctx) => {
    let made: unknown;
    try {
      made = (factory as (o: Record<string, unknown>, c: ExporterContext) => unknown)(options, ctx);
    } catch (err) {
      // a plugin may echo its options: mask the secret ones (by key, URL credentials) before the message goes out
      throw new PluginError(
        `${where}: exporter module "${spec}": createExporter failed: ${scrub(String((err as Error)?.message ?? err), collectSecrets(options))}`,
      );
    }
    return checkExporter(made, `${where}: exporter module "${spec}"`);
  };
}

/** What a factory returned must be an Exporter; each missing piece is named. */
export function checkExporter(x: unknown, who: string): Exporter {
  if (x === null || typeof x !== 'object')
    throw new PluginError(`${who}: createExporter returned ${x === null ? 'null' : typeof x}, not an exporter`);
  if (typeof (x as { then?: unknown }).then === 'function')
    throw new PluginError(
      `${who}: createExporter returned a Promise; return the exporter itself and do async work in start()`,
    );
  const e = x as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof e.name !== 'string' || e.name === '') problems.push('name (a non-empty string)');
  if (e.target !== 'ecs' && e.target !== 'otel')
    problems.push(`target ("ecs" or "otel", got ${JSON.stringify(e.target)})`);
  for (const f of ['start', 'send', 'shutdown']) if (typeof e[f] !== 'function') problems.push(`${f}() (a function)`);
  if (problems.length > 0) throw new PluginError(`${who}: the exporter it returned lacks ${problems.join(', ')}`);
  return x as Exporter;
}
