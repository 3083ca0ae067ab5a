// Persisted offsets across restarts, through the real ingest and delivery (fake exporter).

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeSink, lines, startRun, tally, tmpDir, until } from '../../helpers/file-source-harness.ts';

const sizeOf = (f: string) => fs.statSync(f).size;
const checkpointOffset = (cp: string): number | undefined => {
  try {
    return JSON.parse(fs.readFileSync(cp, 'utf8')).files[0]?.offset;
  } catch {
    return undefined;
  }
};

describe('file source checkpoints', () => {
  it('a clean stop and restart deliver every event exactly once; origins continue at the right line', async () => {
    const dir = tmpDir('cp-clean-');
    const f = path.join(dir, 'events.json');
    const cp = path.join(dir, 'checkpoints', 'events.json.cp');
    fs.writeFileSync(f, lines(0, 50));
    const sink = fakeSink();
    const opts = { paths: [f], follow: true, checkpointPath: cp };
    const r1 = startRun(sink, opts);
    await until(() => sink.delivered.size === 50, 8000, '50 delivered');
    fs.appendFileSync(f, lines(50, 30));
    await until(() => sink.delivered.size === 80, 8000, '80 delivered');
    await r1.stop();
    expect(checkpointOffset(cp)).toBe(sizeOf(f)); // the final commit after the flush
    fs.appendFileSync(f, lines(80, 20)); // written while we are down
    const before = sink.origins.length;
    const r2 = startRun(sink, opts);
    await until(() => sink.delivered.size === 100, 8000, '100 delivered');
    await new Promise((r) => setTimeout(r, 100)); // nothing more arrives
    await r2.stop();
    expect(tally(sink, 100)).toEqual({ missing: [], duplicated: [], total: 100 });
    expect(sink.origins.slice(before)).toEqual(Array.from({ length: 20 }, (_, k) => `${f}:${81 + k}`));
    expect(
      r2.logs.some((l) => l.includes(`resuming at byte ${sizeOf(f) - Buffer.byteLength(lines(80, 20))} (line 80)`)),
    ).toBe(true);
  });

  it('a crash (the checkpoint one interval behind): the uncommitted tail is read again, nothing is lost', async () => {
    const dir = tmpDir('cp-crash-');
    const f = path.join(dir, 'events.json');
    const cp = path.join(dir, 'cp.json');
    fs.writeFileSync(f, lines(0, 40));
    const sink = fakeSink();
    const opts = { paths: [f], follow: true, checkpointPath: cp };
    const r1 = startRun(sink, opts);
    await until(() => checkpointOffset(cp) === sizeOf(f), 8000, 'checkpoint of 40');
    const lastWritten = fs.readFileSync(cp); // the last checkpoint the crashed process wrote
    fs.appendFileSync(f, lines(40, 30));
    await until(() => sink.delivered.size === 70, 8000, '70 delivered');
    await r1.stop();
    fs.writeFileSync(cp, lastWritten); // kill -9 before the next write
    const r2 = startRun(sink, opts);
    await until(() => (sink.delivered.get(69) ?? 0) === 2, 8000, 'the tail again');
    await new Promise((r) => setTimeout(r, 100));
    await r2.stop();
    const t = tally(sink, 70);
    expect(t.missing).toEqual([]);
    expect(t.duplicated).toEqual(Array.from({ length: 30 }, (_, k) => 40 + k)); // exactly the uncommitted tail
    expect(t.total).toBe(100);
  });

  it('an exporter that is down keeps the committed offset at the last delivered record', async () => {
    const dir = tmpDir('cp-down-');
    const f = path.join(dir, 'events.json');
    const cp = path.join(dir, 'cp.json');
    fs.writeFileSync(f, lines(0, 10));
    const sink = fakeSink();
    const r = startRun(sink, { paths: [f], follow: true, checkpointPath: cp });
    await until(() => checkpointOffset(cp) === sizeOf(f), 8000, 'checkpoint of 10');
    const delivered10 = sizeOf(f);
    sink.down = true;
    fs.appendFileSync(f, lines(10, 10));
    await new Promise((res) => setTimeout(res, 400)); // read, pushed, retried: not delivered
    expect(sink.delivered.size).toBe(10);
    expect(r.source.snapshot()[0].offset).toBe(delivered10);
    expect(checkpointOffset(cp)).toBe(delivered10);
    sink.down = false; // the destination is back: the retries deliver, the offset moves on
    await until(() => checkpointOffset(cp) === sizeOf(f), 8000, 'checkpoint of 20');
    await r.stop();
    expect(tally(sink, 20)).toEqual({ missing: [], duplicated: [], total: 20 });
  });

  it('a checkpoint that cannot be parsed is reported and the file is read from the start (duplicates, not loss)', async () => {
    const dir = tmpDir('cp-bad-');
    const f = path.join(dir, 'events.json');
    const cp = path.join(dir, 'cp.json');
    fs.writeFileSync(f, lines(0, 5));
    fs.writeFileSync(cp, '{"version":1,"files":[tor');
    const sink = fakeSink();
    const r = startRun(sink, { paths: [f], follow: true, startAt: 'end', checkpointPath: cp });
    await until(() => sink.delivered.size === 5, 8000, '5 delivered'); // start_at end does not apply: a checkpoint existed
    await r.stop();
    expect(r.logs.some((l) => /checkpoint unreadable/.test(l))).toBe(true);
    expect(JSON.parse(fs.readFileSync(cp, 'utf8')).files[0]).toMatchObject({ path: f, offset: sizeOf(f), line: 5 });
  });

  it('start_at end applies only when there is no checkpoint', async () => {
    const dir = tmpDir('cp-end-');
    const f = path.join(dir, 'events.json');
    const cp = path.join(dir, 'cp.json');
    fs.writeFileSync(f, lines(0, 5));
    const sink = fakeSink();
    const opts = { paths: [f], follow: true, startAt: 'end' as const, checkpointPath: cp };
    const r1 = startRun(sink, opts);
    await until(() => checkpointOffset(cp) !== undefined, 8000, 'a checkpoint');
    fs.appendFileSync(f, lines(5, 3));
    await until(() => sink.delivered.size === 3, 8000, '3 delivered');
    await r1.stop();
    fs.appendFileSync(f, lines(8, 2));
    const r2 = startRun(sink, opts);
    await until(() => sink.delivered.size === 5, 8000, '5 delivered');
    await r2.stop();
    expect([...sink.delivered.keys()].sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9]);
    expect(tally(sink, 10).duplicated).toEqual([]);
  });
});
