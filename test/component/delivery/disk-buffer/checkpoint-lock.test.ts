import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from '../../../../src/delivery/disk-buffer/checkpoint.ts';
import { acquireLock, BufferLockedError } from '../../../../src/delivery/disk-buffer/lock.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'disk-buffer-'));

describe('disk buffer checkpoint', () => {
  it('is 0 when absent, then what was written; the temp file is renamed away', () => {
    const dir = tmp();
    expect(readCheckpoint(dir)).toEqual({ acked: 0 });
    writeCheckpoint(dir, { acked: 42 }, true);
    writeCheckpoint(dir, { acked: 43 }, false);
    expect(readCheckpoint(dir)).toEqual({ acked: 43 });
    expect(fs.readdirSync(dir)).toEqual(['ack.json']);
  });

  it('a damaged checkpoint is an error naming the file (replaying from 0 would resend everything)', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'ack.json'), '{"acked": -1');
    expect(() => readCheckpoint(dir)).toThrow(/ack\.json: not a valid checkpoint/);
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
