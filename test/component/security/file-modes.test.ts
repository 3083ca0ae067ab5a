// Files that hold event data are private whatever the umask: the CLI run under `umask 000` (the
// worst case: every file it creates would otherwise be world-writable) with a dead letter, a disk
// buffer, a file-source checkpoint and a console file; every one of them must be 0600 and every
// folder it created 0700. A symlink planted at the dead-letter path is refused at start-up.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/samples.ts';
import {
  openPrivateFileSync,
  ensurePrivateDirSync,
  looseDirWarning,
  UnsafePathError,
} from '../../../src/util/private-file.ts';

const BIN = path.join(ROOT, 'bin/tracee-exporter.js');
const samples = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8');
const mode = (p: string) => fs.statSync(p).mode & 0o777;

function runUnderUmask000(dir: string, config: string, input = '', shutdownMs = 5000) {
  const cfg = path.join(dir, 'config.yaml');
  fs.writeFileSync(cfg, config.replaceAll('$DIR', dir));
  // the shell sets the umask, then replaces itself with the exporter
  return spawnSync(
    '/bin/sh',
    [
      '-c',
      'umask 000; exec "$0" "$@"',
      process.execPath,
      BIN,
      'run',
      '--config',
      cfg,
      '--shutdown-timeout',
      String(shutdownMs),
    ],
    { input, encoding: 'utf8', env: { ...process.env, NODE_NAME: 'modes-node' } },
  );
}

describe('files holding event data under umask 000', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-modes-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('dead letter, disk-buffer segments and ack.json, file checkpoint and console file are 0600 in folders created 0700', () => {
    fs.writeFileSync(path.join(dir, 'events.ndjson'), samples + 'not json\n');
    const r = runUnderUmask000(
      dir,
      `version: 1
data_dir: $DIR/data
sources: [{ type: file, path: $DIR/events.ndjson, checkpoint: true }]
dead_letter: { path: $DIR/dead.ndjson }
exporters:
  - { type: console, name: out, format: ecs, path: $DIR/out.ndjson, buffer: { type: disk } }
  # nothing listens on port 1: the events stay in this buffer's segments for the next start
  - { type: otlp_http, name: nowhere, endpoint: "http://127.0.0.1:1", buffer: { type: disk } }
`,
      '',
      1500,
    );
    expect(r.stderr).toMatch(/rejected 1/);
    const umaskCheck = spawnSync('/bin/sh', ['-c', 'umask 000; touch "$0"', path.join(dir, 'probe')]);
    expect(umaskCheck.status).toBe(0);
    expect(mode(path.join(dir, 'probe'))).toBe(0o666); // the umask really was 000
    expect(mode(path.join(dir, 'dead.ndjson'))).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, 'dead.ndjson'), 'utf8')).toMatch(/not json/);
    expect(mode(path.join(dir, 'out.ndjson'))).toBe(0o600);
    for (const d of ['data', 'data/buffer', 'data/buffer/out', 'data/buffer/nowhere', 'data/checkpoints'])
      expect([d, mode(path.join(dir, d))]).toEqual([d, 0o700]);
    expect(r.stderr).toMatch(/nowhere: \d+ event\(s\) stay in the disk buffer/);
    expect(fs.readdirSync(path.join(dir, 'data/buffer/out'))).toContain('ack.json');
    const kept = fs.readdirSync(path.join(dir, 'data/buffer/nowhere'));
    expect(kept.some((f) => f.endsWith('.seg'))).toBe(true);
    for (const sub of ['out', 'nowhere']) {
      for (const f of fs
        .readdirSync(path.join(dir, 'data/buffer', sub))
        .filter((n) => n.endsWith('.seg') || n === 'ack.json')) {
        expect([f, mode(path.join(dir, 'data/buffer', sub, f))]).toEqual([f, 0o600]);
      }
    }
    const cps = fs.readdirSync(path.join(dir, 'data/checkpoints'));
    expect(cps.length).toBeGreaterThan(0);
    for (const f of cps) expect([f, mode(path.join(dir, 'data/checkpoints', f))]).toEqual([f, 0o600]);
  });

  it('a symlink at the dead-letter path is refused at start-up with a clear error; its target is untouched', () => {
    const target = path.join(dir, 'victim.txt');
    fs.writeFileSync(target, 'precious\n');
    fs.symlinkSync(target, path.join(dir, 'dead.ndjson'));
    const r = runUnderUmask000(
      dir,
      `version: 1
sources: [{ type: stdin }]
dead_letter: { path: $DIR/dead.ndjson }
exporters: [{ type: console }]
`,
      'not json\n',
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/dead_letter\.path: cannot open .*dead\.ndjson: .*is a symbolic link: refused/);
    expect(fs.readFileSync(target, 'utf8')).toBe('precious\n');
  });

  it('a folder others may write into is reported, not chmod-ed', () => {
    const loose = path.join(dir, 'shared');
    fs.mkdirSync(loose);
    fs.chmodSync(loose, 0o777);
    const r = runUnderUmask000(
      dir,
      `version: 1
sources: [{ type: stdin }]
dead_letter: { path: $DIR/shared/dead.ndjson }
exporters: [{ type: console }]
`,
      'not json\n',
    );
    expect(r.stderr).toMatch(/warning: dead letter: .*shared is world-writable \(mode 0777\)/);
    expect(mode(loose)).toBe(0o777);
    expect(mode(path.join(loose, 'dead.ndjson'))).toBe(0o600);
    // config check says it too, before anything runs
    const check = spawnSync(process.execPath, [BIN, 'config', 'check', path.join(dir, 'config.yaml')], {
      encoding: 'utf8',
    });
    expect(check.status, check.stderr).toBe(0);
    expect(check.stderr).toMatch(/warning: .*config\.yaml:\d+:\d+: dead_letter\.path: .*shared is world-writable/);
    expect(check.stdout).toMatch(
      /dead letter: .*dead\.ndjson \(0600; rotated at 104857600 bytes, 5 rotated file\(s\) kept\)/,
    );
  });
});

