// The protobuf writers an otlp_http exporter encodes its requests into: one per send in progress,
// taken at the start of a send and given back at its end, so that a request body is written into a
// buffer that already exists instead of a new one each time (issue #16: each ~2 MB body was a new
// ArrayBuffer that outlived two scavenges while gzip ran, was promoted, and counted against V8's
// heap limit until the next full collection: 81 full collections on the 240k-event run, 30 without
// them, and 9-11% less CPU per event). A writer whose buffer grew past what a request may hold (a batch
// that had to be split) is dropped rather than kept; at most `maxIdle` idle writers are kept.

import { ProtoWriter } from './proto-writer.ts';

const INITIAL_BYTES = 64 * 1024;

export interface BodyWriters {
  take(): ProtoWriter;
  give(w: ProtoWriter): void;
  /** Idle writers kept (for tests). */
  readonly idle: number;
}

/**
 * `maxBodyBytes`: the largest request body to keep a writer for (the exporter's maxRequestBytes); a
 * writer's buffer grows by doubling, so the capacity kept is the first it reaches at or above that.
 */
export function createBodyWriters(maxBodyBytes: number, maxIdle = 4): BodyWriters {
  let maxKeptBytes = INITIAL_BYTES;
  while (maxKeptBytes < maxBodyBytes) maxKeptBytes *= 2;
  const idle: ProtoWriter[] = [];
  return {
    take: () => idle.pop() ?? new ProtoWriter(INITIAL_BYTES),
    give(w) {
      w.pos = 0;
      if (w.buf.length <= maxKeptBytes && idle.length < maxIdle) idle.push(w);
    },
    get idle() {
      return idle.length;
    },
  };
}
