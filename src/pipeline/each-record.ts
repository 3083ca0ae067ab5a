// The records of one ingest call, in order, each let through the memory limit (IngestOptions.admit)
// and handed to `take`; batches (a pull source's chunk of records) are taken one record at a time
// without a promise per record unless something is to be awaited (issue #16: async iteration per
// record, through three generators, was a tenth of the OTLP path's allocation).

import type { InputRecord } from '../sources/read-records.ts';
import type { IngestOptions, RecordStream } from '../sources/types.ts';

/** What taking one record said: go on (true) or stop reading (false), at once or later. */
export type TakeResult = boolean | Promise<boolean>;

/** Calls `take` for every record until it says false or the stream ends. */
export async function eachRecord(
  records: RecordStream,
  opts: Pick<IngestOptions, 'admit' | 'signal'>,
  take: (rec: InputRecord) => TakeResult,
): Promise<void> {
  const { admit, signal } = opts;
  const step = (rec: InputRecord): TakeResult => {
    const wait = admit?.(signal);
    return wait === undefined ? take(rec) : wait.then(() => take(rec));
  };
  for await (const x of records) {
    if (isBatch(x)) {
      for (let i = 0; i < x.length; i++) {
        const more = step(x[i]);
        if (!(typeof more === 'boolean' ? more : await more)) return;
      }
    } else {
      const more = step(x);
      if (!(typeof more === 'boolean' ? more : await more)) return;
    }
  }
}

const isBatch = (x: InputRecord | readonly InputRecord[]): x is readonly InputRecord[] => Array.isArray(x);
