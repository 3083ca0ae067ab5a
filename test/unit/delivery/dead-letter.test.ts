import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDeadLetterWriter, createMemoryDeadLetter, deadLetterHook, formatDeadLetterLine,
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
      time, exporter: 'otlp_http', reason: 'HTTP 400: bad', origin: { source: 'file:/x.json', line: 7, detail: 'req-1' },
      record: otel, input: '{"eventName":"execve"}',
    });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    const parsed = JSON.parse(line);
    expect(Object.keys(parsed)).toEqual(['time', 'exporter', 'reason', 'origin', 'record', 'input']);
    expect(parsed).toMatchObject({
      time: '2026-11-28T10:00:00.000Z', exporter: 'otlp_http', reason: 'HTTP 400: bad',
      origin: { source: 'file:/x.json', line: 7, detail: 'req-1' }, input: '{"eventName":"execve"}',
    });
    expect(parsed.record.timeUnixNano).toBe('1764324000123456789');
  });

  it('omits what is unknown', () => {
    const parsed = JSON.parse(formatDeadLetterLine({ time, exporter: 'es', reason: 'r', origin: { source: 'stdin' } }));
    expect(parsed).toEqual({ time: '2026-11-28T10:00:00.000Z', exporter: 'es', reason: 'r', origin: { source: 'stdin' } });
  });

  it('keeps the origin when the record cannot be serialized', () => {
    const record: Record<string, unknown> = {};
    record.self = record;
    const parsed = JSON.parse(formatDeadLetterLine({ time, exporter: 'es', reason: 'r', origin: { source: 'stdin', line: 3 }, record }));
    expect(parsed.origin).toEqual({ source: 'stdin', line: 3 });
    expect(parsed.record).toMatch(/^<record not serializable: /);
  });
});

describe('createDeadLetterWriter', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dead-letter-')); });
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

  it('appends lines and flushes them on close', async () => {
    const path = join(dir, 'dead.ndjson');
    writeFileSync(path, '{"earlier":true}\n');
    const dl = createDeadLetterWriter(path);
    const hook = deadLetterHook(dl, 'elasticsearch');
    hook({ record: { id: 'a', kind: 'event', doc: {} }, origin: { source: 'stdin', line: 1 }, input: 'raw-1' }, 'mapper_parsing_exception');
    hook({ record: { id: 'b', kind: 'alert', doc: {} }, origin: { source: 'stdin', line: 2 } }, 'retries_exhausted: HTTP 503');
    expect(dl.written).toBe(2);
    await dl.close();
    await dl.close();                                        // idempotent
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual({ earlier: true });
    expect(lines[1]).toMatchObject({ exporter: 'elasticsearch', reason: 'mapper_parsing_exception', origin: { source: 'stdin', line: 1 }, record: { id: 'a' }, input: 'raw-1' });
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

describe('createMemoryDeadLetter', () => {
  it('keeps the lines and parses them back', () => {
    const dl = createMemoryDeadLetter();
    dl.write({ time, exporter: 'x', reason: 'r', origin: { source: 's', line: 1 }, record: { n: 1n } });
    expect(dl.lines).toHaveLength(1);
    expect(dl.entries()[0]).toMatchObject({ exporter: 'x', record: { n: '1' } });
  });
});
