// A delivery that records what was pushed (and reserved, when asked for reserve()), for the tests of
// the queue wrappers (src/pipeline/encoded-otel.ts, src/pipeline/queued-ecs.ts).

import type { Delivery, DeliveryItem } from '../../src/delivery/index.ts';

export function recordingDelivery(withReserve: boolean): { d: Delivery; pushed: DeliveryItem[] } {
  const pushed: DeliveryItem[] = [];
  const d: Delivery = {
    push: async (item) => {
      pushed.push(item);
    },
    flush: () => Promise.resolve(),
    shutdown: async () => ({ drained: true, pending: [], stats: {} as never }),
    stats: () => ({}) as never,
  };
  if (withReserve)
    d.reserve = async (item) => {
      pushed.push(item);
      return { commit: () => Promise.resolve(), cancel() {} };
    };
  return { d, pushed };
}
