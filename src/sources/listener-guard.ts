// What the listeners (webhook, forward) share against clients that hold connections without using
// them: a cap on connections per client address (so one host cannot take every max_connections
// slot), and counts of connections refused or cut, by reason (metrics, closing summary).

import type { Socket } from 'node:net';
import { createRepeatLimiter, toLogger, type LogTarget } from '../util/log.ts';

/** Why a connection was refused or cut before it carried a request / message (a metric label). */
export type RefusalReason =
  | 'max_connections' // the server's max_connections were open already
  | 'per_client' // this client address had max_connections_per_client open already
  | 'header_timeout' // webhook: the request headers did not arrive within header_timeout_ms
  | 'request_timeout' // webhook: the whole request did not arrive within request_timeout_ms
  | 'message_timeout' // forward: a message started did not complete within message_timeout_ms
  | 'tls_handshake' // TLS handshake failed or timed out (client certificate refused included)
  | 'bad_request'; // webhook: not HTTP (the parser gave up)

export type RefusalCounts = Partial<Record<RefusalReason, number>>;

export function countRefusal(counts: RefusalCounts, reason: RefusalReason): void {
  counts[reason] = (counts[reason] ?? 0) + 1;
}

export interface ClientCap {
  /** Counts the socket against its address; false (nothing counted) when the address is at the cap. */
  admit(socket: Socket): boolean;
  /** Open connections per address now (tests, debugging). */
  open(address: string): number;
}

/** max ≤ 0: no cap. The count drops when the socket closes, however it closes. */
export function createClientCap(max: number): ClientCap {
  const open = new Map<string, number>();
  return {
    admit(socket) {
      if (max <= 0) return true;
      const a = socket.remoteAddress ?? '?';
      const n = open.get(a) ?? 0;
      if (n >= max) return false;
      open.set(a, n + 1);
      socket.once('close', () => {
        const left = (open.get(a) ?? 1) - 1;
        if (left <= 0) open.delete(a);
        else open.set(a, left);
      });
      return true;
    },
    open: (a) => open.get(a) ?? 0,
  };
}

/**
 * Ends a socket for good: writes `last` (if any) and destroys the socket once it is flushed, or
 * after `graceMs` at most. `end()` alone would wait for the client to close its side, which a
 * slowloris client never does: the socket (and its max_connections slot) would stay.
 */
export function destroyAfter(socket: Socket, last?: string, graceMs = 1_000): void {
  if (socket.destroyed) return;
  if (last === undefined || !socket.writable) {
    socket.destroy();
    return;
  }
  const t = setTimeout(() => socket.destroy(), graceMs);
  t.unref();
  socket.write(last, () => {
    clearTimeout(t);
    socket.destroy();
  });
}

/**
 * Per-client log lines, throttled: the first `perInterval` lines of a client in each interval are
 * logged, the rest counted, and one line per client closes the interval. A client sending 10,000
 * bad requests is a few lines, not 10,000. Clients seen in one interval are forgotten at its end.
 * (The shared repeat limiter of src/util/log.ts; lines at warn level.)
 */
export function createClientLogThrottle(
  target: LogTarget,
  what: string,
  perInterval = 5,
  intervalMs = 10_000,
): { note(client: string, line: string): void; flush(): void } {
  const log = toLogger(target);
  const limiter = createRepeatLimiter<undefined>({
    intervalMs,
    perInterval,
    init: () => undefined,
    onSummary: ({ key: client, suppressed }) =>
      log.warn(
        `${what}: ${suppressed} more line(s) about ${client} not logged in the last ${intervalMs / 1000} s (counted in the stats and metrics)`,
        { client, repeated: suppressed },
      ),
  });
  return {
    note(client, line) {
      if (limiter.note(client).admitted) log.warn(line, { client });
    },
    flush: () => limiter.flush(),
  };
}