describe('private-file helpers', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'private-file-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a symlink in every open mode, narrows an existing 0644 file to 0600', () => {
    fs.writeFileSync(path.join(dir, 'target'), 'x');
    fs.symlinkSync(path.join(dir, 'target'), path.join(dir, 'link'));
    for (const m of ['append', 'truncate'] as const)
      expect(() => openPrivateFileSync(path.join(dir, 'link'), m)).toThrow(UnsafePathError);
    expect(() => openPrivateFileSync(path.join(dir, 'link'), 'create')).toThrow(/EEXIST/);
    const old = path.join(dir, 'old');
    fs.writeFileSync(old, 'x', { mode: 0o644 });
    fs.chmodSync(old, 0o644);
    fs.closeSync(openPrivateFileSync(old, 'append'));
    expect(mode(old)).toBe(0o600);
    expect(fs.readFileSync(old, 'utf8')).toBe('x');
  });

  it('creates missing folders 0700 and leaves existing ones alone', () => {
    const prev = process.umask(0);
    try {
      expect(ensurePrivateDirSync(path.join(dir, 'a/b/c'))).toBeUndefined();
    } finally {
      process.umask(prev);
    }
    for (const d of ['a', 'a/b', 'a/b/c']) expect(mode(path.join(dir, d))).toBe(0o700);
    fs.chmodSync(path.join(dir, 'a'), 0o775);
    expect(ensurePrivateDirSync(path.join(dir, 'a'))).toMatch(/group-writable \(mode 0775\)/);
    expect(mode(path.join(dir, 'a'))).toBe(0o775);
    expect(looseDirWarning(path.join(dir, 'a/b'))).toBeUndefined();
    // created inside a folder others may write (as /tmp): said about that folder; ours is 0700
    fs.mkdirSync(path.join(dir, 'open'), { mode: 0o777 });
    fs.chmodSync(path.join(dir, 'open'), 0o1777);
    expect(ensurePrivateDirSync(path.join(dir, 'open/data/buffer'))).toMatch(/open is world-writable \(mode 1777\)/);
    expect(mode(path.join(dir, 'open/data'))).toBe(0o700);
  });
});
