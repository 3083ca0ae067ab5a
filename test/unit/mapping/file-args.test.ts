// Issue #18 points 1-2 on real Tracee lines (test/fixtures/classic/PROVENANCE.md): open's mode only
// when its flags create a file; an fd written as "3=/path" (parse-arguments-fds) split into the
// number (tracee.fd) and the file (file.*). Each event is also mapped in the structured shape
// (printed by `map --to event`, decoded again): both shapes give the same fields.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../../src/normalize/decode.ts';
import { toStructuredJson } from '../../../src/normalize/print-structured.ts';
import type { TraceeEvent } from '../../../src/model/event.ts';
import { hasAnyFlag, splitFd } from '../../../src/mapping/transforms/file.ts';
import { ROOT, testMapper } from '../../helpers/samples.ts';

const DIR = path.join(ROOT, 'test/fixtures/classic');
const mapper = testMapper();

function events(file: string): TraceeEvent[] {
  return fs
    .readFileSync(path.join(DIR, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const r = decodeText(l);
      if (!r.ok) throw new Error(r.reason);
      return r.event;
    });
}

/** The event as read, and again after a trip through the structured (v1beta1 JSON) shape. */
function bothShapes(ev: TraceeEvent): TraceeEvent[] {
  const text = JSON.stringify(toStructuredJson(ev), (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  const r = decodeText(text);
  if (!r.ok) throw new Error(r.reason);
  return [ev, r.event];
}

function mapped(ev: TraceeEvent) {
  const doc = JSON.parse(mapper.toEcsJson(ev).json) as Record<string, any>;
  expect(doc).toEqual(JSON.parse(JSON.stringify(mapper.toEcs(ev).doc)));
  return { doc, otel: mapper.toOtel(ev).attributes };
}

describe('open: file.mode only when the flags create a file', () => {
  it('openat(O_RDONLY|O_CLOEXEC as 524288, mode 0): no file.mode', () => {
    for (const ev of bothShapes(events('openat-cloexec-mode0.v0.8.json')[0])) {
      const { doc, otel } = mapped(ev);
      expect(doc.file.path).toBe('/etc/ld.so.cache');
      expect(doc.file.mode).toBeUndefined();
      expect(otel['file.mode']).toBeUndefined();
      expect(doc.tracee.data.mode).toBe(0); // what Tracee sent stays under tracee.data
    }
  });
  it('openat("O_WRONLY|O_CREAT|O_TRUNC", mode 438): file.mode "666"', () => {
    for (const ev of bothShapes(events('openat-creat-mode438.v0.8.json')[0])) {
      const { doc, otel } = mapped(ev);
      expect(doc.file).toMatchObject({ path: '/tmp/testing.txt', mode: '666' });
      expect(otel['file.mode']).toBe('666');
    }
  });
  it('flags as numbers or names; O_TMPFILE by its __O_TMPFILE bit', () => {
    const bits = { O_CREAT: 64, O_TMPFILE: 0o20000000 };
    expect(hasAnyFlag(0o100 | 0o1, bits)).toBe(true);
    expect(hasAnyFlag(0o20200000 | 0o2, bits)).toBe(true); // O_TMPFILE|O_RDWR (x86-64)
    expect(hasAnyFlag(524288, bits)).toBe(false);
    expect(hasAnyFlag('524352', bits)).toBe(true); // quoted number
    expect(hasAnyFlag('O_RDWR|O_TMPFILE', bits)).toBe(true);
    expect(hasAnyFlag('O_RDONLY|O_CLOEXEC', bits)).toBe(false);
    expect(hasAnyFlag('O_CREATE', bits)).toBe(false); // names match whole
    expect(hasAnyFlag(undefined, bits)).toBeUndefined();
  });
});

describe('fd in its resolved form "3=/path"', () => {
  it('read with fd "3=/etc/locale.alias" / "3=/etc/passwd": file.* from the path, tracee.fd the number', () => {
    const expected = [
      { path: '/etc/locale.alias', name: 'locale.alias', directory: '/etc', extension: 'alias' },
      { path: '/etc/passwd', name: 'passwd', directory: '/etc' },
    ];
    events('read-fd-path.v0.9.ndjson').forEach((read, k) => {
      for (const ev of bothShapes(read)) {
        const { doc, otel } = mapped(ev);
        expect(doc.file).toEqual(expected[k]);
        expect(doc.event.category).toEqual(['file']);
        expect(doc.tracee.fd).toBe(3);
        expect(otel['tracee.fd']).toBe(3);
        expect(otel['file.path']).toBe(expected[k].path);
        expect(doc.tracee.data.fd).toBe(`3=${expected[k].path}`); // Tracee's text kept as sent
        expect(doc.message).toBe(`read ${expected[k].path} by cat (pid 239413)`);
      }
    });
  });
  it('wherever Tracee writes the form: close (no file group) gets file.* too, its category stays host', () => {
    const [read] = events('read-fd-path.v0.9.ndjson');
    const close = { ...read, name: 'close', data: read.data.filter((d) => d.name === 'fd') };
    for (const ev of bothShapes(close)) {
      const { doc, otel } = mapped(ev);
      expect(doc.file).toEqual({
        path: '/etc/locale.alias',
        name: 'locale.alias',
        directory: '/etc',
        extension: 'alias',
      });
      expect(otel['file.path']).toBe('/etc/locale.alias');
      expect(doc.tracee.fd).toBe(3);
      expect(doc.event.category).toEqual(['host']);
    }
  });
  it('a plain fd number: tracee.fd only, no file.*', () => {
    const [read] = events('read-fd-path.v0.9.ndjson');
    const fd = read.data.find((d) => d.name === 'fd')!;
    const plain = { ...read, data: read.data.map((d) => (d === fd ? { ...d, value: 7 } : d)) };
    const { doc } = mapped(plain);
    expect(doc.tracee.fd).toBe(7);
    expect(doc.file).toBeUndefined();
  });
  it('splitFd: sockets and pipes are not file paths; odd text is not an fd', () => {
    expect(splitFd('3=/etc/passwd')).toEqual({ fd: 3, path: '/etc/passwd' });
    expect(splitFd('12=/path/with=equals')).toEqual({ fd: 12, path: '/path/with=equals' });
    expect(splitFd('4=socket:[8812]')).toEqual({ fd: 4, path: 'socket:[8812]' });
    expect(splitFd('5=')).toEqual({ fd: 5 });
    expect(splitFd('-100')).toEqual({ fd: -100 });
    expect(splitFd('AT_FDCWD')).toBeUndefined();
    expect(splitFd(1.5)).toBeUndefined();
    const [read] = events('read-fd-path.v0.9.ndjson');
    const sock = { ...read, data: read.data.map((d) => (d.name === 'fd' ? { ...d, value: '4=socket:[8812]' } : d)) };
    const { doc } = mapped(sock);
    expect(doc.file).toBeUndefined();
    expect(doc.tracee.fd).toBe(4);
  });
});
