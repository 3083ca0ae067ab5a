import { describe, expect, it } from 'vitest';
import { FRAME_HEADER_BYTES, readFrame } from '../../../../src/delivery/disk-buffer/framing.ts';
import {
  createReplayResourceCache,
  decodeStored,
  encodeStoredFrame,
} from '../../../../src/delivery/disk-buffer/stored-record.ts';
import type { DeliveryItem } from '../../../../src/delivery/types.ts';
import type { EcsRecord, OtelRecord } from '../../../../src/model/records.ts';

const noRevive = () => ({ ok: false as const, reason: 'not expected' });

function roundTrip<R>(
  item: DeliveryItem<EcsRecord | OtelRecord>,
  revive: Parameters<typeof decodeStored<R>>[1] = noRevive,
  cache = createReplayResourceCache(),
) {
  const frame = encodeStoredFrame(item);
  const f = readFrame(frame, 0);
  if (f.kind !== 'record') throw new Error(f.kind);
  return decodeStored<R>(f.payload, revive, cache);
}

describe('disk buffer stored records', () => {
  it('input text is stored as is (quotes, unicode) and revived by the given function', () => {
    const input = '{"eventName":"dns \\"q\\"","args":[{"name":"ünï","value":"😀"}],"timestamp":1696259024822467299}';
    const d = roundTrip<string>(
      { record: { id: 'ignored', kind: 'event', doc: {} }, origin: { source: 'file:/x', line: 7 }, input },
      (text, origin) => ({ ok: true, record: `${origin.source}:${origin.line}:${text.length}` }),
    );
    expect(d).toEqual({
      ok: true,
      item: { record: `file:/x:7:${input.length}`, origin: { source: 'file:/x', line: 7 }, input },
    });
  });

  it('an ECS record without input keeps id, kind and its JSON; doc parses on demand', () => {
    const d = roundTrip<EcsRecord>({
      record: { id: 'abc', kind: 'alert', doc: { a: 1, b: ['x', { c: null }] } },
      origin: { source: 'webhook', line: 3, detail: 'req-9' },
    });
    if (!d.ok) throw new Error(d.reason);
    expect(d.item.record.id).toBe('abc');
    expect(d.item.record.kind).toBe('alert');
    expect(d.item.record.json).toBe('{"a":1,"b":["x",{"c":null}]}');
    expect(d.item.record.doc).toEqual({ a: 1, b: ['x', { c: null }] });
    expect(d.item.origin).toEqual({ source: 'webhook', line: 3, detail: 'req-9' });
    expect(d.item.input).toBeUndefined();
  });

  it('an OTel record without input keeps 64-bit times exactly; records of one resource share one object', () => {
    const resource = { key: 'node-1|c1', attributes: { 'host.name': 'node-1', 'container.id': 'c1' } };
    const rec: OtelRecord = {
      resource,
      timeUnixNano: 18446744073709551615n,
      observedTimeUnixNano: 1696259024822467299n,
      severityNumber: 13,
      severityText: 'WARN',
      eventName: 'security_file_open',
      body: { k: [1, 'two', true] },
      attributes: { 'tracee.event.id': 715, big: '9007199254740993' },
    };
    const cache = createReplayResourceCache();
    const a = roundTrip<OtelRecord>({ record: rec, origin: { source: 'webhook' } }, noRevive, cache);
    const b = roundTrip<OtelRecord>(
      { record: { ...rec, timeUnixNano: 1n }, origin: { source: 'webhook' } },
      noRevive,
      cache,
    );
    if (!a.ok || !b.ok) throw new Error('decode failed');
    expect(a.item.record).toEqual(rec);
    expect(a.item.record.timeUnixNano).toBe(18446744073709551615n);
    expect(a.item.record.resource).toBe(b.item.record.resource);
  });

  it('garbage payloads are reported, never thrown', () => {
    const cache = createReplayResourceCache();
    for (const p of [
      Buffer.alloc(0),
      Buffer.from([1, 255, 255, 255, 255]),
      Buffer.from([1, 2, 0, 0, 0, 0x7b, 0x7d]),
      Buffer.from([9, 2, 0, 0, 0, 0x7b, 0x7d]),
    ]) {
      const d = decodeStored(p, noRevive, cache);
      expect(d.ok).toBe(false);
    }
    const frame = encodeStoredFrame({
      record: { id: 'x', kind: 'event', doc: {} },
      origin: { source: 's' },
      input: 'x',
    });
    const d = decodeStored(
      frame.subarray(FRAME_HEADER_BYTES),
      () => {
        throw new Error('mapper blew up');
      },
      cache,
    );
    expect(d).toMatchObject({
      ok: false,
      reason: 'cannot rebuild the record: mapper blew up',
      origin: { source: 's' },
    });
  });
});
