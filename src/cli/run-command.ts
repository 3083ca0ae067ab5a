// `tracee-exporter run --config FILE`: run the pipeline until the input ends or SIGTERM/SIGINT.

import { loadRunConfig } from '../config/run-config.ts';
import { createPipeline, type RunSummary } from '../pipeline/pipeline.ts';

export async function runCommand(configFile: string, opts: { shutdownTimeoutMs: number }): Promise<number> {
  const config = loadRunConfig(configFile);
  const log = (line: string) => process.stderr.write(`tracee-exporter: ${line}\n`);
  const pipeline = createPipeline(config, { stdin: process.stdin, log }, { shutdownTimeoutMs: opts.shutdownTimeoutMs });
  const onSignal = (sig: string) => {
    log(`${sig}: stopping input, flushing (up to ${opts.shutdownTimeoutMs} ms)`);
    pipeline.stop();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  const summary = await pipeline.run();
  log(summaryLine(summary));
  const undelivered = summary.exporters.some((e) => e.pendingAtShutdown > 0 || e.stats.deadLettered > 0);
  return summary.rejected > 0 || undelivered || summary.sourceErrors > 0 ? 1 : 0;
}

export function summaryLine(s: RunSummary): string {
  const parts = s.exporters.map((e) => {
    const st = e.stats;
    const dropped = st.droppedTotal ? `, dropped ${st.droppedTotal}` : '';
    return `${e.name}: delivered ${st.delivered}, duplicates ${st.duplicates}, dead-lettered ${st.deadLettered}${dropped}, retries ${st.retries}, pending ${e.pendingAtShutdown}`;
  });
  return `received ${s.received}, mapped ${s.mapped}, rejected ${s.rejected}; ${parts.join('; ')}`;
}
