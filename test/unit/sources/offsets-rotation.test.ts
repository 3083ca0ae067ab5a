// Rotation, truncation and replacement, while running and while stopped: each file has its own
// offset and nothing written before a rotation is lost.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeSink, lines, startRun, tally, tmpDir, until } from '../../helpers/file-source-harness.ts';

/** app.json with lines 0–9, read by a run that delivered them and stopped (its checkpoint kept). */
async function tenDeliveredThenStopped(prefix: string) {
  const dir = tmpDir(prefix);
  const f = path.join(dir, 'app.json');
  fs.writeFileSync(f, lines(0, 10));
  const sink = fakeSink();
  const opts = { paths: [f], follow: true, checkpointPath: path.join(dir, 'cp.json') };
  const r1 = startRun(sink, opts);
  await until(() => sink.delivered.size === 10, 8000, '10 delivered');
  await r1.stop();
  return { f, sink, opts };
}

describe('file source: rotation, truncation, replacement', () => {
  it('rename rotation: the lines appended just before the rename are read from the old file, then the new file', async () => {
    const dir = tmpDir('rot-');
    const f = path.join(dir, 'app.json');
    fs.writeFileSync(f, lines(0, 10));
    const sink = fakeSink();
    const r = startRun(sink, {
      paths: [f],
      follow: true,
      checkpointPath: path.join(dir, 'cp.json'),
      pollIntervalMs: 100,
    });
    await until(() => sink.delivered.size === 10, 8000, '10 delivered');
    // in one synchronous step: the writer appends, logrotate renames, a new file starts
    fs.appendFileSync(f, lines(10, 5));
    fs.renameSync(f, f + '.1');
    fs.writeFileSync(f, lines(15, 5));
    await until(() => sink.delivered.size === 20, 8000, '20 delivered');
    await r.stop();
    expect(tally(sink, 20)).toEqual({ missing: [], duplicated: [], total: 20 });
    expect(r.logs.some((l) => /rotated \(the previous file was read to its end/.test(l))).toBe(true);
    // the new file's records count their lines from 1
    expect(sink.origins.slice(15)).toEqual(Array.from({ length: 5 }, (_, k) => `${f}:${k + 1}`));
  });

  it('a writer that keeps the renamed file open (Tracee does not reopen its output) is still followed until the file goes quiet', async () => {
    const dir = tmpDir('rot-open-');
    const f = path.join(dir, 'app.json');
    fs.writeFileSync(f, lines(0, 5));
    const sink = fakeSink();
    const r = startRun(sink, { paths: [f], follow: true, quietMs: 400 });
    await until(() => sink.delivered.size === 5, 8000, '5 delivered');
    fs.renameSync(f, f + '.1');
    fs.writeFileSync(f, '');
    for (let k = 0; k < 3; k++) {
      // the writer's descriptor still points at app.json.1
      await new Promise((res) => setTimeout(res, 150));
      fs.appendFileSync(f + '.1', lines(5 + k, 1));
    }
    await until(() => sink.delivered.size === 8, 8000, 'the renamed file still read');
    await until(() => r.logs.some((l) => /rotated/.test(l)), 8000, 'let go once quiet');
    fs.appendFileSync(f, lines(8, 1));
    await until(() => sink.delivered.size === 9, 8000, 'the new file');
    await r.stop();
    expect(tally(sink, 9)).toEqual({ missing: [], duplicated: [], total: 9 });
  });

  it('rotated while stopped: the rest of the old file is read under its new name, the new file from the start', async () => {
    const { f, sink, opts } = await tenDeliveredThenStopped('rot-down-');
    fs.appendFileSync(f, lines(10, 4)); // written after we stopped, then rotated
    fs.renameSync(f, f + '.1');
    fs.writeFileSync(f, lines(14, 6));
    const r2 = startRun(sink, opts);
    await until(() => sink.delivered.size === 20, 8000, '20 delivered');
    await new Promise((res) => setTimeout(res, 100));
    await r2.stop();
    expect(tally(sink, 20)).toEqual({ missing: [], duplicated: [], total: 20 });
    expect(r2.logs.some((l) => l.includes(`${f}.1: the rotated copy of ${f}: reading it from byte`))).toBe(true);
    expect(sink.origins.slice(10, 14)).toEqual([11, 12, 13, 14].map((n) => `${f}.1:${n}`));
  });

  it('copytruncate: the lines written before the copy are read from the copy, then the truncated file again', async () => {
    const dir = tmpDir('copytrunc-');
    const f = path.join(dir, 'app.json');
    fs.writeFileSync(f, lines(0, 10));
    const sink = fakeSink();
    const r = startRun(sink, {
      paths: [f],
      follow: true,
      checkpointPath: path.join(dir, 'cp.json'),
      pollIntervalMs: 100,
    });
    await until(() => sink.delivered.size === 10, 8000, '10 delivered');
    const line13 = lines(13, 1);
    const half = Math.floor(line13.length / 2);
    fs.appendFileSync(f, lines(10, 3) + line13.slice(0, half)); // the writer is in the middle of line 13
    await new Promise((res) => setTimeout(res, 300)); // read, up to the half line
    fs.appendFileSync(f, line13.slice(half));
    // logrotate copytruncate, before the reader polls again
    fs.copyFileSync(f, f + '.1');
    fs.truncateSync(f, 0);
    fs.appendFileSync(f, lines(14, 2));
    await until(() => sink.delivered.size === 16, 8000, '16 delivered');
    await new Promise((res) => setTimeout(res, 150));
    await r.stop();
    // lines 10-13 came from the copy (13 whole: its first half read before the truncation was not used)
    expect(tally(sink, 16)).toEqual({ missing: [], duplicated: [], total: 16 });
    expect(r.logs.some((l) => /truncated \(at \d+ bytes\)/.test(l))).toBe(true);
    expect(r.logs.some((l) => l.includes(`${f}.1: the rotated copy of ${f}`))).toBe(true);
  });

  it('truncated and written past our offset between two polls (Tracee restarting truncates its output): noticed by the first bytes', async () => {
    const dir = tmpDir('trunc-fast-');
    const f = path.join(dir, 'app.json');
    fs.writeFileSync(f, lines(0, 5));
    const sink = fakeSink();
    const r = startRun(sink, {
      paths: [f],
      follow: true,
      checkpointPath: path.join(dir, 'cp.json'),
      pollIntervalMs: 200,
    });
    await until(() => sink.delivered.size === 5, 8000, '5 delivered');
    fs.writeFileSync(f, lines(5, 8)); // O_TRUNC + a longer content, same inode
    await until(() => sink.delivered.size === 13, 8000, '13 delivered');
    await r.stop();
    expect(tally(sink, 13)).toEqual({ missing: [], duplicated: [], total: 13 });
    expect(r.logs.some((l) => /truncated \(at/.test(l))).toBe(true);
  });

  it('replaced by a new file of the same name while stopped: the new file is read from the start, the old offset is not applied', async () => {
    const { f, sink, opts } = await tenDeliveredThenStopped('replaced-');
    fs.rmSync(f);
    fs.writeFileSync(f, lines(10, 12)); // longer than the old offset: only the identity tells
    const r2 = startRun(sink, opts);
    await until(() => sink.delivered.size === 22, 8000, '22 delivered');
    await r2.stop();
    expect(tally(sink, 22)).toEqual({ missing: [], duplicated: [], total: 22 });
    expect(r2.logs.some((l) => /replaced|not the file of the checkpoint/.test(l))).toBe(true);
  });

  it('truncated while running: the new content is read from the start; truncated below the checkpoint while stopped: too', async () => {
    const dir = tmpDir('trunc-');
    const f = path.join(dir, 'app.json');
    const cp = path.join(dir, 'cp.json');
    fs.writeFileSync(f, lines(0, 10));
    const sink = fakeSink();
    const opts = { paths: [f], follow: true, checkpointPath: cp };
    const r1 = startRun(sink, opts);
    await until(() => sink.delivered.size === 10, 8000, '10 delivered');
    fs.truncateSync(f, 0);
    await until(() => r1.logs.some((l) => /truncated/.test(l)), 8000, 'truncation noticed');
    fs.appendFileSync(f, lines(10, 5));
    await until(() => sink.delivered.size === 15, 8000, '15 delivered');
    await r1.stop();
    // while stopped: the first 2 lines kept (same first bytes), the rest cut: below the committed offset
    const keep = Buffer.byteLength(lines(10, 2));
    fs.truncateSync(f, keep);
    fs.appendFileSync(f, lines(20, 1));
    const r2 = startRun(sink, opts);
    await until(() => sink.delivered.has(20), 8000, 'the new line');
    await r2.stop();
    expect(r2.logs.some((l) => /truncated below its checkpoint/.test(l))).toBe(true);
    // read again from the start: the 2 kept lines twice (at-least-once), nothing lost
    expect(tally(sink, 21).missing).toEqual([15, 16, 17, 18, 19]); // never written
    expect(tally(sink, 21).duplicated).toEqual([10, 11]);
  });
});
