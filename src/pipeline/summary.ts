// What a run reports at its end: the input counts and, per exporter, a ledger that reconciles.

import type { DeliveryStats } from '../delivery/index.ts';

export interface ExporterSummary {
  name: string;
  stats: DeliveryStats;
  pendingAtShutdown: number;
  /** Pushes the delivery refused while running (a disk buffer that could not write): dead-lettered. */
  notAccepted: number;
  /** Events this exporter's filter excluded (never pushed to it). */
  filtered: number;
  /** What became of the events, reconciled: entered = every other field added up (a test asserts it). */
  ledger: ExporterLedger;
}

/**
 * One exporter's events at the end of a run. entered (filtered + handed to its delivery this run + what its disk
 * buffer held at start) = delivered + duplicates + deadLettered + dropped + buffered + unsettled + filtered.
 */
export interface ExporterLedger {
  entered: number;
  delivered: number;
  duplicates: number;
  /** By kind: rejected | destination_state | retries_exhausted | shutdown_deadline | not_accepted. */
  deadLettered: Record<string, number>;
  dropped: number;
  /** Left in the disk buffer for the next start. */
  buffered: number;
  /** Not delivered and not stored in the dead letter (none configured, or it failed): not acked, so a file source re-reads them. */
  unsettled: number;
  filtered: number;
}

/** entered − the sum of the outcomes: 0 when the ledger reconciles. */
export function ledgerGap(l: ExporterLedger): number {
  const dl = Object.values(l.deadLettered).reduce((a, b) => a + b, 0);
  return l.entered - (l.delivered + l.duplicates + dl + l.dropped + l.buffered + l.unsettled + l.filtered);
}

export interface RunSummary {
  received: number;
  mapped: number;
  rejected: number;
  /** Decoded events every exporter's filter excluded (not mapped): received = mapped + rejected + filteredOut. */
  filteredOut: number;
  /** Sources that failed (cannot read a file, cannot listen): the run is not a success. */
  sourceErrors: number;
  exporters: ExporterSummary[];
}
