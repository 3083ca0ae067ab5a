// Mapper.toEcsJson writes the ECS document as JSON text directly: it must be byte for byte
// JSON.stringify(toEcs(ev).doc) (same members, same values, same key order), for every sample,
// the whole DNS capture, other node settings, and table overrides that change the write order.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compileMapper, type Mapper } from '../../../src/mapping/compile.ts';
import { loadMappingTables } from '../../../src/mapping/load.ts';
import type { TableFile } from '../../../src/mapping/table-types.ts';
import type { TraceeEvent } from '../../../src/model/event.ts';
import { decodeText } from '../../../src/normalize/decode.ts';
import { BulkEncoder } from '../../../src/exporters/elasticsearch/bulk-body.ts';
import { resolveElasticsearchOptions } from '../../../src/exporters/elasticsearch/config.ts';
import type { EcsRecord } from '../../../src/model/records.ts';
import { ROOT, sharedSamples, structuredSamples, TEST_NOW, testMapper } from '../../helpers/samples.ts';

const DATASET = path.resolve(ROOT, 'test/data/tracee-net_packet_dns-24010.ndjson.gz');

const events: TraceeEvent[] = [...sharedSamples(Infinity), ...structuredSamples()]
  .flatMap((s) => s.records)
  .map((r) => {
    const res = decodeText(r);
    if (!res.ok) throw new Error(res.reason);
    return res.event;
  });

function expectSame(m: Mapper, ev: TraceeEvent): void {
  const obj = m.toEcs(ev);
  const fast = m.toEcsJson(ev);
  expect(fast.json).toBe(JSON.stringify(obj.doc));
  expect(fast.id).toBe(obj.id);
  expect(fast.kind).toBe(obj.kind);
}

