// otlp_http with protobuf (the default): each OTel record waits in the exporter's queue as its OTLP
// LogRecord bytes (src/exporters/otlp-http/encode-log-record.ts), encoded as it enters the queue,
// so no queued record holds an object graph (issue #16: queued attributes were promoted to old space
// and garbage collection took a quarter of the CPU). The request encoder copies the bytes.

import type { Delivery, DeliveryItem } from '../delivery/index.ts';
import { toEncodedRecord } from '../exporters/otlp-http/encode-log-record.ts';
import type { Exporter } from '../model/exporter.ts';
import type { OtelRecord } from '../model/records.ts';

/** An exporter that sends records carrying their LogRecord bytes as they are (otlp_http protobuf). */
export function takesEncodedRecords(e: Exporter): boolean {
  return (e as { takesEncodedRecords?: unknown }).takesEncodedRecords === true;
}

/** The item with its record encoded. A record that cannot be encoded stays as it is: the exporter's encoder isolates and reports it. */
function encoded<T extends DeliveryItem>(item: T): T {
  try {
    item.record = toEncodedRecord(item.record as OtelRecord);
  } catch {
    /* left as it is */
  }
  return item;
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

/** Overhead of one queued item beside its bytes and input text: the item, origin and record objects. */
const ENCODED_ITEM_BYTES = 320;

/** The queue's size of an item whose record carries its bytes (exact bytes + input text), else undefined. */
export function encodedItemSize(item: { record?: unknown; input?: string }): number | undefined {
  const enc = (item.record as OtelRecord | undefined)?.encoded;
  if (enc === undefined) return undefined;
  return ENCODED_ITEM_BYTES + enc.byteLength + (item.input === undefined ? 0 : item.input.length);
}
