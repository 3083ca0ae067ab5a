// `tracee-exporter run --config FILE`: run the pipeline until the input ends or SIGTERM/SIGINT.
// With `telemetry.listen` the /metrics, /healthz, /readyz server runs from before the exporters
// start until the last flush is done, so probes see "starting" and "shutting down" too.

import { loadRunConfig, locateConfigError, resolveTelemetryConfig, type ParseDetails } from '../config/run-config.ts';
import { redact } from '../config/secrets.ts';
import { preparePipeline, type RunSummary } from '../pipeline/pipeline.ts';
import { createTelemetry, createTelemetryServer, startProgressLog, type TelemetryServer } from '../telemetry/index.ts';
import { configureLog, rootLogger, type LogFormat, type LogLevel } from '../util/log.ts';

export interface RunCommandOptions {
  shutdownTimeoutMs: number;
  /** --log-format / --log-level: win over the config's `log:`. */
  logFormat?: LogFormat;
  logLevel?: LogLevel;
}

export async function runCommand(configFile: string | undefined, opts: RunCommandOptions): Promise<number> {
  const details: ParseDetails = {};
  const config = loadRunConfig(configFile, process.env, details);
  // every line goes through redact: a secret the config or the environment holds never reaches stderr
  configureLog({
    redact: (t) => redact(t),
    format: opts.logFormat ?? config.log?.format,
    level: opts.logLevel ?? config.log?.level,
  });
  const log = rootLogger.child({ component: 'pipeline' });
  const tlog = rootLogger.child({ component: 'telemetry' });
  for (const w of details.warnings ?? []) rootLogger.child({ component: 'config' }).warn(`warning: ${w}`);
  log.debug(
    `config ${configFile ?? '(the environment alone)'}: ${config.sources?.length ?? 1} source(s), ${config.exporters.length} exporter(s); log ${opts.logFormat ?? config.log?.format ?? 'text'}, level ${opts.logLevel ?? config.log?.level ?? 'info'}`,
  );
  const { telemetry: tc, warnings } = resolveTelemetryConfig(config);
  for (const w of warnings) tlog.warn(w);
  const telemetry = createTelemetry({ notReadyAfterRetryingMs: tc.notReadyAfterRetryingMs, processMetrics: true });
  // an error in building the exporters and sources names file:line:col, as `config check` does
  const pipeline = await preparePipeline(
    config,
    { stdin: process.stdin, log },
    { shutdownTimeoutMs: opts.shutdownTimeoutMs, telemetry },
  ).catch((err: unknown) => {
    throw locateConfigError(err, details.locate);
  });
  let server: TelemetryServer | undefined;
  if (tc.listen !== undefined) {
    server = createTelemetryServer(telemetry, { host: tc.listen.host, port: tc.listen.port, log: tlog });
    tlog.info(`telemetry: listening on ${await server.listen()} (/metrics, /healthz, /readyz)`);
  }
  const onSignal = (sig: string) => {
    log.info(`${sig}: stopping input, flushing (up to ${opts.shutdownTimeoutMs} ms)`);
    pipeline.stop();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  const stopProgress = startProgressLog(telemetry, { intervalMs: tc.logIntervalMs, log: tlog });
  let summary: RunSummary;
  try {
    summary = await pipeline.run();
  } finally {
    stopProgress();
    await server?.close();
    rootLogger.flush(); // the summaries of rate-limited lines before the closing lines
  }
  // the closing lines: the input, then one per exporter (in JSON with its name)
  for (const [i, line] of summaryLines(summary).entries()) {
    log.info(
      line,
      i === 0
        ? { received: summary.received, rejected: summary.rejected }
        : { exporter: summary.exporters[i - 1]?.name },
    );
  }
  const undelivered = summary.exporters.some(
    (e) =>
      e.pendingAtShutdown > 0 ||
      e.notAccepted > 0 ||
      e.stats.deadLettered > 0 ||
      e.stats.droppedTotal > 0 ||
      e.ledger.unsettled > 0,
  );
  return summary.rejected > 0 || undelivered || summary.sourceErrors > 0 ? 1 : 0;
}

/**
 * The closing summary: the input line, then one line per exporter whose numbers add up (ledgerGap = 0):
 *   es: entered 100 = delivered 95 + duplicates 1 + dead-lettered 3 (rejected 2, shutdown_deadline 1) + dropped 0 + buffered 0 + unsettled 0 + filtered 1; retries 4
 */
export function summaryLines(s: RunSummary): string[] {
  const filteredOut = s.filteredOut ? `, filtered out by every exporter ${s.filteredOut}` : '';
  const lines = [`received ${s.received}, mapped ${s.mapped}, rejected ${s.rejected}${filteredOut}`];
  for (const e of s.exporters) {
    const l = e.ledger;
    const kinds = Object.entries(l.deadLettered).filter(([, n]) => n > 0);
    const dl = kinds.reduce((a, [, n]) => a + n, 0);
    const by = kinds.length ? ` (${kinds.map(([k, n]) => `${k} ${n}`).join(', ')})` : '';
    lines.push(
      `${e.name}: entered ${l.entered} = delivered ${l.delivered} + duplicates ${l.duplicates} + dead-lettered ${dl}${by} + dropped ${l.dropped}` +
        ` + buffered ${l.buffered} + unsettled ${l.unsettled} + filtered ${l.filtered}; retries ${e.stats.retries}`,
    );
  }
  return lines;
}

export function summaryLine(s: RunSummary): string {
  return summaryLines(s).join('\n');
}
