// When /readyz answers 200. Ready = the exporters started and every source listens or reads, and
// the process is not shutting down. The destinations count only when all of them have been failing
// for a while: one failed send, or one exporter down of several, does not make the pod unready
// (readiness would flap, and the other exporters still deliver). Liveness (/healthz) never looks at
// the destinations: restarting the process cannot fix a remote outage and would lose the queue.

import type { ExporterState, Phase } from './telemetry.ts';

export interface Readiness {
  ready: boolean;
  /** One line: "ready", or why not. Exporter names only, never an error text (it may hold a URL). */
  reason: string;
}

export function judgeReadiness(
  phase: Phase,
  exporters: ReadonlyArray<{ label: string; state: ExporterState; stateSince: number }>,
  now: number,
  maxRetryingMs: number,
): Readiness {
  switch (phase) {
    case 'starting': return { ready: false, reason: 'starting: exporters not started or sources not listening yet' };
    case 'stopping': return { ready: false, reason: 'shutting down: input stopped, flushing the exporters' };
    case 'stopped': return { ready: false, reason: 'stopped' };
    case 'running': break;
  }
  if (maxRetryingMs > 0 && exporters.length > 0) {
    const failing = exporters.filter((e) => e.state !== 'healthy' && now - e.stateSince >= maxRetryingMs);
    if (failing.length === exporters.length) {
      const list = failing.map((e) => `${e.label} (${Math.round((now - e.stateSince) / 1000)} s)`).join(', ');
      return { ready: false, reason: `every exporter retrying for over ${Math.round(maxRetryingMs / 1000)} s: ${list}` };
    }
  }
  return { ready: true, reason: 'ready' };
}
