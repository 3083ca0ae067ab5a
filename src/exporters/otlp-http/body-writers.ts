// The protobuf writers an otlp_http exporter encodes its requests into: one per send in progress,
// taken at the start of a send and given back at its end, so that a request body is written into a
// buffer that already exists instead of a new one each time (issue #16: each ~2 MB body was a new
// ArrayBuffer that outlived two scavenges while gzip ran, was promoted, and counted against V8's
// heap limit until the next full collection: 81 full collections on the 240k-event run, 24 without
// them, and 15% less CPU per event). A writer whose buffer grew past `maxKeptBytes` (a batch that
// had to be split) is dropped rather than kept; at most `maxIdle` idle writers are kept.

import { ProtoWriter } from './proto-writer.ts';

export interface BodyWriters {
  take(): ProtoWriter;
  give(w: ProtoWriter): void;
  /** Idle writers kept (for tests). */
  readonly idle: number;
}

export function createBodyWriters(maxKeptBytes: number, maxIdle = 4): BodyWriters {
  const idle: ProtoWriter[] = [];
  return {
    take: () => idle.pop() ?? new ProtoWriter(),
    give(w) {
      w.pos = 0;
      if (w.buf.length <= maxKeptBytes && idle.length < maxIdle) idle.push(w);
    },
    get idle() {
      return idle.length;
    },
  };
}
