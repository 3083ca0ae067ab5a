import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDeadLetterWriter,
  createMemoryDeadLetter,
  deadLetterHook,
  formatDeadLetterLine,
} from '../../../src/delivery/dead-letter.ts';
import type { OtelRecord } from '../../../src/model/records.ts';

const time = new Date('2026-11-28T10:00:00.000Z');

const otel: OtelRecord = {
  resource: { key: 'node-1', attributes: { 'host.name': 'node-1' } },
  timeUnixNano: 1_764_324_000_123_456_789n,
  observedTimeUnixNano: 1_764_324_000_223_456_789n,
  severityNumber: 9,
  severityText: 'INFO',
  eventName: 'tracee.execve',
  attributes: { 'process.pid': 42 },
};

describe('formatDeadLetterLine', () => {
  it('writes one NDJSON line with the fields in order, bigint as decimal strings', () => {
    const line = formatDeadLetterLine({
      time,
      exporter: 'otlp_http',
      reason: 'HTTP 400: bad',
      origin: { source: 'file:/x.json', line: 7, detail: 'req-1' },
      record: otel,
      input: '{"eventName":"execve"}',
    });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    const parsed = JSON.parse(line);
    expect(Object.keys(parsed)).toEqual(['time', 'exporter', 'reason', 'origin', 'record', 'input']);
    expect(parsed).toMatchObject({
      time: '2026-11-28T10:00:00.000Z',
      exporter: 'otlp_http',
      reason: 'HTTP 400: bad',
      origin: { source: 'file:/x.json', line: 7, detail: 'req-1' },
      input: '{"eventName":"execve"}',
    });
    expect(parsed.record.timeUnixNano).toBe('1764324000123456789');
  });

  it('omits what is unknown', () => {
    const parsed = JSON.parse(formatDeadLetterLine({ time, exporter: 'es', reason: 'r', origin: { source: 'stdin' } }));
    expect(parsed).toEqual({
      time: '2026-11-28T10:00:00.000Z',
      exporter: 'es',
      reason: 'r',
      origin: { source: 'stdin' },
    });
  });

  it('keeps the origin when the record cannot be serialized', () => {
    const record: Record<string, unknown> = {};
    record.self = record;
    const parsed = JSON.parse(
      formatDeadLetterLine({ time, exporter: 'es', reason: 'r', origin: { source: 'stdin', line: 3 }, record }),
    );
    expect(parsed.origin).toEqual({ source: 'stdin', line: 3 });
    expect(parsed.record).toMatch(/^<record not serializable: /);
  });
});

describe('createDeadLetterWriter', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dead-letter-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('appends lines and flushes them on close', async () => {
    const path = join(dir, 'dead.ndjson');
    writeFileSync(path, '{"earlier":true}\n');
    const dl = createDeadLetterWriter(path);
    const hook = deadLetterHook(dl, 'elasticsearch');
    hook(
      { record: { id: 'a', kind: 'event', doc: {} }, origin: { source: 'stdin', line: 1 }, input: 'raw-1' },
      'mapper_parsing_exception',
    );
    hook(
      { record: { id: 'b', kind: 'alert', doc: {} }, origin: { source: 'stdin', line: 2 } },
      'retries_exhausted: HTTP 503',
    );
    expect(dl.written).toBe(2);
    await dl.close();
    await dl.close(); // idempotent
    const lines = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual({ earlier: true });
    expect(lines[1]).toMatchObject({
      exporter: 'elasticsearch',
      reason: 'mapper_parsing_exception',
      origin: { source: 'stdin', line: 1 },
      record: { id: 'a' },
      input: 'raw-1',
    });
    expect(lines[2]).toMatchObject({ reason: 'retries_exhausted: HTTP 503', record: { id: 'b', kind: 'alert' } });
    expect(lines[2].input).toBeUndefined();
    expect(() => dl.write({ exporter: 'x', reason: 'r', origin: { source: 's' } })).toThrow(/closed/);
  });

  // Linux only (CI and the container image are Linux): /dev/full fails every write with ENOSPC
  it('reports a write failure on close and refuses further lines (disk full)', async () => {
    expect(existsSync('/dev/full'), '/dev/full is needed to simulate a full disk').toBe(true);
    const dl = createDeadLetterWriter('/dev/full');
    dl.write({ exporter: 'x', reason: 'r', origin: { source: 's' } });
    await expect(dl.close()).rejects.toThrow(/ENOSPC/);
    expect(() => dl.write({ exporter: 'x', reason: 'r', origin: { source: 's' } })).toThrow(/ENOSPC/);
  });

  it('fails at creation when the path cannot be opened', () => {
    expect(() => createDeadLetterWriter(join(dir, 'missing-dir', 'dead.ndjson'))).toThrow(/ENOENT/);
  });
});

