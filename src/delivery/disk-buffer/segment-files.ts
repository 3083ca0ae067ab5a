// Segment files of one buffer directory: `<first record id, 16 digits>.seg`. Record ids count up
// across segments, so a segment holds ids [firstId, next segment's firstId).

import fs from 'node:fs';
import path from 'node:path';
import { readFrame } from './framing.ts';

const SEGMENT_NAME = /^(\d{16})\.seg$/;

export function segmentPath(dir: string, firstId: number): string {
  return path.join(dir, `${String(firstId).padStart(16, '0')}.seg`);
}

/** The first ids of the segments in `dir`, ascending. */
export function listSegments(dir: string): number[] {
  const ids: number[] = [];
  for (const name of fs.readdirSync(dir)) {
    const m = SEGMENT_NAME.exec(name);
    if (m) ids.push(Number(m[1]));
  }
  return ids.sort((a, b) => a - b);
}

export interface SegmentScan {
  /** Frames that follow each other from offset 0 (a frame with a bad checksum still counts: it has an id). */
  frames: number;
  /** Bytes those frames take; anything after is a torn tail or unreadable. */
  validBytes: number;
  fileBytes: number;
  /** What ended the scan early, if anything: a cut frame (torn tail) or an impossible length. */
  tail: { kind: 'partial' | 'bad_length'; offset: number; bytes: number } | undefined;
}

/** Walk a segment's frames (checksums are left to the reader): how many, and where they end. */
export function scanSegment(file: string): SegmentScan {
  const buf = fs.readFileSync(file);
  let pos = 0;
  let frames = 0;
  while (pos < buf.length) {
    const f = readFrame(buf, pos);
    if (f.kind === 'partial' || f.kind === 'bad_length') {
      return { frames, validBytes: pos, fileBytes: buf.length, tail: { kind: f.kind, offset: pos, bytes: buf.length - pos } };
    }
    frames++;
    pos = f.end;
  }
  return { frames, validBytes: pos, fileBytes: buf.length, tail: undefined };
}
