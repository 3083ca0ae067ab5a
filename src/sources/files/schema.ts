// The config model of `type: file` (docs/sources/files.md). `checkpoint` defaults to `follow`.

import { schema, type FromSchema } from '../../util/schema-type.ts';

export const fileSourceSchema = schema({
  type: 'object',
  required: ['type'],
  description: 'Files and globs, each file with its own offset (docs/sources/files.md). Give path, paths or both.',
  anyOf: [{ required: ['path'] }, { required: ['paths'] }],
  properties: {
    type: { const: 'file' },
    path: { type: 'string', description: 'The NDJSON / JSON file (or glob) to read, see docs/sources/files.md' },
    paths: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 1 },
      description:
        'Files or globs (*, ?, [..], {a,b}, **) to read, each file with its own offset; with follow, new matching files are picked up (docs/sources/files.md)',
    },
    follow: {
      type: 'boolean',
      description:
        'Keep reading what is appended, across rotation (rename) and truncation, like tail -F; until SIGTERM',
    },
    start_at: {
      enum: ['beginning', 'end'],
      description: 'With follow: read the existing content (beginning, default) or only new lines (end)',
    },
    max_line_bytes: { type: 'integer', minimum: 1024 },
    checkpoint: {
      type: 'boolean',
      description:
        "Persist each file's committed offset (every event below it delivered or dead-lettered) and resume there after a restart; default: true with follow, false without",
    },
    checkpoint_path: {
      type: 'string',
      minLength: 1,
      description: 'The checkpoint file (default <data_dir>/checkpoints/file-<hash of the paths>.json)',
    },
  },
});
export type FileSourceConfig = FromSchema<typeof fileSourceSchema>;
