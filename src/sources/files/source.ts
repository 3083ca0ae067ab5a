// `type: file`: files and globs, each file with its own offset (docs/sources/files.md).

import { createFileSource } from './file-source.ts';
import { fileSourceOptions, type FileSourceConfig } from './config.ts';
import type { PullSourceKind } from '../types.ts';

export const fileSource: PullSourceKind<FileSourceConfig> = {
  mode: 'pull',
  label: (s) => [...(s.path ? [s.path] : []), ...(s.paths ?? [])].join(', '),
  async run(s, ctx, atEnd) {
    // checkpoints are written once more after the final flush (atEnd)
    const src = createFileSource(fileSourceOptions(s, ctx.dataDir), {
      ingest: ctx.ingest, log: ctx.log, signal: ctx.signal,
      error: (file, err) => ctx.error(file, err),
    });
    atEnd(() => src.close());
    ctx.telemetry.files(() => src.progress());
    if (!ctx.signal.aborted) await src.run();
  },
};
