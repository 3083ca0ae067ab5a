// Buffer segments: the files of one buffer directory, `<first record id, 16 digits>.seg`. Record
// ids count up across segments, so a segment holds ids [firstId, next segment's firstId). ("Buffer
// segment" to tell them from the stretches of a followed file that the file source reads.)

import fsp from 'node:fs/promises';
import path from 'node:path';

const SEGMENT_NAME = /^(\d{16})\.seg$/;

/** One segment file as the buffer tracks it. `endId` is exclusive; `bytes` = bytes of whole frames. */
export interface BufferSegment {
  readonly firstId: number;
  endId: number;
  bytes: number;
  readonly path: string;
}

export function bufferSegmentPath(dir: string, firstId: number): string {
  return path.join(dir, `${String(firstId).padStart(16, '0')}.seg`);
}

/** The first ids of the segments in `dir`, ascending. */
export async function listBufferSegments(dir: string): Promise<number[]> {
  const ids: number[] = [];
  for (const name of await fsp.readdir(dir)) {
    const m = SEGMENT_NAME.exec(name);
    if (m) ids.push(Number(m[1]));
  }
  return ids.sort((a, b) => a - b);
}
