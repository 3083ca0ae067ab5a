// Delivery-guarantee regressions found in review: each case failed before its fix.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeOkExporter } from '../../../helpers/fake-exporter.ts';
import { item, openBuffer, tmpDir } from '../../../helpers/disk-buffer-setup.ts';

describe('disk-buffered delivery: block mode frees an acknowledged active segment', () => {
  it('a push blocked after every record was acknowledged is admitted (segment_bytes = max_bytes; the schema minimum 64 KiB gives that by default)', async () => {
    const dir = tmpDir();
    const ex = fakeOkExporter();
    // one segment as large as the cap: the buffer fills up inside the active segment
    const { buffer } = await openBuffer(dir, ex, {
      maxBytes: 4096,
      segmentBytes: 4096,
      whenFull: 'block',
      checkpointIntervalMs: 10,
    });
    buffer.start();
    let n = 0;
    // fill to just below the cap; everything is delivered and acknowledged
    while (buffer.bufferStats().bytes < 3600) await buffer.push(item(n++, undefined, 200));
    await buffer.flush();
    expect(buffer.bufferStats().events).toBe(0);
    await new Promise((r) => setTimeout(r, 50)); // checkpoints ran: nothing more will be acked
    // this one does not fit next to the (acknowledged) active segment: it waits for room
    const late = buffer.push(item(n++, undefined, 600));
    const outcome = await Promise.race([
      late.then(() => 'admitted'),
      new Promise((r) => setTimeout(() => r('still blocked'), 1500)),
    ]);
    expect(outcome).toBe('admitted');
    await buffer.flush();
    expect(new Set(ex.accepted).size).toBe(n);
    await buffer.shutdown(1000);
  });
});

describe('disk-buffered delivery: a checkpoint that cannot be saved', () => {
  it('acknowledged segments are still deleted (a restart starts at the first segment left), so a full buffer keeps taking pushes', async () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'ack.json.tmp')); // writeCheckpoint cannot create its temp file: EISDIR
    const ex = fakeOkExporter();
    const { buffer, logs } = await openBuffer(dir, ex, {
      maxBytes: 8192,
      segmentBytes: 1024,
      whenFull: 'block',
      checkpointIntervalMs: 10,
    });
    buffer.start();
    // ~20 times the cap, delivered as it goes
    const all = (async () => {
      for (let n = 0; n < 400; n++) await buffer.push(item(n, undefined, 300));
      return 'all pushed';
    })();
    const outcome = await Promise.race([all, new Promise((r) => setTimeout(() => r('blocked'), 3000))]);
    expect(outcome).toBe('all pushed');
    await buffer.flush();
    expect(new Set(ex.accepted).size).toBe(400);
    expect(logs.some((l) => /cannot save the checkpoint/.test(l))).toBe(true);
    // logged once per distinct error, not at every tick
    expect(logs.filter((l) => /cannot save the checkpoint/.test(l)).length).toBe(1);
    await buffer.shutdown(1000);

    // the next start replays only what was still on disk: never more than the cap (max_bytes) plus the
    // active segment, whatever the timing of the last deletion tick (under CPU load it may lag behind)
    fs.rmSync(path.join(dir, 'ack.json.tmp'), { recursive: true });
    const ex2 = fakeOkExporter();
    const second = await openBuffer(dir, ex2);
    second.buffer.start();
    await second.buffer.flush();
    expect(ex2.accepted.length).toBeLessThanOrEqual(Math.ceil((8192 + 1024) / 300));
    expect(ex2.accepted.length).toBeLessThan(400);
    await second.buffer.shutdown(1000);
  });
});
