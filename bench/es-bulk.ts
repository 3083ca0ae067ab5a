// Bulk-body building of the Elasticsearch exporter: EcsRecords → `_bulk` NDJSON (create actions, routing,
// data_stream fields, byte counts, chunking), no network. For `npm run bench`.

import { BulkEncoder, chunkBySize } from '../src/exporters/elasticsearch/bulk-body.ts';
import { resolveElasticsearchOptions } from '../src/exporters/elasticsearch/config.ts';
import { measureRepeatedly } from './measure.ts';
import type { EcsRecord } from '../src/model/records.ts';

export interface EsBulkBenchOptions {
  /** Minimum measuring time in ms (default 1000). */
  minMs?: number;
  maxBulkBytes?: number;
}

export function benchEsBulkBody(
  records: EcsRecord[],
  opts: EsBulkBenchOptions = {},
): { eventsPerSec: number; bytesPerEvent: number } {
  return measureRepeatedly(records.length, esBulkBodyPass(records, opts.maxBulkBytes), opts.minMs ?? 1000);
}

/** One pass building the bulk bodies of all records: the bytes produced. */
export function esBulkBodyPass(records: EcsRecord[], maxBulkBytes?: number): () => number {
  if (records.length === 0) throw new Error('benchEsBulkBody: no records');
  const o = resolveElasticsearchOptions({ endpoints: 'http://127.0.0.1:9200', maxBulkBytes });
  const enc = new BulkEncoder(o.targets);
  return (): number => {
    const sizes: number[] = new Array(records.length);
    const bodies: Buffer[] = new Array(records.length);
    const idx: number[] = [];
    let bytes = 0;
    for (let i = 0; i < records.length; i++) {
      const e = enc.encode(records[i]);
      if (e.ok) {
        bodies[i] = e.body;
        sizes[i] = e.bytes;
        idx.push(i);
        bytes += e.bytes;
      }
    }
    for (const chunk of chunkBySize(idx, sizes, o.maxBulkBytes)) {
      const body = Buffer.concat(chunk.map((i) => bodies[i]));
      if (body.length === 0) throw new Error('unreachable');
    }
    return bytes;
  };
}