describe('toEcsJson', () => {
  it('every sample: the same text as JSON.stringify of the object path', () => {
    const m = testMapper();
    for (const ev of events) expectSame(m, ev);
  });

  it('the record parses back to the object document (doc is read lazily from json)', () => {
    const m = testMapper();
    for (const ev of events) {
      const r = m.toEcsJson(ev);
      expect(JSON.parse(r.json)).toEqual(m.toEcs(ev).doc);
      expect(r.doc).toEqual(m.toEcs(ev).doc);
      expect(r.doc).toBe(r.doc);
    }
  });

  // test/data is part of the repository: a missing dataset fails, never skips
  it('the whole 24k-event DNS capture, byte for byte', () => {
    const m = testMapper();
    const lines = zlib
      .gunzipSync(fs.readFileSync(DATASET))
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '');
    let differ = 0;
    for (const l of lines) {
      const res = decodeText(l);
      if (!res.ok) throw new Error(res.reason);
      if (m.toEcsJson(res.event).json !== JSON.stringify(m.toEcs(res.event).doc)) differ++;
    }
    expect(differ).toBe(0);
  }, 120_000);

  it('other node settings: no node info, no cluster (k8s events then open `orchestrator` late)', () => {
    const tables = loadMappingTables();
    for (const node of [{}, { name: 'n1' }, { name: 'n1', host_id: 'h', kernel: 'k' }]) {
      const m = compileMapper(tables, { node, now: () => TEST_NOW });
      for (const ev of events) expectSame(m, ev);
    }
  });

  it('overrides that write earlier objects late, reuse a field, or drop rows keep the object order', () => {
    const overrides: TableFile[] = [
      {
        fields: [
          { from: 'workload.process.thread.syscall', ecs: 'labels.syscall' },
          { from: 'name', ecs: 'host.type' }, // host is otherwise all constant
          { from: 'workload.container.id', ecs: 'event.reason' }, // event member written late, sometimes
          { from: 'classic.uts_name', ecs: 'message' }, // same field, second writer
          { value: 'x', ecs: 'labels.k', when: 'workload.k8s' },
        ],
      },
      { drop: [{ ecs: 'event.created' }, { ecs: '@timestamp' }, { ecs: 'message' }] },
    ];
    const m = testMapper(overrides);
    for (const ev of events) expectSame(m, ev);
  });

  it('keys an object would reorder (array-index-like) take the object path', () => {
    const m = testMapper([
      {
        fields: [
          { value: 'v', ecs: 'labels.0' },
          { from: 'name', ecs: 'labels.a' },
        ],
      },
    ]);
    for (const ev of events.slice(0, 5)) expectSame(m, ev);
  });

  it('event arguments: repeated or index-like names, big integers, odd strings', () => {
    const m = testMapper();
    const base = events.find((e) => e.name === 'security_file_open')!;
    const variants: TraceeEvent['data'][] = [
      [
        { name: 'a', kind: 'str', value: 'x' },
        { name: 'a', kind: 'str', value: 'y' },
      ],
      [
        { name: 'b', kind: 'str', value: 'x' },
        { name: '7', kind: 'int32', value: 1 },
      ],
      [
        { name: 'big', kind: 'u_int64', value: 18446744073709551615n },
        { name: 'nested', kind: 'struct', value: { a: [1n, { b: 2n }] } },
      ],
      [
        { name: 'q"\\', kind: 'str', value: 'line\nbreak \u0001 \ud800 "quoted" é 日本' },
        { name: 'undef', kind: 'str', value: undefined },
      ],
      [
        { name: '__proto__', kind: 'str', value: 'p' },
        { name: 'n', kind: 'timespec', value: 1.5 },
        { name: 'z', kind: 'bool', value: false },
      ],
    ];
    for (const data of variants) expectSame(m, { ...base, data });
  });

  it('a value changed between two calls is read again (transforms that share a parse per call)', () => {
    const m = testMapper();
    const dns = events.find((e) => e.name === 'net_packet_dns')!;
    const copy = structuredClone(dns);
    const first = m.toEcsJson(copy).json;
    const q = (copy.data.find((d) => d.name === 'proto_dns')!.value as { questions: Array<{ name: string }> })
      .questions;
    q[0].name = 'changed.example';
    const second = m.toEcsJson(copy).json;
    expect(second).not.toBe(first);
    expect(JSON.parse(second).dns.question.name).toBe('changed.example');
    expectSame(m, copy);
  });
});

describe('Elasticsearch bulk body from the JSON text', () => {
  const targets = resolveElasticsearchOptions({
    endpoints: 'http://x:9200',
    dataStream: { namespace: 'prod' },
  }).targets;
  const enc = new BulkEncoder(targets);
  const text = (r: EcsRecord) => {
    const e = enc.encode(r);
    if (!e.ok) throw new Error(e.reason);
    return e.body.toString();
  };

  it('the same bulk lines as from the document object', () => {
    const m = testMapper();
    for (const ev of events) {
      const r = m.toEcsJson(ev);
      const o = m.toEcs(ev);
      expect(text(r)).toBe(text({ id: o.id, kind: o.kind, doc: o.doc }));
    }
  });

  it('documents without data_stream / event / event.dataset, or with odd event values', () => {
    const docs: Record<string, unknown>[] = [
      {},
      { message: 'hi' },
      { event: { kind: 'event' }, message: 'm' },
      { data_stream: { type: 'x' }, event: 'scalar', tracee: { data: { data_stream: 1, event: { dataset: 'no' } } } },
      { event: {}, z: [1, { '}': '"{' }] },
      { event: { dataset: 'wrong', id: 'i' }, data_stream: null },
      { 'ke"y': 'va\\"l', event: [1, 2] },
    ];
    for (const doc of docs) {
      for (const kind of ['event', 'alert'] as const) {
        const json = JSON.stringify(doc);
        expect(text({ id: 'i', kind, doc, json })).toBe(text({ id: 'i', kind, doc }));
      }
    }
  });
});
