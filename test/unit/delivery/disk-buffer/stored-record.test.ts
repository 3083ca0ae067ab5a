import { describe, expect, it } from 'vitest';
import { FRAME_HEADER_BYTES, readFrame } from '../../../../src/delivery/disk-buffer/framing.ts';
import {
  createReplayResourceCache,
  decodeStored,
  encodeStoredFrame,
} from '../../../../src/delivery/disk-buffer/stored-record.ts';
import type { DeliveryItem } from '../../../../src/delivery/types.ts';
import { toEncodedRecord } from '../../../../src/exporters/otlp-http/encode-log-record.ts';
import { encodeLogsProto } from '../../../../src/exporters/otlp-http/encode-logs-proto.ts';
import { createSdkResourceCache } from '../../../../src/exporters/otlp-http/sdk-resource-cache.ts';
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

  describe('OTel records that carry their LogRecord bytes', () => {
    const resource = { key: 'node-1|c1', attributes: { 'host.name': 'node-1', 'container.id': 'c1' } };
    const plain: OtelRecord = {
      resource,
      timeUnixNano: 1696259024822467299n,
      observedTimeUnixNano: 1696259024822467300n,
      severityNumber: 13,
      severityText: 'WARN',
      eventName: 'security_file_open',
      attributes: { 'tracee.event.id': 715, big: '9007199254740993', data: { envp: null, argv: ['a', 'ü'] } } as never,
      body: { k: [1, 'two', true] },
    };
    const request = (r: OtelRecord) =>
      Buffer.from(encodeLogsProto([r], createSdkResourceCache({ defaults: {}, overrides: {} })));
    const bigintText = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

    it('are stored as their bytes (kind 5) and come back with the same bytes, record and shared resource', () => {
      const enc = toEncodedRecord(plain);
      const frame = encodeStoredFrame({ record: enc, origin: { source: 'webhook', line: 2 } });
      expect(frame[FRAME_HEADER_BYTES]).toBe(5);
      const cache = createReplayResourceCache();
      const a = roundTrip<OtelRecord>({ record: enc, origin: { source: 'webhook', line: 2 } }, noRevive, cache);
      const b = roundTrip<OtelRecord>({ record: enc, origin: { source: 'webhook' } }, noRevive, cache);
      if (!a.ok || !b.ok) throw new Error('decode failed');
      expect(Buffer.from(a.item.record.encoded ?? []).equals(Buffer.from(enc.encoded ?? []))).toBe(true);
      expect(JSON.stringify(a.item.record, bigintText)).toBe(JSON.stringify(plain, bigintText));
      expect(a.item.record.resource).toBe(b.item.record.resource);
      expect(a.item.origin).toEqual({ source: 'webhook', line: 2 });
      expect(request(a.item.record).equals(request(plain))).toBe(true);
    });

    it('a kind 3 frame written by the previous version (JSON record) still replays to the same request', () => {
      // the previous version's layout, written by hand: [3][u32 LE header length][{"o","otel"}], no body
      const head = Buffer.from(
        JSON.stringify({
          o: { source: 'webhook', line: 4 },
          otel: {
            resource,
            time: plain.timeUnixNano.toString(),
            observed: plain.observedTimeUnixNano.toString(),
            severityNumber: plain.severityNumber,
            severityText: plain.severityText,
            eventName: plain.eventName,
            attributes: plain.attributes,
            body: plain.body,
          },
        }),
      );
      const payload = Buffer.concat([Buffer.from([3, 0, 0, 0, 0]), head]);
      payload.writeUInt32LE(head.length, 1);
      const d = decodeStored<OtelRecord>(payload, noRevive, createReplayResourceCache());
      if (!d.ok) throw new Error(d.reason);
      expect(d.item.record.encoded).toBeUndefined();
      expect(request(d.item.record).equals(request(plain))).toBe(true);
      expect(request(toEncodedRecord(d.item.record)).equals(request(plain))).toBe(true);
    });

    it('damaged bytes or a missing resource are reported, never thrown', () => {
      const enc = toEncodedRecord(plain);
      const frame = encodeStoredFrame({ record: enc, origin: { source: 's' } });
      const payload = Buffer.from(frame.subarray(FRAME_HEADER_BYTES));
      const cut = decodeStored(payload.subarray(0, payload.length - 3), noRevive, createReplayResourceCache());
      expect(cut).toMatchObject({ ok: false, origin: { source: 's' } });
      expect((cut as { reason: string }).reason).toMatch(/^cannot rebuild the record: OTLP LogRecord bytes/);
      const head = Buffer.from(JSON.stringify({ o: { source: 's' } }));
      const noResource = Buffer.concat([Buffer.from([5, 0, 0, 0, 0]), head, Buffer.from([0x09])]);
      noResource.writeUInt32LE(head.length, 1);
      expect(decodeStored(noResource, noRevive, createReplayResourceCache())).toMatchObject({
        ok: false,
        reason: 'payload has no resource',
      });
    });
  });
});
