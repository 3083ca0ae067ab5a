// The periodic progress line (telemetry.log_interval_ms, default 60 s), for operators without a
// Prometheus: totals since start, the input rate over the interval, and per exporter what became
// of the events. Example:
//   progress: received 120345 (+2005.8/s), mapped 120301, rejected 44; otlp: delivered 120100, dead-lettered 0, dropped 0, queued 201, healthy; es: delivered 119000, dead-lettered 3, dropped 0, queued 1298, in flight 1000, retrying for 42 s
// A gRPC stream that is down is named (its events are lost meanwhile), e.g.
//   …; grpc unix:///var/run/tracee.sock: disconnected for 12 s (events Tracee emits meanwhile are lost)

import { DEAD_LETTER_STREAK } from './readiness.ts';
import type { Telemetry, TelemetrySnapshot } from './telemetry.ts';

export interface ProgressLogOptions {
  intervalMs: number;
  log(line: string): void;
  /** Monotonic milliseconds (default performance.now). */
  now?: () => number;
}

export function progressLine(s: TelemetrySnapshot, prevReceived: number, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? ((s.received - prevReceived) * 1000) / elapsedMs : 0;
  const exporters = s.exporters.map((e) => {
    let state =
      e.state === 'healthy'
        ? 'healthy'
        : `${e.state === 'open' ? 'circuit open, failing' : 'retrying'} for ${Math.round(e.stateForMs / 1000)} s`;
    if (e.deadLetterStreak >= DEAD_LETTER_STREAK)
      state += `, DEAD-LETTERS EVERYTHING (the last ${e.deadLetterStreak} events, none delivered)`;
    const dup = e.duplicates > 0 ? `, duplicates ${e.duplicates}` : '';
    return `${e.name}: delivered ${e.delivered}${dup}, dead-lettered ${e.deadLettered}, dropped ${e.dropped}, queued ${e.queuedItems}${e.inFlightItems > 0 ? `, in flight ${e.inFlightItems}` : ''}, ${state}`;
  });
  const streams = s.grpc
    .filter((g) => !g.connected)
    .map(
      (g) =>
        `grpc ${g.address}: ${g.everConnected ? 'disconnected' : 'not connected'} for ${Math.round(g.stateForMs / 1000)} s (events Tracee emits meanwhile are lost)`,
    );
  const parts = [...exporters, ...streams];
  return `progress: received ${s.received} (+${rate.toFixed(1)}/s), mapped ${s.mapped}, rejected ${s.rejected}${parts.length ? `; ${parts.join('; ')}` : ''}`;
}

/** Log a progress line every `intervalMs` (nothing when 0); returns stop(). The timer never keeps the process alive. */
export function startProgressLog(telemetry: Telemetry, opts: ProgressLogOptions): () => void {
  if (!(opts.intervalMs > 0)) return () => {};
  const now = opts.now ?? (() => performance.now());
  let prevReceived = telemetry.snapshot().received;
  let prevAt = now();
  const timer = setInterval(() => {
    const s = telemetry.snapshot();
    const at = now();
    opts.log(progressLine(s, prevReceived, at - prevAt));
    prevReceived = s.received;
    prevAt = at;
  }, opts.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
