// What a source hands to the pipeline. Pull sources (stdin, file) give it a stream of records;
// push sources (webhook) call `ingest` per request and answer their client from the result.

import type { Origin } from '../model/records.ts';
import type { InputRecord } from './read-records.ts';

export interface IngestOptions {
  /**
   * When this aborts, stop taking records and stop waiting for room in a full exporter queue. An
   * event whose push was waiting stays in line (accepted when room frees, dead-lettered if the
   * delivery shuts down first): it is counted in `waiting`.
   */
  signal?: AbortSignal;
  /**
   * With `signal`: the records left after the abort are refused with this reason (counted as
   * rejected, dead-lettered with their origin and input). Without it they are left unread, which
   * is what a pull source wants (they stay in the file / pipe).
   */
  refuseRestAs?: string;
  /**
   * Whether `rejected` lists the rejections (default true: a push source answers its client with
   * them). Long-lived pull sources pass false: they are logged and dead-lettered anyway, and a list
   * kept for a whole stream would grow without bound.
   */
  listRejections?: boolean;
}

export interface IngestResult {
  /** Events decoded, mapped and accepted by every exporter's queue (push resolved). */
  accepted: number;
  /** Input that is not a valid event (malformed, not a Tracee event, unmappable); empty with `listRejections: false`. */
  rejected: Array<{ origin: Origin; reason: string }>;
  /** How many records were rejected (always counted). */
  rejectedCount: number;
  /** Events still waiting for room in a full queue when `signal` aborted (0 or 1). */
  waiting: number;
  /** Records refused with `refuseRestAs` after `signal` aborted. */
  refused: number;
  /** `signal` aborted before every record was taken and accepted. */
  interrupted: boolean;
}

/** decode → map → push to every exporter's delivery, for these records. Never throws on bad input. */
export type Ingest = (records: AsyncIterable<InputRecord> | Iterable<InputRecord>, opts?: IngestOptions) => Promise<IngestResult>;
