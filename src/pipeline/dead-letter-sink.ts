// Writing to the dead letter from the pipeline: a failed write must never stop a source, a push
// or the shutdown, so every caller says what a failure means to it instead of catching it itself.

import type { DeadLetterEntry, DeliveryItem, FileDeadLetter } from '../delivery/index.ts';

/** Write one entry; never throws. Returns whether it was stored (false: no dead letter configured, or the write failed). */
export function writeDeadLetter(
  dl: FileDeadLetter | undefined,
  entry: DeadLetterEntry,
  failed: (err: Error) => void,
): boolean {
  if (dl === undefined) return false;
  try {
    dl.write(entry);
    return true;
  } catch (err) {
    failed(err as Error);
    return false;
  }
}

/** An exporter's count of events the dead letter could not hold (reported at shutdown with the last reason). */
export interface UnwrittenCount {
  unwrittenAtShutdown: number;
  unwrittenReason: string;
}

/** Dead-letter one event of an exporter; a failed write is counted on `unwritten`. Whether it was stored. */
export function deadLetterEvent(
  dl: FileDeadLetter | undefined,
  exporter: string,
  reason: string,
  item: Pick<DeliveryItem, 'origin' | 'record' | 'input'>,
  unwritten: UnwrittenCount,
): boolean {
  return writeDeadLetter(
    dl,
    { exporter, reason, origin: item.origin, record: item.record, input: item.input },
    (err) => {
      unwritten.unwrittenAtShutdown++;
      unwritten.unwrittenReason = err.message;
    },
  );
}
