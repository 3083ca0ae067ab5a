// otlp_http with protobuf (the default): each OTel record waits in the exporter's queue as its OTLP
// LogRecord bytes (src/exporters/otlp-http/encode-log-record.ts), encoded as it enters the queue,
// and the input text as UTF-8 bytes, both in shared off-heap slabs (src/util/byte-slab.ts), so no
// queued item holds an object graph or a long string (issue #16: queued attributes, then the input
// lines, were promoted to old space; garbage collection took a quarter of the CPU). The request
// encoder copies the record's bytes; the dead letter gets the record and the input text back.

import type { Delivery, DeliveryItem } from '../delivery/index.ts';
import { toEncodedRecord } from '../exporters/otlp-http/encode-log-record.ts';
import type { Exporter } from '../model/exporter.ts';
import type { OtelRecord, Origin } from '../model/records.ts';
import { slabText, slabUtf8 } from '../util/byte-slab.ts';

/** An exporter that sends records carrying their LogRecord bytes as they are (otlp_http protobuf). */
export function takesEncodedRecords(e: Exporter): boolean {
  return (e as { takesEncodedRecords?: unknown }).takesEncodedRecords === true;
}

/**
 * A queued item: the record carries its bytes, the input text is kept as UTF-8 bytes beside them
 * (in a slab) and given back as text when asked (the dead letter). Nothing of it is a large V8
 * object: the input strings were most of what the garbage collector still promoted.
 */
class QueuedItem implements DeliveryItem<OtelRecord> {
  readonly record: OtelRecord;
  readonly origin: Origin;
  readonly ack: DeliveryItem['ack'];
  private readonly inputBytes: Uint8Array | undefined;

  constructor(record: OtelRecord, item: DeliveryItem, inputBytes: Uint8Array | undefined) {
    this.record = record;
    this.origin = item.origin;
    this.ack = item.ack;
    this.inputBytes = inputBytes;
  }

  get input(): string | undefined {
    return this.inputBytes === undefined ? undefined : slabText(this.inputBytes);
  }

  /** Bytes held: the record's and the input's. */
  get heldBytes(): number {
    return (this.record.encoded?.byteLength ?? 0) + (this.inputBytes?.byteLength ?? 0);
  }
}

let lastText: string | undefined;
let lastBytes: Uint8Array | undefined;

/** The input text as bytes; the same text pushed to several exporters in a row is copied once. */
function inputBytesOf(text: string | undefined): Uint8Array | undefined {
  if (text === undefined) return undefined;
  if (text !== lastText || lastBytes === undefined) {
    lastBytes = slabUtf8(text);
    lastText = text;
  }
  return lastBytes;
}

/** The item as a QueuedItem. A record that cannot be encoded stays as it is: the exporter's encoder isolates and reports it. */
function encoded(item: DeliveryItem): DeliveryItem {
  let record: OtelRecord;
  try {
    record = toEncodedRecord(item.record as OtelRecord);
  } catch {
    return item;
  }
  return new QueuedItem(record, item, inputBytesOf(item.input)) as DeliveryItem;
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
