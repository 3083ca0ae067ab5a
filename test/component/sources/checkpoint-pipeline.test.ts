// Through createPipeline: the committed offset follows what the exporters settled. An unreachable
// destination holds it (memory queue); a disk buffer settles events once they are written to it.

import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createPipeline } from '../../../src/pipeline/pipeline.ts';
import type { RunConfig } from '../../../src/config/run-config.ts';
import { lines, tmpDir, until } from '../../helpers/file-source-harness.ts';

function committed(dataDir: string): number | undefined {
  const dir = path.join(dataDir, 'checkpoints');
  if (!fs.existsSync(dir)) return undefined;
  const f = fs.readdirSync(dir).find((n) => /^file-[0-9a-f]{16}\.json$/.test(n));
  try {
    return f === undefined ? undefined : JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).files[0]?.offset;
  } catch {
    return undefined;
  }
}

async function runAgainstUnreachable(buffer: 'memory' | 'disk') {
  const dir = tmpDir(`cp-pipe-${buffer}-`);
  const events = path.join(dir, 'events.json');
  fs.writeFileSync(events, lines(0, 20));
  const config: RunConfig = {
    version: 1,
    data_dir: path.join(dir, 'data'),
    node: { name: 'n' },
    sources: [{ type: 'file', path: events, follow: true }],
    exporters: [
      {
        type: 'otlp_http',
        name: 'down',
        endpoint: 'http://127.0.0.1:9',
        delivery: { buffer: { type: buffer }, initial_backoff_ms: 50, max_backoff_ms: 100, flush_interval_ms: 20 },
      },
    ],
  };
  const logs: string[] = [];
  const p = createPipeline(config, { stdin: Readable.from([]), log: (l) => logs.push(l) }, { shutdownTimeoutMs: 300 });
  const run = p.run();
  return { dir, events, logs, p, run, dataDir: config.data_dir! };
}

describe('file checkpoints through createPipeline', () => {
  it('an unreachable destination (memory queue): the offset stays at 0 (a restart reads the events again)', async () => {
    const r = await runAgainstUnreachable('memory');
    await until(() => r.logs.some((l) => /retrying|open/.test(l)), 8000, 'retrying');
    await until(() => committed(r.dataDir) !== undefined, 8000, 'a checkpoint');
    await new Promise((res) => setTimeout(res, 500));
    expect(committed(r.dataDir)).toBe(0);
    r.p.stop();
    const summary = await r.run;
    expect(summary.exporters[0].pendingAtShutdown).toBe(20);
    expect(committed(r.dataDir)).toBe(0); // not delivered: not committed, even after the final commit
  });

  it('a disk buffer settles the events once written: the offset reaches the end of the file', async () => {
    const r = await runAgainstUnreachable('disk');
    await until(() => committed(r.dataDir) === fs.statSync(r.events).size, 8000, 'committed through the disk buffer');
    r.p.stop();
    await r.run;
    expect(committed(r.dataDir)).toBe(fs.statSync(r.events).size);
  });
});
