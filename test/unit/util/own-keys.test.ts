import { describe, expect, it } from 'vitest';
import { forInIsOwn } from '../../../src/util/own-keys.ts';
import { toJsonSafe } from '../../../src/mapping/json-safe.ts';
import { decodeLogRecord, encodeLogRecord } from '../../../src/exporters/otlp-http/encode-log-record.ts';
import { record, workloads } from '../../helpers/otel-record-builders.ts';

/** Runs `f` while Object.prototype has an enumerable property (as a polluting dependency would leave it). */
function polluted<T>(f: () => T): T {
  Object.defineProperty(Object.prototype, 'polluted', {
    value: 'x',
    enumerable: true,
    configurable: true,
    writable: true,
  });
  try {
    return f();
  } finally {
    delete (Object.prototype as Record<string, unknown>).polluted;
  }
}

describe('forInIsOwn: for-in lists exactly the own keys', () => {
  it('of plain and null-prototype objects, not of class instances or typed arrays', () => {
    expect(forInIsOwn({ a: 1 })).toBe(true);
    expect(forInIsOwn(Object.create(null))).toBe(true);
    expect(forInIsOwn(new (class Foo {})())).toBe(false);
    expect(forInIsOwn(new Uint8Array(2))).toBe(false);
  });

  it('not while Object.prototype holds an enumerable property; the walks then list own keys only', () => {
    const data = { b: 2n, nested: { c: [1, { d: 3n }] } };
    const rec = record(workloads(1)[0], 1, { attributes: { 'tracee.data': { q: { name: 'a' } } as never } });
    const before = { safe: toJsonSafe(data), attrs: decodeLogRecord(encodeLogRecord(rec)).attributes };
    polluted(() => {
      expect(forInIsOwn({ a: 1 })).toBe(false);
      expect(forInIsOwn(Object.create(null))).toBe(true);
      expect(toJsonSafe(data)).toEqual(before.safe);
      expect(decodeLogRecord(encodeLogRecord(rec)).attributes).toEqual(before.attrs);
    });
    expect(Object.keys(before.safe as object)).toEqual(['b', 'nested']);
    expect(forInIsOwn({ a: 1 })).toBe(true);
  });
});
