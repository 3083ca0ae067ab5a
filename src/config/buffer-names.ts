// Disk buffers live in a directory per exporter name (<data_dir>/buffer/<name>): the names of the
// exporters that get one must be unique and usable as a directory name. Checked by `run` when it
// builds the pipeline and by `config check`.

import { type BufferConfig, mergedDelivery } from '../delivery/config-schema.ts';
import { ConfigError, type RunConfig } from './run-config.ts';

type ExporterConfig = RunConfig['exporters'][number];

export function bufferConfigOf(config: RunConfig, e: ExporterConfig): BufferConfig {
  return mergedDelivery(config.delivery, e.delivery).buffer ?? {};
}

const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Disk buffers live in a directory per exporter name: those names must be unique and usable as a directory name. */
export function checkDiskBufferNames(config: RunConfig): void {
  const nameOf = (e: ExporterConfig) => e.name ?? (e.type === 'module' ? String(e.module) : e.type);
  const firstIndex = new Map<string, number>();
  config.exporters.forEach((e, i) => {
    if (!firstIndex.has(nameOf(e))) firstIndex.set(nameOf(e), i);
  });
  config.exporters.forEach((e, i) => {
    if (bufferConfigOf(config, e).type !== 'disk') return;
    const name = nameOf(e);
    if (!SAFE_NAME.test(name)) {
      throw ConfigError.at(
        ['exporters', i, 'name'],
        `"${name}" cannot name a buffer directory (<data_dir>/buffer/<name>): use letters, digits, _ . -`,
      );
    }
    const other = config.exporters.findIndex((x, k) => k !== i && nameOf(x) === name);
    if (other >= 0) {
      throw ConfigError.at(
        ['exporters', i, 'name'],
        `"${name}" is also the name of exporters[${other}]: an exporter with a disk buffer needs a unique name (its buffer is <data_dir>/buffer/${name})`,
      );
    }
  });
}