describe('createDeadLetterWriter: size cap and rotation', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dead-letter-rot-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const entry = (i: number) => ({
    time,
    exporter: 'input',
    reason: 'malformed JSON',
    origin: { source: 'stdin', line: i },
    input: `bad line ${i} ${'x'.repeat(200)}`,
  });
  const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);

  it('rotates by rename past max_bytes, drops the oldest beyond max_files, counts and logs every drop', async () => {
    const path = join(dir, 'dead.ndjson');
    const log: string[] = [];
    const dl = createDeadLetterWriter(path, { maxBytes: 4096, maxFiles: 2, log: (l) => log.push(l) });
    const n = 200;
    for (let i = 1; i <= n; i++) dl.write(entry(i));
    await dl.close();
    const files = [path, `${path}.1`, `${path}.2`];
    for (const f of files) expect(size(f)).toBeLessThanOrEqual(4096);
    expect(existsSync(`${path}.3`)).toBe(false);
    // every line is whole JSON (rotation never splits one), newest in `path`
    const kept = files.reverse().flatMap((f) =>
      readFileSync(f, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { origin: { line: number } }),
    );
    const r = dl.rotation();
    expect(kept.length + r.droppedLines).toBe(n);
    expect(kept.map((e) => e.origin.line)).toEqual(
      Array.from({ length: kept.length }, (_, i) => r.droppedLines + i + 1),
    );
    expect(r.droppedFiles).toBe(r.rotations - 2);
    expect(r.droppedBytes).toBeGreaterThan(0);
    expect(
      log.filter((l) => /rotation full .* dropped .*dead\.ndjson\.2, \d+ bytes, \d+ line\(s\)/.test(l)),
    ).toHaveLength(r.droppedFiles);
    expect(log.at(-1)).toBe(
      `dead letter ${path}: rotated ${r.rotations} time(s) at max_bytes 4096; dropped ${r.droppedLines} line(s), ${r.droppedBytes} bytes with ${r.droppedFiles} oldest file(s) (max_files 2)`,
    );
  });

  it('max_files 0: the full file itself is dropped and counted', async () => {
    const path = join(dir, 'dead.ndjson');
    const dl = createDeadLetterWriter(path, { maxBytes: 2048, maxFiles: 0 });
    for (let i = 1; i <= 50; i++) dl.write(entry(i));
    await dl.close();
    const kept = readFileSync(path, 'utf8').trimEnd().split('\n').length;
    expect(size(path)).toBeLessThanOrEqual(2048);
    expect(existsSync(`${path}.1`)).toBe(false);
    expect(kept + dl.rotation().droppedLines).toBe(50);
  });

  it('continues an existing full file by rotating it first; a line larger than max_bytes keeps its origin and reason only', async () => {
    const path = join(dir, 'dead.ndjson');
    writeFileSync(path, '{"earlier":1}\n'.repeat(200));
    const dl = createDeadLetterWriter(path, { maxBytes: 2048, maxFiles: 1 });
    dl.write({ ...entry(1), input: 'y'.repeat(5000) });
    await dl.close();
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('{"earlier":1}\n'.repeat(200));
    const [line] = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(line).toMatchObject({
      origin: { line: 1 },
      reason: expect.stringMatching(
        /^malformed JSON \(record and input left out: the line was \d+ bytes, over the dead letter's max_bytes 2048\)$/,
      ),
    });
    expect(line.input).toBeUndefined();
    expect(dl.rotation()).toMatchObject({ rotations: 1, droppedFiles: 0, shortened: 1 });
  });

  it('refuses a symlinked path and bad bounds', () => {
    const target = join(dir, 'target');
    writeFileSync(target, '');
    symlinkSync(target, join(dir, 'link.ndjson'));
    expect(() => createDeadLetterWriter(join(dir, 'link.ndjson'))).toThrow(
      /dead_letter\.path: cannot open .*link\.ndjson: .*symbolic link: refused/,
    );
    expect(() => createDeadLetterWriter(join(dir, 'x'), { maxBytes: 10 })).toThrow(/max_bytes/);
    expect(() => createDeadLetterWriter(join(dir, 'x'), { maxFiles: -1 })).toThrow(/max_files/);
  });
});

describe('createMemoryDeadLetter', () => {
  it('keeps the lines and parses them back', () => {
    const dl = createMemoryDeadLetter();
    dl.write({ time, exporter: 'x', reason: 'r', origin: { source: 's', line: 1 }, record: { n: 1n } });
    expect(dl.lines).toHaveLength(1);
    expect(dl.entries()[0]).toMatchObject({ exporter: 'x', record: { n: '1' } });
  });
});
