// The log of rejected input, throttled per client: a flood of bad lines (one client posting 4 MB of
// garbage) must not write one stderr line per bad line. Per client and interval, the first few
// rejections are logged in full (`<source>:<line> (<detail>): rejected: <reason>`); the rest are
// only counted, and one summary line per client closes the interval (counts by reason, the first
// one left out). Every rejection is still counted in the summary and metrics and written to the
// dead letter with its origin: only the log is thinned.
//
// Per-client counts (for /metrics) are kept for at most `maxClients` clients: later clients are
// counted under "other", so an attacker with many addresses cannot grow the label set.

import { formatOrigin, type Origin } from '../model/records.ts';

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
    const m = origin.source === 'webhook' ? / from (\[[^\]]+\]|[^\s:]+):\d+ #\d+$/.exec(d)
      : origin.source === 'forward' ? /^(\[[^\]]+\]|[^\s:]+):\d+ #\d+/.exec(d) : null;
    if (m) return m[1];
  }
  return origin.source;
}

interface Interval { logged: number; left: Map<string, number>; leftTotal: number; first?: string }

export function createRejectionLog(log: (line: string) => void, opts: RejectionLogOptions = {}): RejectionLog {
  const intervalMs = opts.intervalMs ?? REJECTION_LOG_DEFAULTS.intervalMs;
  const full = opts.fullPerInterval ?? REJECTION_LOG_DEFAULTS.fullPerInterval;
  const maxClients = opts.maxClients ?? REJECTION_LOG_DEFAULTS.maxClients;
  let current = new Map<string, Interval>();   // per client, this interval
  const totals = new Map<string, { source: string; client: string; reason: string; n: number }>();
  const tracked = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  function flush(): void {
    const ended = current;
    current = new Map();
    for (const [client, iv] of ended) {
      if (iv.leftTotal === 0) continue;
      const by = [...iv.left].map(([code, n]) => `${code}×${n}`).join(', ');
      log(`rejected input from ${client}: ${iv.leftTotal} more not logged one by one (${by}); first of them: ${iv.first}; every one is counted and in the dead letter`);
    }
    if (current.size === 0 && timer !== undefined) { clearInterval(timer); timer = undefined; }
  }

  return {
    note(origin, reason, code) {
      const client = clientOf(origin);
      const label = tracked.has(client) || tracked.size < maxClients ? (tracked.add(client), client) : 'other';
      const key = `${origin.source}\u0000${label}\u0000${code}`;
      const t = totals.get(key);
      if (t === undefined) totals.set(key, { source: origin.source, client: label, reason: code, n: 1 }); else t.n++;

      let iv = current.get(client);
      if (iv === undefined) {
        // one entry per client per interval; a flood of clients is bounded by the interval's length
        iv = { logged: 0, left: new Map(), leftTotal: 0 };
        current.set(client, iv);
      }
      if (iv.logged < full) {
        iv.logged++;
        log(`${formatOrigin(origin)}: rejected: ${reason}`);
      } else {
        iv.leftTotal++;
        iv.left.set(code, (iv.left.get(code) ?? 0) + 1);
        iv.first ??= formatOrigin(origin);
      }
      if (timer === undefined) {
        timer = setInterval(flush, intervalMs);
        timer.unref();
      }
    },
    flush,
    *counts() {
      for (const t of totals.values()) yield [{ source: t.source, client: t.client, reason: t.reason }, t.n];
    },
    stop() {
      flush();
      if (timer !== undefined) { clearInterval(timer); timer = undefined; }
    },
  };
}
