import { describe, expect, it } from 'vitest';
import { BulkEncoder, chunkBySize } from '../../../../src/exporters/elasticsearch/bulk-body.ts';
import { resolveElasticsearchOptions } from '../../../../src/exporters/elasticsearch/config.ts';
import type { EcsRecord } from '../../../../src/model/records.ts';

const targets = resolveElasticsearchOptions({ endpoints: 'http://x:9200', dataStream: { namespace: 'prod' } }).targets;

function lines(text: string) {
  const [a, d, rest] = text.split('\n');
  expect(rest).toBe('');
  return { action: JSON.parse(a), doc: JSON.parse(d) };
}

describe('bulk body', () => {
  const enc = new BulkEncoder(targets);

  it('writes a create action with _id = record.id into the events stream', () => {
    const rec: EcsRecord = {
      id: 'abc"1',
      kind: 'event',
      doc: { '@timestamp': '2026-01-01T00:00:00.123456789Z', event: { kind: 'event', action: 'execve' } },
    };
    const e = enc.encode(rec);
    expect(e.ok).toBe(true);
    if (!e.ok) return;
    const { action, doc } = lines(e.text);
    expect(action).toEqual({ create: { _index: 'logs-tracee.events-prod', _id: 'abc"1' } });
    expect(doc['@timestamp']).toBe('2026-01-01T00:00:00.123456789Z');
    expect(doc.data_stream).toEqual({ type: 'logs', dataset: 'tracee.events', namespace: 'prod' });
    expect(doc.event).toEqual({ kind: 'event', action: 'execve', dataset: 'tracee.events' });
    expect(e.bytes).toBe(Buffer.byteLength(e.text));
  });

  it('routes alerts to the alerts stream and overwrites what the mapper set', () => {
    const rec: EcsRecord = {
      id: 'x',
      kind: 'alert',
      doc: {
        event: { kind: 'alert', dataset: 'wrong' },
        data_stream: { type: 'metrics', dataset: 'wrong', namespace: 'wrong' },
      },
    };
    const e = enc.encode(rec);
    if (!e.ok) throw new Error(e.reason);
    const { action, doc } = lines(e.text);
    expect(action.create._index).toBe('logs-tracee.alerts-prod');
    expect(doc.data_stream).toEqual({ type: 'logs', dataset: 'tracee.alerts', namespace: 'prod' });
    expect(doc.event.dataset).toBe('tracee.alerts');
    expect(rec.doc.event).toEqual({ kind: 'alert', dataset: 'wrong' }); // input not mutated
  });

  it('adds event.dataset when the document has no event object', () => {
    const e = enc.encode({ id: 'y', kind: 'event', doc: { message: 'hi' } });
    if (!e.ok) throw new Error(e.reason);
    expect(lines(e.text).doc.event).toEqual({ dataset: 'tracee.events' });
  });

  it("sets event.ingested to the attempt's time, the same from the JSON text as from the object (replacing one already there)", () => {
    const at = '2026-11-28T17:30:00.000Z';
    const docs: Array<Record<string, unknown>> = [
      { '@timestamp': 't', event: { kind: 'alert', action: 'x' }, message: 'm' },
      { '@timestamp': 't', event: { kind: 'event', ingested: 'old', dataset: 'd' } },
      { message: 'no event object' },
      { event: 'not an object' },
      { event: {} },
    ];
    for (const doc of docs) {
      const fromObject = enc.encode({ id: 'i', kind: 'event', doc }, at);
      const fromJson = enc.encode({ id: 'i', kind: 'event', doc, json: JSON.stringify(doc) } as EcsRecord, at);
      if (!fromObject.ok || !fromJson.ok) throw new Error('not encoded');
      expect(fromJson.text).toBe(fromObject.text);
      const out = lines(fromJson.text).doc;
      expect(out.event.ingested).toBe(at);
      expect(out.event.dataset).toBe('tracee.events');
      expect(Object.keys(out.event).filter((k) => k === 'ingested')).toHaveLength(1);
    }
    // without a time (a caller that does not want it) the document has none
    const e = enc.encode({ id: 'i', kind: 'event', doc: { event: { kind: 'event' } } });
    if (!e.ok) throw new Error(e.reason);
    expect(lines(e.text).doc.event).toEqual({ kind: 'event', dataset: 'tracee.events' });
  });

  it('counts bytes in UTF-8', () => {
    const e = enc.encode({ id: 'é', kind: 'event', doc: { message: '日本' } });
    if (!e.ok) throw new Error(e.reason);
    expect(e.bytes).toBeGreaterThan(e.text.length);
  });

  it('reports documents that cannot be encoded instead of throwing', () => {
    expect(enc.encode({ id: 'z', kind: 'event', doc: { n: 1n } })).toMatchObject({
      ok: false,
      reason: /cannot encode document as JSON/,
    });
    expect(enc.encode({ id: '', kind: 'event', doc: {} })).toMatchObject({ ok: false, reason: 'record has no id' });
    expect(enc.encode({ id: 'k', kind: 'metric' as 'event', doc: {} })).toMatchObject({
      ok: false,
      reason: /unknown record kind/,
    });
  });
});

describe('chunkBySize', () => {
  it('packs consecutive items up to the limit', () => {
    expect(chunkBySize([0, 1, 2, 3, 4], [40, 40, 40, 40, 40], 100)).toEqual([[0, 1], [2, 3], [4]]);
  });
  it('gives an oversized item its own chunk', () => {
    expect(chunkBySize([0, 1, 2], [10, 500, 10], 100)).toEqual([[0], [1], [2]]);
  });
  it('keeps only the given indexes', () => {
    expect(chunkBySize([0, 2], [10, 10, 10], 100)).toEqual([[0, 2]]);
    expect(chunkBySize([], [], 100)).toEqual([]);
  });
});
