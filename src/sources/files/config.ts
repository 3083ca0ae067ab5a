// A `type: file` source of the run config → FileSourceOptions: its paths (path and/or paths),
// and where its checkpoint lives (<data_dir>/checkpoints/file-<hash of the paths>.json unless
// checkpoint_path says). Checkpoints default to on with follow (a tailed file is read across
// restarts) and off without (a one-shot read of a file reads all of it each time). The data
// folder is resolved by the pipeline (config data_dir, TRACEE_EXPORTER_DATA_DIR, /var/lib/tracee-exporter).

import { createHash } from 'node:crypto';
import path from 'node:path';
import type { FileSourceOptions } from './file-source.ts';

import type { FileSourceConfig } from './schema.ts';
export type { FileSourceConfig };

export function fileSourceOptions(s: FileSourceConfig, dataDir: string): FileSourceOptions {
  const paths = [...(s.path !== undefined ? [s.path] : []), ...(s.paths ?? [])];
  const follow = s.follow ?? false;
  const checkpoint = s.checkpoint ?? follow;
  const hash = createHash('sha256').update(JSON.stringify(paths)).digest('hex').slice(0, 16);
  return {
    paths,
    follow,
    startAt: s.start_at,
    maxLineBytes: s.max_line_bytes,
    checkpointPath: !checkpoint
      ? undefined
      : (s.checkpoint_path ?? path.join(dataDir, 'checkpoints', `file-${hash}.json`)),
    // asked for explicitly: a checkpoint that cannot be written is an error; by default: a warning
    checkpointRequired: s.checkpoint === true,
  };
}
