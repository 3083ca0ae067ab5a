// The file source's parts on their own: where a file resumes (resume.ts), the positions kept in
// memory (tracked-files.ts) and which names the paths match (discovery.ts). Real files in a
// temporary folder; no socket, no process.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expandPaths, identitiesOf, isLiteralPath, matchedByPaths } from '../../../src/sources/files/discovery.ts';
import { identify, identityKey } from '../../../src/sources/files/identity.ts';
import { resumePosition } from '../../../src/sources/files/resume.ts';
import { TrackedFiles } from '../../../src/sources/files/tracked-files.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'file-parts-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Open `file` and ask where it resumes; the log lines it wrote. */
async function resume(
  files: TrackedFiles,
  file: string,
  o: { firstScan?: boolean; startAt?: 'beginning' | 'end' } = {},
) {
  const handle = await fsp.open(file, 'r');
  const logs: string[] = [];
  try {
    const id = await identify(handle);
    const at = await resumePosition(files, file, handle, id, {
      firstScan: o.firstScan ?? true,
      startAt: o.startAt,
      log: (m) => logs.push(m),
    });
    return { at, logs };
  } finally {
    await handle.close();
  }
}

async function entryFor(file: string, offset: number, line: number) {
  const h = await fsp.open(file, 'r');
  try {
    const id = await identify(h);
    return {
      path: file,
      dev: id.dev,
      ino: id.ino,
      fingerprint: id.fingerprint,
      fingerprint_bytes: id.fingerprintBytes,
      offset,
      line,
    };
  } finally {
    await h.close();
  }
}

describe('resumePosition', () => {
  it('the file of the checkpoint resumes at its committed offset', async () => {
    const f = path.join(tmp(), 'a.json');
    fs.writeFileSync(f, 'one\ntwo\nthree\n');
    const files = new TrackedFiles(true);
    files.load([await entryFor(f, 8, 2)], true);
    expect(await resume(files, f)).toEqual({
      at: { offset: 8, line: 2 },
      logs: [`${f}: resuming at byte 8 (line 2) from the checkpoint`],
    });
  });

  it('the same inode with other first bytes, or shorter than the offset, is read from the start', async () => {
    const f = path.join(tmp(), 'a.json');
    fs.writeFileSync(f, 'one\ntwo\nthree\n');
    const files = new TrackedFiles(true);
    files.load([{ ...(await entryFor(f, 8, 2)), fingerprint: 'other' }], true);
    const replaced = await resume(files, f);
    expect(replaced.at).toEqual({ offset: 0, line: 0 });
    expect(replaced.logs[0]).toContain('replaced since the checkpoint');

    const short = new TrackedFiles(true);
    short.load([await entryFor(f, 100, 9)], true);
    const truncated = await resume(short, f);
    expect(truncated.at).toEqual({ offset: 0, line: 0 });
    expect(truncated.logs[0]).toContain('truncated below its checkpoint (14 < 100 bytes)');
  });

  it('a path of the checkpoint that names another file now is read from the start, said once', async () => {
    const d = tmp();
    const f = path.join(d, 'a.json');
    fs.writeFileSync(f, 'old\n');
    const files = new TrackedFiles(true);
    files.load([await entryFor(f, 4, 1)], true);
    fs.renameSync(f, `${f}.1`);
    fs.writeFileSync(f, 'new\n');
    const first = await resume(files, f);
    expect(first.at).toEqual({ offset: 0, line: 0 });
    expect(first.logs).toEqual([
      `${f}: not the file of the checkpoint (rotated or replaced): reading it from the start`,
    ]);
    expect((await resume(files, f)).logs).toEqual([]);
  });

  it('start_at end: only for files of the first scan, and only when there was no checkpoint file', async () => {
    const f = path.join(tmp(), 'a.json');
    fs.writeFileSync(f, 'one\ntwo\n');
    expect((await resume(new TrackedFiles(false), f, { startAt: 'end' })).at).toEqual({ offset: 8, line: 0 });
    expect((await resume(new TrackedFiles(false), f, { startAt: 'end', firstScan: false })).at).toEqual({
      offset: 0,
      line: 0,
    });
    const existed = new TrackedFiles(true);
    existed.load([], true);
    expect((await resume(existed, f, { startAt: 'end' })).at).toEqual({ offset: 0, line: 0 });
  });
});

describe('TrackedFiles', () => {
  it('a settled file leaves the reading set for the known positions; without acks its read end is known', async () => {
    const f = path.join(tmp(), 'a.json');
    fs.writeFileSync(f, 'one\ntwo\n');
    const h = await fsp.open(f, 'r');
    const id = await identify(h);
    const acked = new TrackedFiles(true);
    const t = acked.track(f, id, { offset: 0, line: 0 }, h);
    const tickets = [t.wm.issue(4, 1), t.wm.issue(8, 2)];
    t.reading = false;
    t.handle = undefined;
    expect(acked.busy(id)).toBe(true); // records not settled yet
    t.wm.settle(tickets[0]);
    expect(acked.entries()).toEqual([expect.objectContaining({ path: f, offset: 4, line: 1 })]);
    t.wm.settle(tickets[1]);
    expect(acked.busy(id)).toBe(false); // retired: only its final position remains
    expect(acked.known.get(identityKey(id))).toMatchObject({ offset: 8, line: 2 });
    expect(await acked.progress()).toEqual([]);

    const plain = new TrackedFiles(false);
    const p = plain.track(f, id, { offset: 0, line: 0 }, h);
    p.tail.offset = 8;
    plain.finished(p);
    expect(plain.entries()).toEqual([expect.objectContaining({ offset: 8, line: 0 })]);
    await h.close();
  });

  it('positions of files no path names any more are forgotten, those being read are kept', async () => {
    const d = tmp();
    const a = path.join(d, 'a.json');
    const b = path.join(d, 'b.json');
    fs.writeFileSync(a, 'a\n');
    fs.writeFileSync(b, 'b\n');
    const files = new TrackedFiles(true);
    files.load([await entryFor(a, 2, 1), await entryFor(b, 2, 1)], true);
    fs.rmSync(b);
    files.forgetAllBut(await identitiesOf(await expandPaths([path.join(d, '*.json')], undefined)));
    expect(files.entries().map((e) => e.path)).toEqual([a]);
  });
});

describe('discovery', () => {
  it('expands globs in name order, never the checkpoint or its temp file; literal paths stay whether they exist or not', async () => {
    const d = tmp();
    for (const n of ['b.json', 'a.json', 'cp.json', 'cp.json.tmp-1']) fs.writeFileSync(path.join(d, n), '');
    const cp = path.join(d, 'cp.json');
    expect(await expandPaths([path.join(d, '*.json*'), path.join(d, 'missing.json')], cp)).toEqual([
      path.join(d, 'a.json'),
      path.join(d, 'b.json'),
      path.join(d, 'missing.json'),
    ]);
    expect(isLiteralPath(path.join(d, 'missing.json'), [path.join(d, 'missing.json')])).toBe(true);
    expect(isLiteralPath(path.join(d, 'a.json'), [path.join(d, '*.json')])).toBe(false);
    expect(matchedByPaths(path.join(d, 'a.json.1'), [path.join(d, '*.json')])).toBe(false);
    expect(matchedByPaths(path.join(d, 'a.json'), [path.join(d, '*.json')])).toBe(true);
  });
});
