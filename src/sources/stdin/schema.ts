// The config model of `type: stdin`.

import { schema, type FromSchema } from '../../util/schema-type.ts';

export const stdinSourceSchema = schema({
  type: 'object',
  required: ['type'],
  description: 'NDJSON (or multi-line JSON) from standard input; the default source.',
  properties: {
    type: { const: 'stdin' },
    max_line_bytes: { type: 'integer', minimum: 1024, description: 'Longest line read (longer lines are rejected).' },
  },
});
export type StdinSourceConfig = FromSchema<typeof stdinSourceSchema>;
