// Built-in ECS exporters (elasticsearch, opensearch, console, kafka): each record waits in the
// queue as its JSON text's UTF-8 bytes (src/model/ecs-bytes.ts EcsBytesRecord) and
// its input text as bytes, in the queue's slabs (queued-item.ts). Measured on the 240k-event DNS
// capture, ECS to a file: the queued texts made V8 promote ~5.8 KB per event and run a full
// collection every ~1,500 events (issue #16).

import type { Delivery, DeliveryItem } from '../delivery/index.ts';
import { EcsBytesRecord, ecsJsonOf } from '../model/ecs-bytes.ts';
import { EcsJsonRecord } from '../mapping/ecs-json.ts';
import type { EcsRecord } from '../model/records.ts';
import { itemMappingDelivery, QueuedItem, queueSlabs } from './queued-item.ts';

// The last record encoded, held (retained) so the same event pushed to several exporters in a row is
// encoded once.
let lastPlain: unknown;
let lastRecord: EcsBytesRecord | undefined;

function recordOf(plain: EcsRecord): EcsBytesRecord {
  if (plain === lastPlain && lastRecord !== undefined) return lastRecord;
  // a record carrying bytes already (a worker's: workers/crossing.ts) is copied too: its buffer goes
  // back to the worker once its chunk was taken
  const bytes =
    plain instanceof EcsBytesRecord
      ? queueSlabs.copy(plain.bytesView(), plain.bytesLength)
      : queueSlabs.utf8(ecsJsonOf(plain));
  queueSlabs.retain(bytes);
  if (lastRecord !== undefined) queueSlabs.releaseBuffer(lastRecord.bytesBuffer);
  const rec = new EcsBytesRecord(plain.id, plain.kind, bytes);
  lastPlain = plain;
  lastRecord = rec;
  return rec;
}

/**
 * The item as a QueuedItem. A record whose document cannot be serialized stays as it is: the
 * exporter reports it. A record carrying bytes that cannot be read (a bug: its worker buffer was
 * reused) throws: the push is refused and reported, never sent as something else.
 */
function queued(item: DeliveryItem): DeliveryItem {
  let record: EcsBytesRecord;
  try {
    record = recordOf(item.record as EcsRecord);
  } catch (err) {
    if (item.record instanceof EcsBytesRecord) throw err;
    return item;
  }
  return new QueuedItem(record, record.bytesBuffer, record.bytesLength, item) as DeliveryItem;
}

/** `inner` whose ECS items wait as bytes from the time they are pushed (or reserved). */
export function ecsBytesDelivery(inner: Delivery): Delivery {
  return itemMappingDelivery(inner, queued);
}

/**
 * `inner` whose ECS items carry their JSON as a string of their own (a plugin exporter, `type:
 * module`, may keep a record past its send): a record carrying bytes (a worker's) is turned into
 * text as it is pushed.
 */
export function ecsTextDelivery(inner: Delivery): Delivery {
  return itemMappingDelivery(inner, (item) => {
    const r = item.record;
    return r instanceof EcsBytesRecord ? { ...item, record: new EcsJsonRecord(r.id, r.kind, r.json) } : item;
  });
}
