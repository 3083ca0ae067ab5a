import { describe, expect, it } from 'vitest';
import { BulkEncoder, chunkBySize } from '../../../../src/exporters/elasticsearch/bulk-body.ts';
import { resolveElasticsearchOptions } from '../../../../src/exporters/elasticsearch/config.ts';
import type { EcsRecord } from '../../../../src/model/records.ts';
import { EcsBytesRecord } from '../../../../src/model/ecs-bytes.ts';
import { EcsJsonRecord } from '../../../../src/mapping/ecs-json.ts';
import { decodeText } from '../../../../src/normalize/decode.ts';
import { sharedSamples, testMapper } from '../../../helpers/samples.ts';

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
    const { action, doc } = lines(e.body.toString());
    expect(action).toEqual({ create: { _index: 'logs-tracee.events-prod', _id: 'abc"1' } });
    expect(doc['@timestamp']).toBe('2026-01-01T00:00:00.123456789Z');
    expect(doc.data_stream).toEqual({ type: 'logs', dataset: 'tracee.events', namespace: 'prod' });
    expect(doc.event).toEqual({ kind: 'event', action: 'execve', dataset: 'tracee.events' });
    expect(e.bytes).toBe(e.body.length);
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
    const { action, doc } = lines(e.body.toString());
    expect(action.create._index).toBe('logs-tracee.alerts-prod');
    expect(doc.data_stream).toEqual({ type: 'logs', dataset: 'tracee.alerts', namespace: 'prod' });
    expect(doc.event.dataset).toBe('tracee.alerts');
    expect(rec.doc.event).toEqual({ kind: 'alert', dataset: 'wrong' }); // input not mutated
  });

  it('adds event.dataset when the document has no event object', () => {
    const e = enc.encode({ id: 'y', kind: 'event', doc: { message: 'hi' } });
    if (!e.ok) throw new Error(e.reason);
    expect(lines(e.body.toString()).doc.event).toEqual({ dataset: 'tracee.events' });
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
      expect(fromJson.body.toString()).toBe(fromObject.body.toString());
      const out = lines(fromJson.body.toString()).doc;
      expect(out.event.ingested).toBe(at);
      expect(out.event.dataset).toBe('tracee.events');
      expect(Object.keys(out.event).filter((k) => k === 'ingested')).toHaveLength(1);
    }
    // without a time (a caller that does not want it) the document has none
    const e = enc.encode({ id: 'i', kind: 'event', doc: { event: { kind: 'event' } } });
    if (!e.ok) throw new Error(e.reason);
    expect(lines(e.body.toString()).doc.event).toEqual({ kind: 'event', dataset: 'tracee.events' });
  });

  it('counts bytes in UTF-8', () => {
    const e = enc.encode({ id: 'é', kind: 'event', doc: { message: '日本' } });
    if (!e.ok) throw new Error(e.reason);
    expect(e.bytes).toBeGreaterThan(e.body.toString().length);
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

describe('bulk body from a record carrying its JSON as bytes (the queue holds ECS records so)', () => {
  const enc = new BulkEncoder(targets);
  const bytesOf = (r: EcsRecord) => new EcsBytesRecord(r.id, r.kind, Buffer.from(r.json ?? JSON.stringify(r.doc)));
  const body = (r: EcsRecord, at?: string) => {
    const e = enc.encode(r, at);
    if (!e.ok) throw new Error(e.reason);
    return e.body;
  };

  it('the same bytes as from the JSON text and from the document, for every sample and shape', () => {
    const m = testMapper();
    const recs: EcsRecord[] = [];
    for (const text of sharedSamples(Infinity).flatMap((x) => x.records)) {
      const r = decodeText(text);
      if (r.ok) recs.push(m.toEcsJson(r.event));
    }
    const odd: Array<Record<string, unknown>> = [
      {},
      { message: 'no event object, ü 😀 \u2028' },
      { event: 'not an object', ключ: { '"q"': ['}', '{', '\\'] } },
      { event: {} },
      { event: { kind: 'alert', ingested: 'old', dataset: 'x', é: 'ß' }, data_stream: { type: 'metrics' } },
      { data_stream: null, event: { nested: { event: { dataset: 'inner' } } } },
    ];
    for (const doc of odd) recs.push(new EcsJsonRecord('o', 'alert', JSON.stringify(doc)));
    expect(recs.length).toBeGreaterThan(100);
    for (const r of recs)
      for (const at of [undefined, '2026-12-07T03:40:00.000Z']) {
        const fromText = body(r, at);
        expect(body(bytesOf(r), at).equals(fromText)).toBe(true);
        expect(body({ id: r.id, kind: r.kind, doc: r.doc }, at).equals(fromText)).toBe(true);
      }
  });

  it('bytes that are not a JSON object take the document path, as text does', () => {
    const bytes = body(new EcsBytesRecord('b', 'event', Buffer.from('[1,2]')));
    expect(bytes.equals(body(new EcsJsonRecord('b', 'event', '[1,2]')))).toBe(true);
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
