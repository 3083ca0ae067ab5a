// Recovery, decided from the files' contents alone (no I/O here: recover-dir.ts reads the files and
// applies the plan). After any end of the process, kill -9 included: the segments that still hold
// records not acknowledged are replayed from the acknowledged position; wholly acknowledged ones
// go; the last segment (the one being written) is walked frame by frame and a torn tail is cut.

import { parseAckFile, type FoundAckFile } from './ack-file.ts';
import { readFrame } from './framing.ts';

/** What a buffer directory holds. */
export interface BufferDirContents {
  /** ack.json; undefined when there is none (nothing acknowledged yet). */
  ackFile: FoundAckFile | undefined;
  /** The segment files, ascending by first id, with their sizes in bytes. */
  segments: Array<{ firstId: number; bytes: number }>;
  /** The last segment's bytes: it was being written when the process ended. Present when there are segments. */
  lastSegment: Buffer | undefined;
}

/** Bytes at the end of a segment that are not a whole frame (a write cut short) or not a frame at all. */
export interface TornTail {
  kind: 'partial' | 'bad_length';
  /** Where the tail starts = the bytes to keep. */
  offset: number;
  bytes: number;
}

export interface FrameScan {
  /** Frames that follow each other from offset 0 (a frame with a bad checksum counts: it has an id; the reader skips it). */
  frames: number;
  /** Bytes those frames take. */
  validBytes: number;
  tail: TornTail | undefined;
}

export interface RecoveredSegment {
  firstId: number;
  endId: number;
  bytes: number;
}

export interface RecoveryPlan {
  /** Every record id below it is acknowledged: the replay starts here. */
  position: number;
  /** The id of the next record written. */
  nextId: number;
  /** Segments holding records at or past `position`, oldest first. */
  keep: RecoveredSegment[];
  /** First ids of the segment files to delete: wholly acknowledged, or an empty last one. */
  remove: number[];
  /** The torn tail of the last segment, to cut. */
  cut: (TornTail & { firstId: number }) | undefined;
}

/** Walk the frames of a segment's bytes (checksums are left to the reader): how many, and where they end. */
export function scanFrames(buf: Buffer): FrameScan {
  let pos = 0;
  let frames = 0;
  while (pos < buf.length) {
    const f = readFrame(buf, pos);
    if (f.kind === 'partial' || f.kind === 'bad_length') {
      return { frames, validBytes: pos, tail: { kind: f.kind, offset: pos, bytes: buf.length - pos } };
    }
    frames++;
    pos = f.end;
  }
  return { frames, validBytes: pos, tail: undefined };
}

/** The segments as found: each ends where the next begins; the last one ends after its last whole frame. */
function foundSegments(found: BufferDirContents): { segments: RecoveredSegment[]; cut: RecoveryPlan['cut'] } {
  const segments: RecoveredSegment[] = [];
  const n = found.segments.length;
  for (let i = 0; i < n - 1; i++) {
    segments.push({
      firstId: found.segments[i].firstId,
      endId: found.segments[i + 1].firstId,
      bytes: found.segments[i].bytes,
    });
  }
  if (n === 0) return { segments, cut: undefined };
  const firstId = found.segments[n - 1].firstId;
  const scan = scanFrames(found.lastSegment ?? Buffer.alloc(0));
  segments.push({ firstId, endId: firstId + scan.frames, bytes: scan.validBytes });
  return { segments, cut: scan.tail === undefined ? undefined : { ...scan.tail, firstId } };
}

/** What to replay, keep, cut and delete. Throws when ack.json is damaged (replaying from 0 could resend everything). */
export function planRecovery(found: BufferDirContents): RecoveryPlan {
  const saved = found.ackFile === undefined ? 0 : parseAckFile(found.ackFile);
  const { segments, cut } = foundSegments(found);
  const first = segments[0];
  const last = segments[segments.length - 1];
  // records below the first segment left are gone: acknowledged, or dropped with their segment
  const position = Math.max(saved, first !== undefined ? first.firstId : saved);
  const nextId = Math.max(position, last !== undefined ? last.endId : 0);
  const keep: RecoveredSegment[] = [];
  const remove: number[] = [];
  for (const s of segments) {
    // an empty last segment is the one opened by a run that wrote nothing; an empty one before it
    // stays: the reader counts its records as missing
    const emptyLast = s.bytes === 0 && s === last;
    if (s.endId <= position || emptyLast) remove.push(s.firstId);
    else keep.push(s);
  }
  return { position, nextId, keep, remove, cut };
}
