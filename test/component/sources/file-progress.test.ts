// Per followed file: the committed offset and the size (what /metrics turns into
// tracee_exporter_file_committed_offset_bytes and tracee_exporter_file_lag_bytes). The lag holds
// while the destination is down, drains once it is back, follows appends, and a file let go
// (deleted) leaves the list; through createPipeline the gauges appear on /metrics.

import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../../src/config/run-config.ts';
import { createPipeline } from '../../../src/pipeline/pipeline.ts';
import type { FileProgress } from '../../../src/sources/files/file-source.ts';
import { createTelemetry } from '../../../src/telemetry/index.ts';
import { parsePromText, sumOf } from '../../helpers/prom-text.ts';
import { fakeSink, lines, startRun, tmpDir } from '../../helpers/file-source-harness.ts';

const P = 'tracee_exporter_';

async function waitFor(
  read: () => Promise<FileProgress[]>,
  ok: (p: FileProgress[]) => boolean,
  what: string,
): Promise<FileProgress[]> {
  let last: FileProgress[] = [];
  const t0 = Date.now();
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() - t0 > 8000) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('file source progress (committed offset, size)', () => {
  it('the lag holds while the destination is down, drains when it is back, follows appends; a deleted file leaves the list', async () => {
    const dir = tmpDir('fprog-');
    const a = path.join(dir, 'a.json');
    const b = path.join(dir, 'b.json');
    fs.writeFileSync(a, lines(0, 10));
    fs.writeFileSync(b, lines(100, 4));
    const sink = fakeSink();
    sink.down = true;
    const r = startRun(sink, {
      paths: [path.join(dir, '*.json')],
      follow: true,
      checkpointPath: path.join(dir, 'cp', 'files.json'),
    });
    try {
      const sizeA = fs.statSync(a).size;
      const sizeB = fs.statSync(b).size;
      // read to the end, nothing delivered: committed 0, the whole file is lag
      const held = await waitFor(r.source.progress, (p) => p.length === 2, 'both files followed');
      await new Promise((res) => setTimeout(res, 200));
      expect((await r.source.progress()).sort((x, y) => x.path.localeCompare(y.path))).toEqual([
        { path: a, committedOffset: 0, size: sizeA },
        { path: b, committedOffset: 0, size: sizeB },
      ]);
      expect(held).toHaveLength(2);

      sink.down = false;
      await waitFor(
        r.source.progress,
        (p) => p.length === 2 && p.every((f) => f.committedOffset === f.size && f.size > 0),
        'the lag drained',
      );

      fs.appendFileSync(a, lines(10, 5));
      const grown = fs.statSync(a).size;
      await waitFor(
        r.source.progress,
        (p) => p.some((f) => f.path === a && f.committedOffset === grown && f.size === grown),
        'the appended lines committed',
      );

      // b deleted: read to its end, let go after quietMs, its records settled: no longer listed
      fs.rmSync(b);
      const after = await waitFor(r.source.progress, (p) => p.length === 1, 'b let go');
      expect(after).toEqual([{ path: a, committedOffset: grown, size: grown }]);
    } finally {
      await r.stop();
    }
  });

  it("the size is the file's size now (fstat), not what was read: a backlog not yet read is lag", async () => {
    const dir = tmpDir('fprog-');
    const a = path.join(dir, 'a.json');
    fs.writeFileSync(a, lines(0, 3));
    const sink = fakeSink();
    const r = startRun(sink, {
      paths: [a],
      follow: true,
      checkpointPath: path.join(dir, 'cp', 'files.json'),
      pollIntervalMs: 2000,
    });
    try {
      const first = fs.statSync(a).size;
      await waitFor(r.source.progress, (p) => p[0]?.committedOffset === first, 'the first lines committed');
      fs.appendFileSync(a, lines(3, 2)); // the reader sleeps 2 s at the end: not read yet
      const p = await r.source.progress();
      expect(p).toEqual([{ path: a, committedOffset: first, size: fs.statSync(a).size }]);
      expect(p[0].size).toBeGreaterThan(first);
    } finally {
      await r.stop();
    }
  });

  it('without a checkpoint the committed offset is the end of the records read', async () => {
    const dir = tmpDir('fprog-');
    const a = path.join(dir, 'a.json');
    fs.writeFileSync(a, lines(0, 5));
    const sink = fakeSink();
    sink.down = true; // nothing settles; without checkpoints nothing waits for it
    const r = startRun(sink, { paths: [a], follow: true });
    try {
      const size = fs.statSync(a).size;
      expect(await waitFor(r.source.progress, (p) => p[0]?.committedOffset === size, 'read to the end')).toEqual([
        { path: a, committedOffset: size, size },
      ]);
    } finally {
      sink.down = false;
      await r.stop();
    }
  });

  it('through createPipeline: /metrics has file_committed_offset_bytes and file_lag_bytes per path', async () => {
    const dir = tmpDir('fprog-pipe-');
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
          delivery: { initial_backoff_ms: 50, max_backoff_ms: 100, flush_interval_ms: 20 },
        },
      ],
    };
    const telemetry = createTelemetry();
    const p = createPipeline(
      config,
      { stdin: Readable.from([]), log: () => {} },
      { shutdownTimeoutMs: 300, telemetry },
    );
    const run = p.run();
    try {
      const size = fs.statSync(events).size;
      let m = parsePromText(await telemetry.metrics());
      for (let i = 0; i < 400 && sumOf(m, `${P}events_received_total`) < 20; i++) {
        await new Promise((res) => setTimeout(res, 20));
        m = parsePromText(await telemetry.metrics());
      }
      expect(sumOf(m, `${P}events_received_total`)).toBe(20);
      // the destination is unreachable: nothing is committed, the whole file is lag
      expect(m.filter((s) => s.name.startsWith(`${P}file_`))).toEqual([
        { name: `${P}file_committed_offset_bytes`, labels: { path: events }, value: 0 },
        { name: `${P}file_lag_bytes`, labels: { path: events }, value: size },
      ]);
    } finally {
      p.stop();
      await run;
    }
  });
});
