// An item waiting in an exporter's in-memory queue with its record's bytes (OTLP LogRecord bytes,
// ECS JSON as UTF-8) and its input text as UTF-8 bytes, both in shared off-heap slabs reused once
// the items holding them settled (src/util/byte-slab.ts RecyclingSlabs). Why: every queued item
// lives long enough to be promoted to V8's old space (a batch fills over several young-generation
// collections), so an item that holds long strings or an object graph makes V8 copy them twice
// and run full collections as old space fills (issue #16: queued OTel attributes, then input
// lines, then ECS texts were most of what was promoted). Bytes outside the V8 heap are never copied.

import type { AckResult, Delivery, DeliveryItem } from '../delivery/index.ts';
import type { Origin } from '../model/records.ts';
import { RecyclingSlabs, slabText } from '../util/byte-slab.ts';

/** The bytes of queued items (records and input texts of every route). */
export const queueSlabs = new RecyclingSlabs();

/**
 * A queued item: the record carries its bytes (in a slab: `recordBuffer`), the item's input text is
 * kept as UTF-8 bytes beside them (queuedInputOf: its buffer, offset and length, no view object) and
 * given back as text when asked (the dead letter). Its pieces of slab are retained from construction until its ack
 * (the delivery acks an item once it settled: delivered, dead-lettered after the dead letter wrote
 * it, dropped). Each field counts: this object itself is promoted.
 */
export class QueuedItem<R> implements DeliveryItem<R> {
  readonly record: R;
  readonly origin: Origin;
  private readonly sourceAck: DeliveryItem['ack'];
  private readonly recordBuffer: ArrayBufferLike | undefined;
  private readonly recordLength: number;
  private readonly inputBuffer: ArrayBufferLike | undefined;
  private readonly inputOffset: number;
  private readonly inputLength: number;
  private settled = false;

  constructor(record: R, recordBuffer: ArrayBufferLike | undefined, recordLength: number, item: DeliveryItem) {
    const inputBytes = queuedInputOf(item.input);
    this.record = record;
    this.origin = item.origin;
    this.sourceAck = item.ack;
    this.recordBuffer = recordBuffer;
    this.recordLength = recordLength;
    this.inputBuffer = inputBytes?.buffer;
    this.inputOffset = inputBytes?.byteOffset ?? 0;
    this.inputLength = inputBytes?.byteLength ?? 0;
    if (recordBuffer !== undefined) queueSlabs.retainBuffer(recordBuffer);
    if (this.inputBuffer !== undefined) queueSlabs.retainBuffer(this.inputBuffer);
  }

  get input(): string | undefined {
    return this.inputBuffer === undefined
      ? undefined
      : slabText(new Uint8Array(this.inputBuffer, this.inputOffset, this.inputLength));
  }

  /** Bytes held: the record's and the input's. */
  get heldBytes(): number {
    return this.recordLength + this.inputLength;
  }

  ack(result: AckResult): void {
    if (!this.settled) {
      this.settled = true;
      if (this.recordBuffer !== undefined) queueSlabs.releaseBuffer(this.recordBuffer);
      if (this.inputBuffer !== undefined) queueSlabs.releaseBuffer(this.inputBuffer);
    }
    this.sourceAck?.(result);
  }
}

// The last input text copied, held (retained) so the same event pushed to several exporters in a
// row is copied once.
let lastText: string | undefined;
let lastInput: Uint8Array | undefined;

/** The input text as UTF-8 bytes in a slab (retained until the next text comes), undefined for none. */
function queuedInputOf(text: string | undefined): Uint8Array | undefined {
  if (text === undefined) return undefined;
  if (text === lastText && lastInput !== undefined) return lastInput;
  const bytes = queueSlabs.utf8(text);
  queueSlabs.retain(bytes);
  if (lastInput !== undefined) queueSlabs.release(lastInput);
  lastText = text;
  lastInput = bytes;
  return bytes;
}

/** Overhead of one queued item beside its bytes: the item, origin, record and byte-view objects. */
const QUEUED_ITEM_BYTES = 400;

/** The queue's size of an item queued as bytes (its exact bytes + overhead), else undefined. */
export function queuedItemSize(item: unknown): number | undefined {
  return item instanceof QueuedItem ? QUEUED_ITEM_BYTES + item.heldBytes : undefined;
}

/**
 * `inner` whose items are turned by `f` as they are pushed (or reserved). What `f` throws is the
 * push's (or reservation's) rejection: the item is refused and reported like any refused push.
 */
export function itemMappingDelivery(inner: Delivery, f: (item: DeliveryItem) => DeliveryItem): Delivery {
  const d: Delivery = {
    push: (item) => {
      try {
        return inner.push(f(item));
      } catch (err) {
        return Promise.reject(err);
      }
    },
    flush: () => inner.flush(),
    shutdown: (timeoutMs) => inner.shutdown(timeoutMs),
    stats: () => inner.stats(),
  };
  const reserve = inner.reserve;
  if (reserve !== undefined)
    d.reserve = (item, signal) => {
      try {
        return reserve.call(inner, f(item), signal);
      } catch (err) {
        return Promise.reject(err);
      }
    };
  return d;
}
