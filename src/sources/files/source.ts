// `type: file`: files and globs, each file with its own offset (docs/sources/files.md).

import fs from 'node:fs';
import { createFileSource } from './file-source.ts';
import { fileSourceOptions } from './config.ts';
import { fileSourceSchema, type FileSourceConfig } from './schema.ts';
import type { PullSourceKind } from '../types.ts';

export const fileSource: PullSourceKind<FileSourceConfig> = {
  mode: 'pull',
  schema: fileSourceSchema,
  label: (s) => [...(s.path ? [s.path] : []), ...(s.paths ?? [])].join(', '),
  check(s, chk) {
    if (!s.follow && s.path !== undefined && !fs.existsSync(s.path))
      chk.warn(['path'], `${s.path} does not exist (the run will report a source error; follow: true waits for it)`);
    return `file ${s.path}${s.follow ? ' (follow)' : ''}`;
  },
  async run(s, ctx, atEnd) {
    // checkpoints are written once more after the final flush (atEnd)
    const src = createFileSource(fileSourceOptions(s, ctx.dataDir), {
      ingest: ctx.ingest,
      log: ctx.log,
      signal: ctx.signal,
      error: (file, err) => ctx.error(file, err),
    });
    atEnd(() => src.close());
    ctx.telemetry.files(() => src.progress());
    if (ctx.signal.aborted) return;
    await src.open();
    await src.run();
  },
};
