// The source types a config may name. Adding one = one folder (its source.ts) + one line here
// + one docs page (docs/sources/).

import type { SourceKind } from './types.ts';
import { stdinSource } from './stdin/source.ts';
import { fileSource } from './files/source.ts';
import { webhookSource } from './webhook/source.ts';
import { forwardSource } from './forward/source.ts';
import { grpcSource } from './grpc/source.ts';

export const SOURCE_TYPES: Record<string, SourceKind> = {
  stdin: stdinSource,
  file: fileSource,
  webhook: webhookSource,
  forward: forwardSource,
  grpc: grpcSource,
};
