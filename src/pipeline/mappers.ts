// The mappers of a run, built from its config: the mapping tables (built-in + mapping.files +
// mapping.overrides) compiled, and per exporter its filter and its mapper (trimmed fields left out,
// sensitive fields redacted). The main thread (routes.ts) and every worker thread
// (src/pipeline/workers/, `workers: N`) build them with this same code from the same settings.

import { compileMapper, type Mapper } from '../mapping/compile.ts';
import { checkOverride, loadMappingTables, readTableFile } from '../mapping/load.ts';
import { loadTrimGroups, trimDrops, trimKey, withDrops } from '../mapping/trim.ts';
import { redactingMappers } from '../mapping/redact.ts';
import { compileFilter } from '../mapping/event-filter.ts';
import type { Exporter } from '../model/exporter.ts';
import { detectNodeInfo } from '../config/node-info.ts';
import type { NodeInfo } from '../mapping/input.ts';
import { ConfigError, type RunConfig } from '../config/run-config.ts';
import { optionPathOf, type OptionPath } from '../util/option-error.ts';
import type { IngestRoute } from './ingest.ts';

type ExporterConfig = RunConfig['exporters'][number];

/** What building the mappers reads of the config (a worker gets this part: src/pipeline/workers/setup.ts). */
export type MapperConfig = Pick<RunConfig, 'mapping' | 'node'>;
/** What building one exporter's filter and mapper reads of its entry. */
export type MapperExporterConfig = Pick<ExporterConfig, 'filter' | 'trim' | 'drop_fields' | 'redact'>;

/** The mapping tables (built-in + config files + overrides) compiled, and the per-exporter variants of the mapper. */
export function compileMappers(config: MapperConfig, node: NodeInfo = detectNodeInfo(config.node ?? {})) {
  const overrides = [
    ...(config.mapping?.files ?? []).map((f) => readTableFile(f)),
    ...(config.mapping?.overrides ? [checkOverride('config mapping.overrides', config.mapping.overrides)] : []),
  ];
  const tables = loadMappingTables(undefined, overrides);
  const mapper: Mapper = compileMapper(tables, { node });
  // exporters with the same trimmed fields share one mapper; '' = untrimmed
  const trimmed = new Map<string, Mapper>([['', mapper]]);
  let trimGroups: ReturnType<typeof loadTrimGroups> | undefined;
  const redacted = redactingMappers();
  /** This exporter's filter and mapper; a bad setting is a ConfigError naming `where`. */
  function forExporter(
    e: MapperExporterConfig,
    exporter: Pick<Exporter, 'target'>,
    where: string,
  ): Pick<IngestRoute, 'accepts'> & { mapper: Mapper } {
    const at = optionPathOf(where);
    const accepts = keyed([...at, 'filter'], () => compileFilter(e.filter, tables.lookups, `${where}.filter`));
    let routeMapper = mapper;
    if ((e.trim ?? []).length > 0 || (e.drop_fields ?? []).length > 0) {
      const drops = keyed(at, () =>
        trimDrops(
          { trim: e.trim, drop_fields: e.drop_fields, target: exporter.target },
          (trimGroups ??= loadTrimGroups()),
          mapper,
          where,
        ),
      );
      const key = trimKey(drops);
      if (!trimmed.has(key)) trimmed.set(key, compileMapper(withDrops(tables, drops), { node }));
      routeMapper = trimmed.get(key)!;
    }
    // sensitive event fields (mappings/redact.yaml), per exporter: `redact:` (default: default)
    return { accepts, mapper: keyed(at, () => redacted(routeMapper, e.redact, where)) };
  }
  return { mapper, forExporter, node };
}

/**
 * `f`, its error a ConfigError: at the key it names below `at` (the filter's, trim's and redact's
 * errors carry it, with the reason alone), else at `at`.
 */
function keyed<T>(at: OptionPath, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const { key, reason } = err as { key?: unknown; reason?: unknown };
    if (typeof key === 'string' && typeof reason === 'string')
      throw ConfigError.at([...at, ...(key === '' ? [] : optionPathOf(key))], reason);
    throw new ConfigError((err as Error).message);
  }
}
