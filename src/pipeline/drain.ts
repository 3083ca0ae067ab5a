// Drain and report steps of the pipeline: every delivery flushes within one shutdown deadline;
// what is left is dead-lettered (or stays unsettled), logged, and reconciled into a ledger per exporter.

import type { FileDeadLetter } from '../delivery/index.ts';
import { deadLetterEvent } from './dead-letter-sink.ts';
import type { Route } from './routes.ts';
import type { ExporterLedger, ExporterSummary } from './summary.ts';
import { toLogger, type Logger, type LogTarget } from '../util/log.ts';

type ShutdownReport = Awaited<ReturnType<Route['delivery']['shutdown']>>;

/**
 * Not delivered within the deadline: dead-lettered (shutdown_deadline) and acked, so a file source does
 * not read them again (replay sends them: docs/delivery.md); one the dead letter cannot hold stays
 * unacked (unsettled) and is re-read at the next start. One or the other, never both.
 */
function settlePending(
  r: Route,
  report: ShutdownReport,
  deadLetter: FileDeadLetter | undefined,
): { deadLettered: number; unsettled: number } {
  let deadLettered = 0;
  let unsettled = 0;
  for (const item of report.pending) {
    // a failed dead letter (disk full…) is counted on the route and logged; the other exporters still shut down
    const stored = deadLetterEvent(
      deadLetter,
      r.exporter.name,
      'shutdown_deadline: not delivered before the shutdown deadline',
      item,
      r,
    );
    if (!stored) {
      unsettled++;
      continue;
    }
    deadLettered++;
    try {
      item.ack?.('dead_lettered');
    } catch {
      /* a source's ack never breaks the shutdown */
    }
  }
  return { deadLettered, unsettled };
}

/** The closing lines of one exporter: what was not delivered, and where it went. */
function logLeftovers(
  r: Route,
  report: ShutdownReport,
  pending: number,
  deadLetter: FileDeadLetter | undefined,
  log: Logger,
): void {
  if (pending > 0)
    log.warn(
      `${r.exporter.name}: ${pending} event(s) not delivered before the shutdown deadline${deadLetter && r.unwrittenAtShutdown === 0 ? ' (written to the dead letter)' : ''}`,
    );
  if (r.unwrittenAtShutdown > 0)
    log.error(
      `${r.exporter.name}: ${r.unwrittenAtShutdown} of them could not be written to the dead letter: ${r.unwrittenReason}`,
    );
  // disk buffer: what was not delivered stays in the buffer (not dead-lettered) for the next start
  if (report.buffered)
    log.info(`${r.exporter.name}: ${report.buffered} event(s) stay in the disk buffer for the next start`);
  if (r.notAccepted > 0)
    log.warn(
      `${r.exporter.name}: ${r.notAccepted} event(s) were not accepted while running${deadLetter ? ' (written to the dead letter)' : ''}`,
    );
}

/** What became of one exporter's events, reconciled (summary.ts). */
function ledgerOf(
  r: Route,
  report: ShutdownReport,
  settled: { deadLettered: number; unsettled: number },
  hasDeadLetter: boolean,
): ExporterLedger {
  const st = report.stats;
  const deadLettered: Record<string, number> = { ...st.deadLetteredBy };
  if (settled.deadLettered > 0)
    deadLettered.shutdown_deadline = (deadLettered.shutdown_deadline ?? 0) + settled.deadLettered;
  // refused pushes (not accepted / late refusals) were written by pushFailed / lateRefusal; their failed writes are in unwrittenAtShutdown
  const refused = r.notAccepted + r.refusedAtShutdown;
  const refusedStored = hasDeadLetter ? Math.max(0, refused - (r.unwrittenAtShutdown - settled.unsettled)) : 0;
  if (refusedStored > 0) deadLettered.not_accepted = refusedStored;
  return {
    entered: st.received + refused + r.filteredCount + r.bufferedAtStart,
    delivered: st.delivered,
    duplicates: st.duplicates,
    deadLettered,
    dropped: st.droppedTotal,
    buffered: report.buffered ?? 0,
    // behind a disk buffer an unacked (unstored) dead letter stays in the buffer: counted in buffered
    unsettled:
      settled.unsettled + (report.buffered === undefined ? st.deadLetteredUnstored : 0) + (refused - refusedStored),
    filtered: r.filteredCount,
  };
}

/** Every delivery drains at once (--shutdown-timeout is one deadline, not one per exporter); reported into `out` in order. */
export async function drainRoutes(
  routes: Route[],
  shutdownTimeoutMs: number,
  deadLetter: FileDeadLetter | undefined,
  log: LogTarget,
  out: ExporterSummary[],
): Promise<void> {
  const reports = routes.map((r) => r.delivery.shutdown(shutdownTimeoutMs));
  for (const p of reports)
    p.catch(() => {
      /* awaited below, in order */
    });
  for (const [k, r] of routes.entries()) {
    const report = await reports[k]!;
    const settled = settlePending(r, report, deadLetter);
    await Promise.resolve(); // let refusals of waiting pushes (lateRefusal) run first
    const pending = report.pending.length + r.refusedAtShutdown;
    r.telemetry.undeliveredAtShutdown(pending);
    logLeftovers(r, report, pending, deadLetter, toLogger(log, { component: 'delivery', exporter: r.exporter.name }));
    const ledger = ledgerOf(r, report, settled, deadLetter !== undefined);
    out.push({
      name: r.exporter.name,
      stats: report.stats,
      pendingAtShutdown: pending,
      notAccepted: r.notAccepted,
      filtered: r.filteredCount,
      ledger,
    });
    await r.exporter.shutdown();
  }
}
