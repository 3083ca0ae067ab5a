// An exporter whose send calls are timed into the send-duration histogram. The delivery layer
// gets this wrapper; everything else (name, target, start, shutdown) is the exporter's own.

import type { Exporter, SendOutcome } from '../model/exporter.ts';
import type { ExporterTelemetry } from './telemetry.ts';

const OUTCOMES: ReadonlySet<string> = new Set(['ok', 'partial', 'retryable', 'rejected']);

export function timedExporter<R>(exporter: Exporter<R>, t: Pick<ExporterTelemetry, 'sendFinished'>): Exporter<R> {
  return {
    get name() {
      return exporter.name;
    },
    get target() {
      return exporter.target;
    },
    start: () => exporter.start(),
    shutdown: () => exporter.shutdown(),
    async send(batch, signal) {
      const t0 = performance.now();
      let outcome: SendOutcome;
      try {
        outcome = await exporter.send(batch, signal);
      } catch (err) {
        t.sendFinished('error', (performance.now() - t0) / 1000);
        throw err;
      }
      const status = (outcome as SendOutcome | undefined)?.status;
      t.sendFinished(
        status !== undefined && OUTCOMES.has(status) ? status : 'invalid',
        (performance.now() - t0) / 1000,
      );
      return outcome;
    },
  };
}
