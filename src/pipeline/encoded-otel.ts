// otlp_http with protobuf (the default): each OTel record waits in the exporter's queue as its OTLP
// LogRecord bytes (src/exporters/otlp-http/encode-log-record.ts), encoded as it enters the queue,
// and the input text as UTF-8 bytes, both in the queue's slabs (queued-item.ts), so no queued item
// holds an object graph or a long string (issue #16: queued attributes, then the input lines, were
// promoted to old space; garbage collection took a quarter of the CPU). The request encoder copies
// the record's bytes; the dead letter gets the record and the input text back.

import type { Delivery, DeliveryItem } from '../delivery/index.ts';
import {
  copyEncodedRecord,
  encodedBufferOf,
  encodedLengthOf,
  toEncodedRecord,
} from '../exporters/otlp-http/encode-log-record.ts';
import type { Exporter } from '../model/exporter.ts';
import type { OtelRecord } from '../model/records.ts';
import { itemMappingDelivery, QueuedItem, queueSlabs as slabs } from './queued-item.ts';

/** An exporter that sends records carrying their LogRecord bytes as they are (otlp_http protobuf). */
export function takesEncodedRecords(e: Exporter): boolean {
  return (e as { takesEncodedRecords?: unknown }).takesEncodedRecords === true;
}

const copyToSlab = (src: Buffer, n: number) => slabs.copy(src, n);

// The pieces the mapper wrote last (toOtelEncoded with queueAlloc), held (retained) until 16 more were
// written: a piece must be retained as it is allocated (byte-slab.ts), and the item that queues it
// retains it in the same synchronous step (ingest maps an event, then pushes it to every route).
const HELD = 16;
const held: Array<Uint8Array | undefined> = new Array(HELD);
let heldAt = 0;

/** The allocator for records mapped straight to LogRecord bytes (Mapper.toOtelEncoded) for these queues. */
export function queueAlloc(src: Buffer, n: number): Uint8Array {
  const b = slabs.copy(src, n);
  slabs.retain(b);
  const old = held[heldAt];
  if (old !== undefined) slabs.release(old);
  held[heldAt] = b;
  heldAt = (heldAt + 1) % HELD;
  return b;
}

// The last record encoded, held (retained) so the same event pushed to several exporters in a row is
// encoded once.
let lastPlain: unknown;
let lastRecord: OtelRecord | undefined;

function recordOf(plain: OtelRecord): OtelRecord {
  if (plain === lastPlain && lastRecord !== undefined) return lastRecord;
  // bytes outside these slabs (a worker's, workers/crossing.ts: its buffer goes back to the worker
  // once its chunk was taken) are copied in
  const outside = encodedBufferOf(plain);
  const rec =
    (outside !== undefined && !slabs.owns(outside) ? copyEncodedRecord(plain, copyToSlab) : undefined) ??
    toEncodedRecord(plain, copyToSlab);
  const bytes = encodedBufferOf(rec);
  if (bytes !== undefined) slabs.retainBuffer(bytes);
  const lastBytes = lastRecord === undefined ? undefined : encodedBufferOf(lastRecord);
  if (lastBytes !== undefined) slabs.releaseBuffer(lastBytes);
  lastPlain = plain;
  lastRecord = rec;
  return rec;
}

/** The item as a QueuedItem. A record that cannot be encoded stays as it is: the exporter's encoder isolates and reports it. */
function encoded(item: DeliveryItem): DeliveryItem {
  let record: OtelRecord;
  try {
    record = recordOf(item.record as OtelRecord);
  } catch (err) {
    // bytes that cannot be read (a bug: a worker buffer reused): the push is refused and reported
    if (encodedBufferOf(item.record as OtelRecord) !== undefined) throw err;
    return item;
  }
  return new QueuedItem(record, encodedBufferOf(record), encodedLengthOf(record), item) as DeliveryItem;
}

/** `inner` whose items are encoded as they are pushed (or reserved). */
export function encodingDelivery(inner: Delivery): Delivery {
  return itemMappingDelivery(inner, encoded);
}
