import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAckFile, readAckFile, writeAckFile } from '../../../../src/delivery/disk-buffer/ack-file.ts';
import { acquireLock, BufferLockedError } from '../../../../src/delivery/disk-buffer/lock.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'disk-buffer-'));

describe('disk buffer ack file (its checkpoint)', () => {
  it('is absent at first, then what was written; the temp file is renamed away', async () => {
    const dir = tmp();
    expect(await readAckFile(dir)).toBeUndefined();
    writeAckFile(dir, 42, true);
    writeAckFile(dir, 43, false);
    const found = await readAckFile(dir);
    expect(found).toEqual({ path: path.join(dir, 'ack.json'), text: '{"acked":43}\n' });
    expect(parseAckFile(found!)).toBe(43);
    expect(fs.readdirSync(dir)).toEqual(['ack.json']);
  });

  it('a damaged ack file is an error naming the file (replaying from 0 would resend everything)', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'ack.json'), '{"acked": -1');
    const found = await readAckFile(dir);
    expect(() => parseAckFile(found!)).toThrow(/ack\.json: not a valid checkpoint/);
  });
});

describe('disk buffer lock', () => {
  it('a second holder is refused with the owner pid; release lets the next one in', () => {
    const dir = tmp();
    const a = acquireLock(dir);
    expect(fs.readFileSync(path.join(dir, 'lock'), 'utf8').trim()).toBe(String(process.pid));
    expect(() => acquireLock(dir)).toThrow(BufferLockedError);
    expect(() => acquireLock(dir)).toThrow(new RegExp(`in use by process ${process.pid}`));
    a.release();
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);
    acquireLock(dir).release();
  });

  it('a lock left by a dead process (kill -9) is stale and taken over', () => {
    const dir = tmp();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    fs.writeFileSync(path.join(dir, 'lock'), `${dead.stdout}\n`);
    const l = acquireLock(dir);
    expect(fs.readFileSync(path.join(dir, 'lock'), 'utf8').trim()).toBe(String(process.pid));
    l.release();
  });

  it('a lock with our own pid that this process does not hold is stale (pid 1 again in a container)', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'lock'), `${process.pid}\n`);
    acquireLock(dir).release();
  });

  it('a lock held by another live process is refused', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'lock'), `${process.ppid}\n`);
    expect(() => acquireLock(dir)).toThrow(new RegExp(`in use by process ${process.ppid}`));
  });
});
