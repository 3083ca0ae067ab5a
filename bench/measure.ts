// Repeat one run (it returns the bytes it produced) over the same records until `minMs` passed,
// after one warm-up run: events/s and bytes per event.

export function measureRepeatedly(
  eventsPerRun: number,
  run: () => number,
  minMs: number,
): { eventsPerSec: number; bytesPerEvent: number } {
  run(); // warm-up
  let events = 0;
  let bytes = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    bytes += run();
    events += eventsPerRun;
    elapsed = performance.now() - t0;
  } while (elapsed < minMs);
  return { eventsPerSec: Math.round(events / (elapsed / 1000)), bytesPerEvent: Math.round(bytes / events) };
}
