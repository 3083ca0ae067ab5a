// When /readyz answers 200. Ready = the exporters started and every source listens or reads, and
// the process is not shutting down. The destinations count only when all of them have been failing
// for a while: one failed send, or one exporter down of several, does not make the pod unready
// (readiness would flap, and the other exporters still deliver). Liveness (/healthz) never looks at
// the destinations: restarting the process cannot fix a remote outage and would lose the queue.
// The input counts the same way: when every source is a gRPC stream from Tracee and all of them
// have been down for that long, nothing can come in (Tracee stopped, or its socket moved); a
// webhook, forward or file source still takes events, so with one of those the pod stays ready.
// An exporter that dead-letters everything (DEAD_LETTER_STREAK events in a row, none delivered meanwhile)
// counts as failing too: its destination answers, but refuses every event (a template that differs from
// ours, a mapping the events no longer fit…), and "healthy" would hide it. When only some exporters do, the
// pod stays ready and the reason names them.

import type { ExporterState, Phase } from './telemetry.ts';

/** Events dead-lettered in a row, none delivered meanwhile, that make an exporter "dead-lettering everything". */
export const DEAD_LETTER_STREAK = 100;

export interface Readiness {
  ready: boolean;
  /** One line: "ready", or why not. Exporter names only, never an error text (it may hold a URL). */
  reason: string;
}

/** What readiness needs to know of the input: the gRPC streams, and how many other sources run. */
export interface InputReading {
  streams: ReadonlyArray<{ address: string; connected: boolean; since: number }>;
  /** Webhook, forward and file sources: they take events whatever Tracee's stream does. */
  otherSources: number;
}

export function judgeReadiness(
  phase: Phase,
  exporters: ReadonlyArray<{ label: string; state: ExporterState; stateSince: number; deadLetterStreak?: number }>,
  now: number,
  maxRetryingMs: number,
  input: InputReading = { streams: [], otherSources: 0 },
  deadLetterStreak = DEAD_LETTER_STREAK,
): Readiness {
  switch (phase) {
    case 'starting':
      return { ready: false, reason: 'starting: exporters not started or sources not listening yet' };
    case 'stopping':
      return { ready: false, reason: 'shutting down: input stopped, flushing the exporters' };
    case 'stopped':
      return { ready: false, reason: 'stopped' };
    case 'running':
      break;
  }
  const deadLettering =
    deadLetterStreak > 0 ? exporters.filter((e) => (e.deadLetterStreak ?? 0) >= deadLetterStreak) : [];
  const dlText = (e: { label: string; deadLetterStreak?: number }) =>
    `${e.label} dead-letters everything (the last ${e.deadLetterStreak} events, none delivered)`;
  if (maxRetryingMs > 0 && exporters.length > 0) {
    const retrying = exporters.filter((e) => e.state !== 'healthy' && now - e.stateSince >= maxRetryingMs);
    if (retrying.length === exporters.length) {
      const list = retrying.map((e) => `${e.label} (${Math.round((now - e.stateSince) / 1000)} s)`).join(', ');
      return {
        ready: false,
        reason: `every exporter retrying for over ${Math.round(maxRetryingMs / 1000)} s: ${list}`,
      };
    }
  }
  if (deadLettering.length > 0) {
    const failing = exporters.filter(
      (e) =>
        deadLettering.includes(e) ||
        (maxRetryingMs > 0 && e.state !== 'healthy' && now - e.stateSince >= maxRetryingMs),
    );
    const text = deadLettering.map(dlText).join('; ');
    if (failing.length === exporters.length)
      return {
        ready: false,
        reason: `no exporter delivers: ${text}${failing.length > deadLettering.length ? '; the others retrying' : ''}`,
      };
    return { ready: true, reason: `ready, but ${text}` };
  }
  if (maxRetryingMs > 0 && input.streams.length > 0 && input.otherSources === 0) {
    const down = input.streams.filter((g) => !g.connected && now - g.since >= maxRetryingMs);
    if (down.length === input.streams.length) {
      const list = down.map((g) => `${g.address} (${Math.round((now - g.since) / 1000)} s)`).join(', ');
      return {
        ready: false,
        reason: `every gRPC stream from Tracee down for over ${Math.round(maxRetryingMs / 1000)} s: ${list}`,
      };
    }
  }
  return { ready: true, reason: 'ready' };
}
