// The log of rejected input, throttled per client: a flood of bad lines (one client posting 4 MB of
// garbage) must not write one stderr line per bad line. Per client and interval, the first few
// rejections are logged in full (`<source>:<line> (<detail>): rejected: <reason>`); the rest are
// only counted, and one summary line per client closes the interval (counts by reason, the first
// one left out). Every rejection is still counted in the summary and metrics and written to the
// dead letter with its origin: only the log is thinned.
//
// Per-client counts (for /metrics) are kept for at most `maxClients` clients: later clients are
// counted under "other", so an attacker with many addresses cannot grow the label set.
// The throttling is the shared repeat limiter of src/util/log.ts; lines are at warn level.

import { formatOrigin, type Origin } from '../model/records.ts';
import { createRepeatLimiter, toLogger, type LogTarget } from '../util/log.ts';

export interface RejectionLogOptions {
  /** Length of one interval (default 10 s). */
  intervalMs?: number;
  /** Rejections logged in full per client per interval (default 5). */
  fullPerInterval?: number;
  /** Clients with their own metric label (default 100); the others are "other". */
  maxClients?: number;
}

export interface RejectionLog {
  note(origin: Origin, reason: string, code: string): void;
  /** Logs the summary lines of the interval now (at shutdown; called by the timer otherwise). */
  flush(): void;
  /** Cumulative rejections by source, client and reason code (bounded, see maxClients). */
  counts(): Iterable<[{ source: string; client: string; reason: string }, number]>;
  stop(): void;
}

export const REJECTION_LOG_DEFAULTS = { intervalMs: 10_000, fullPerInterval: 5, maxClients: 100 } as const;

/** Who sent it: the client address of a webhook / forward origin, else the source itself (a file, stdin). */
export function clientOf(origin: Origin): string {
  const d = origin.detail;
  if (d !== undefined) {
    // webhook: "POST /events from 10.0.0.7:51234 #17"; forward: "10.0.0.7:51234 #2 tag tracee"
    const m =
      origin.source === 'webhook'
        ? / from (\[[^\]]+\]|[^\s:]+):\d+ #\d+$/.exec(d)
        : origin.source === 'forward'
          ? /^(\[[^\]]+\]|[^\s:]+):\d+ #\d+/.exec(d)
          : null;
    if (m) return m[1];
  }
  return origin.source;
}

/** What an interval gathers about the rejections of one client it did not log one by one. */
interface Left {
  left: Map<string, number>;
  first?: string;
}

export function createRejectionLog(target: LogTarget, opts: RejectionLogOptions = {}): RejectionLog {
  const log = toLogger(target, { component: 'pipeline' });
  const maxClients = opts.maxClients ?? REJECTION_LOG_DEFAULTS.maxClients;
  const totals = new Map<string, { source: string; client: string; reason: string; n: number }>();
  const tracked = new Set<string>();
  // the shared repeat limiter (src/util/log.ts), per client: the first few in full, the rest counted by reason code
  const limiter = createRepeatLimiter<Left>({
    intervalMs: opts.intervalMs ?? REJECTION_LOG_DEFAULTS.intervalMs,
    perInterval: opts.fullPerInterval ?? REJECTION_LOG_DEFAULTS.fullPerInterval,
    init: () => ({ left: new Map() }),
    onSummary: ({ key: client, suppressed, acc }) => {
      const by = [...acc.left].map(([code, n]) => `${code}×${n}`).join(', ');
      log.warn(
        `rejected input from ${client}: ${suppressed} more not logged one by one (${by}); first of them: ${acc.first}; every one is counted and in the dead letter`,
        { client, repeated: suppressed },
      );
    },
  });
  const flush = () => limiter.flush();

  return {
    note(origin, reason, code) {
      const client = clientOf(origin);
      const label = tracked.has(client) || tracked.size < maxClients ? (tracked.add(client), client) : 'other';
      const key = `${origin.source}\u0000${label}\u0000${code}`;
      const t = totals.get(key);
      if (t === undefined) totals.set(key, { source: origin.source, client: label, reason: code, n: 1 });
      else t.n++;

      const { admitted, acc } = limiter.note(client);
      if (admitted)
        log.warn(`${formatOrigin(origin)}: rejected: ${reason}`, { origin: formatOrigin(origin), reason: code });
      else {
        acc.left.set(code, (acc.left.get(code) ?? 0) + 1);
        acc.first ??= formatOrigin(origin);
      }
    },
    flush,
    *counts() {
      for (const t of totals.values()) yield [{ source: t.source, client: t.client, reason: t.reason }, t.n];
    },
    stop: () => limiter.stop(),
  };
}
