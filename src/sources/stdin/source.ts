// `type: stdin`: NDJSON (or multi-line JSON) from the pipeline's standard input; the default source.

import { readRecordBatches } from '../read-records.ts';
import type { PullSourceKind } from '../types.ts';

export type { StdinSourceConfig } from './schema.ts';
import { stdinSourceSchema, type StdinSourceConfig } from './schema.ts';

export const stdinSource: PullSourceKind<StdinSourceConfig> = {
  mode: 'pull',
  schema: stdinSourceSchema,
  label: () => 'stdin',
  check: () => 'stdin',
  async run(s, ctx) {
    const stream = ctx.stdin;
    ctx.destroyOnStop(stream);
    if (ctx.signal.aborted) {
      stream.destroy?.();
      return;
    }
    // at stop: no further record is read, and a push waiting for a full queue is not awaited
    await ctx.ingest(readRecordBatches(stream, 'stdin', { maxLineBytes: s.max_line_bytes }), {
      signal: ctx.signal,
      listRejections: false,
    });
  },
};
