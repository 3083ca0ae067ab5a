// otlp_http with protobuf (the default): each OTel record waits in the exporter's queue as its OTLP
// LogRecord bytes (src/exporters/otlp-http/encode-log-record.ts), encoded as it enters the queue,
// and the input text as UTF-8 bytes, both in shared off-heap slabs reused once the items holding
// them settled (src/util/byte-slab.ts RecyclingSlabs), so no
// queued item holds an object graph or a long string (issue #16: queued attributes, then the input
// lines, were promoted to old space; garbage collection took a quarter of the CPU). The request
// encoder copies the record's bytes; the dead letter gets the record and the input text back.

import type { AckResult, Delivery, DeliveryItem } from '../delivery/index.ts';
import { encodedBufferOf, encodedLengthOf, toEncodedRecord } from '../exporters/otlp-http/encode-log-record.ts';
import type { Exporter } from '../model/exporter.ts';
import type { OtelRecord, Origin } from '../model/records.ts';
import { RecyclingSlabs, slabText } from '../util/byte-slab.ts';

/** An exporter that sends records carrying their LogRecord bytes as they are (otlp_http protobuf). */
export function takesEncodedRecords(e: Exporter): boolean {
  return (e as { takesEncodedRecords?: unknown }).takesEncodedRecords === true;
}

/** The bytes of queued items: slabs reused once every item holding a piece of them settled. */
const slabs = new RecyclingSlabs();
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

/**
 * A queued item: the record carries its bytes, the input text is kept as UTF-8 bytes beside them
 * (in a slab: its buffer, offset and length, no view object) and given back as text when asked (the
 * dead letter). Nothing of it is a large V8 object: the input strings were most of what the garbage
 * collector still promoted, and every queued item is promoted, so each object and field counts.
 * Its pieces of slab are retained from construction until its ack (the delivery acks an item once
 * it settled: delivered, dead-lettered after the dead letter wrote it, dropped).
 */
class QueuedItem implements DeliveryItem<OtelRecord> {
  readonly record: OtelRecord;
  readonly origin: Origin;
  private readonly sourceAck: DeliveryItem['ack'];
  private readonly inputBuffer: ArrayBufferLike | undefined;
  private readonly inputOffset: number;
  private readonly inputLength: number;
  private settled = false;

  constructor(record: OtelRecord, item: DeliveryItem, inputBytes: Uint8Array | undefined) {
    this.record = record;
    this.origin = item.origin;
    this.sourceAck = item.ack;
    this.inputBuffer = inputBytes?.buffer;
    this.inputOffset = inputBytes?.byteOffset ?? 0;
    this.inputLength = inputBytes?.byteLength ?? 0;
    const bytes = encodedBufferOf(record);
    if (bytes !== undefined) slabs.retainBuffer(bytes);
    if (this.inputBuffer !== undefined) slabs.retainBuffer(this.inputBuffer);
  }

  get input(): string | undefined {
    return this.inputBuffer === undefined
      ? undefined
      : slabText(new Uint8Array(this.inputBuffer, this.inputOffset, this.inputLength));
  }

  /** Bytes held: the record's and the input's. */
  get heldBytes(): number {
    return encodedLengthOf(this.record) + this.inputLength;
  }

  ack(result: AckResult): void {
    if (!this.settled) {
      this.settled = true;
      const bytes = encodedBufferOf(this.record);
      if (bytes !== undefined) slabs.releaseBuffer(bytes);
      if (this.inputBuffer !== undefined) slabs.releaseBuffer(this.inputBuffer);
    }
    this.sourceAck?.(result);
  }
}

// The last record and input text encoded, held (retained) so the same event pushed to several
// exporters in a row is encoded and copied once.
let lastPlain: unknown;
let lastRecord: OtelRecord | undefined;
let lastText: string | undefined;
let lastInput: Uint8Array | undefined;

function recordOf(plain: OtelRecord): OtelRecord {
  if (plain === lastPlain && lastRecord !== undefined) return lastRecord;
  const rec = toEncodedRecord(plain, copyToSlab);
  const bytes = encodedBufferOf(rec);
  if (bytes !== undefined) slabs.retainBuffer(bytes);
  const lastBytes = lastRecord === undefined ? undefined : encodedBufferOf(lastRecord);
  if (lastBytes !== undefined) slabs.releaseBuffer(lastBytes);
  lastPlain = plain;
  lastRecord = rec;
  return rec;
}

function inputOf(text: string | undefined): Uint8Array | undefined {
  if (text === undefined) return undefined;
  if (text === lastText && lastInput !== undefined) return lastInput;
  const bytes = slabs.utf8(text);
  slabs.retain(bytes);
  if (lastInput !== undefined) slabs.release(lastInput);
  lastText = text;
  lastInput = bytes;
  return bytes;
}

/** The item as a QueuedItem. A record that cannot be encoded stays as it is: the exporter's encoder isolates and reports it. */
function encoded(item: DeliveryItem): DeliveryItem {
  let record: OtelRecord;
  try {
    record = recordOf(item.record as OtelRecord);
  } catch {
    return item;
  }
  return new QueuedItem(record, item, inputOf(item.input)) as DeliveryItem;
}

/** `inner` whose items are encoded as they are pushed (or reserved). */
export function encodingDelivery(inner: Delivery): Delivery {
  const d: Delivery = {
    push: (item) => inner.push(encoded(item)),
    flush: () => inner.flush(),
    shutdown: (timeoutMs) => inner.shutdown(timeoutMs),
    stats: () => inner.stats(),
  };
  const reserve = inner.reserve;
  if (reserve !== undefined) d.reserve = (item, signal) => reserve.call(inner, encoded(item), signal);
  return d;
}

/** Overhead of one queued item beside its bytes: the item, origin, record and byte-view objects. */
const QUEUED_ITEM_BYTES = 400;

/** The queue's size of an item queued as bytes (its exact bytes + overhead), else undefined. */
export function encodedItemSize(item: unknown): number | undefined {
  return item instanceof QueuedItem ? QUEUED_ITEM_BYTES + item.heldBytes : undefined;
}
