// `tracee-exporter run --config FILE`: run the pipeline until the input ends or SIGTERM/SIGINT.
// With `telemetry.listen` the /metrics, /healthz, /readyz server runs from before the exporters
// start until the last flush is done, so probes see "starting" and "shutting down" too.

import { loadRunConfig, resolveTelemetryConfig } from '../config/run-config.ts';
import { redact } from '../config/secrets.ts';
import { preparePipeline, type RunSummary } from '../pipeline/pipeline.ts';
import { createTelemetry, createTelemetryServer, startProgressLog, type TelemetryServer } from '../telemetry/index.ts';

export async function runCommand(configFile: string | undefined, opts: { shutdownTimeoutMs: number }): Promise<number> {
  const config = loadRunConfig(configFile);
  // every line goes through redact: a secret the config or the environment holds never reaches stderr
  const log = (line: string) => process.stderr.write(`tracee-exporter: ${redact(line)}\n`);
  const { telemetry: tc, warnings } = resolveTelemetryConfig(config);
  for (const w of warnings) log(w);
  const telemetry = createTelemetry({ notReadyAfterRetryingMs: tc.notReadyAfterRetryingMs, processMetrics: true });
  const pipeline = await preparePipeline(config, { stdin: process.stdin, log }, { shutdownTimeoutMs: opts.shutdownTimeoutMs, telemetry });
  let server: TelemetryServer | undefined;
  if (tc.listen !== undefined) {
    server = createTelemetryServer(telemetry, { host: tc.listen.host, port: tc.listen.port, log });
    log(`telemetry: listening on ${await server.listen()} (/metrics, /healthz, /readyz)`);
  }
  const onSignal = (sig: string) => {
    log(`${sig}: stopping input, flushing (up to ${opts.shutdownTimeoutMs} ms)`);
    pipeline.stop();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  const stopProgress = startProgressLog(telemetry, { intervalMs: tc.logIntervalMs, log });
  let summary: RunSummary;
  try {
    summary = await pipeline.run();
  } finally {
    stopProgress();
    await server?.close();
  }
  log(summaryLine(summary));
  const undelivered = summary.exporters.some((e) => e.pendingAtShutdown > 0 || e.notAccepted > 0 || e.stats.deadLettered > 0 || e.stats.droppedTotal > 0);
  return summary.rejected > 0 || undelivered || summary.sourceErrors > 0 ? 1 : 0;
}

export function summaryLine(s: RunSummary): string {
  const parts = s.exporters.map((e) => {
    const st = e.stats;
    const dropped = st.droppedTotal ? `, dropped ${st.droppedTotal}` : '';
    const filtered = e.filtered ? `, filtered ${e.filtered}` : '';
    return `${e.name}: delivered ${st.delivered}, duplicates ${st.duplicates}, dead-lettered ${st.deadLettered}${dropped}${filtered}, retries ${st.retries}, pending ${e.pendingAtShutdown}`;
  });
  const filteredOut = s.filteredOut ? `, filtered out by every exporter ${s.filteredOut}` : '';
  return `received ${s.received}, mapped ${s.mapped}, rejected ${s.rejected}${filteredOut}; ${parts.join('; ')}`;
}
