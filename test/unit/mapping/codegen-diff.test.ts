// Differential test of the code generated from the mapping tables (Mapper.toEcsJson: one writer per
// event group and kind, built with `new Function`) against the interpreted path (toEcs: the row
// closures build an object, then JSON.stringify). Both must give the same text, id and kind for every
// fixture, the first events of the DNS capture, random mutations of the fixtures (missing fields,
// wrong types, hostile strings and keys), and tables whose field names are hostile: the generated
// source holds no key or value as code, and its text escapes exactly as JSON.stringify does.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compileMapper, type Mapper } from '../../../src/mapping/compile.ts';
import { encodeLogRecord } from '../../../src/exporters/otlp-http/encode-log-record.ts';
import {
  compileOtelAttributesWriter,
  compileOtelProtoWriter,
  type OtelPlanRow,
} from '../../../src/mapping/otel-attrs.ts';
import { keyFieldBytes, writeAttribute } from '../../../src/exporters/otlp-http/encode-logs-proto.ts';
import { ProtoWriter } from '../../../src/exporters/otlp-http/proto-writer.ts';
import { loadMappingTables } from '../../../src/mapping/load.ts';
import type { MapInput } from '../../../src/mapping/input.ts';
import { compilePath, pathExpression } from '../../../src/mapping/paths.ts';
import { sameAttributes } from '../../../src/mapping/resource-interner.ts';
import type { TableFile } from '../../../src/mapping/table-types.ts';
import type { TraceeEvent } from '../../../src/model/event.ts';
import type { Attributes } from '../../../src/model/records.ts';
import { decodeText } from '../../../src/normalize/decode.ts';
import { ROOT, sharedSamples, structuredSamples, TEST_NODE, TEST_NOW, testMapper } from '../../helpers/samples.ts';

const CAPTURE_EVENTS = 2000;
const MUTANTS_PER_FIXTURE = 40;

const fixtureTexts = [...sharedSamples(Infinity), ...structuredSamples()].flatMap((s) => s.records);
const decoded = (text: string): TraceeEvent => {
  const r = decodeText(text);
  if (!r.ok) throw new Error(r.reason);
  return r.event;
};

/** Two mappers of the same tables: generated code (the default), and the row closures run one by one. */
interface Pair {
  m: Mapper;
  ref: Mapper;
}
function pair(overrides: TableFile[] = []): Pair {
  const tables = loadMappingTables(undefined, overrides);
  return {
    m: testMapper(overrides),
    ref: compileMapper(tables, { node: TEST_NODE, now: () => TEST_NOW, interpreted: true }),
  };
}

/**
 * The generated paths against the interpreted ones: ECS (toEcsJson against JSON.stringify of toEcs)
 * the same text, id and kind; OTel (toOtel) the same record with the attributes in the same order.
 */
function expectSame({ m, ref }: Pair, ev: TraceeEvent, what: string): void {
  const interpreted = m.toEcs(ev);
  const generated = m.toEcsJson(ev);
  expect(generated.json, what).toBe(JSON.stringify(interpreted.doc));
  expect(generated.id, what).toBe(interpreted.id);
  expect(generated.kind, what).toBe(interpreted.kind);
  const o = m.toOtel(ev);
  const r = ref.toOtel(ev);
  expect(Object.keys(o.attributes), what).toEqual(Object.keys(r.attributes));
  expect(o, what).toEqual(r);
  expectSameBytes(m, ev, what);
}

/** toOtelEncoded (the generated writers writing protobuf, no attributes object): encodeLogRecord(toOtel(ev)), byte for byte. */
function expectSameBytes(m: Mapper, ev: TraceeEvent, what: string): void {
  const plain = m.toOtel(ev);
  const want = Buffer.from(encodeLogRecord(plain));
  const direct = m.toOtelEncoded!(ev);
  expect(direct.encoded, what).toBeDefined();
  expect(Buffer.from(direct.encoded!).equals(want), `${what}: direct LogRecord bytes`).toBe(true);
  expect(direct.resource, what).toBe(plain.resource);
  expect(
    [direct.timeUnixNano, direct.observedTimeUnixNano, direct.severityNumber, direct.severityText, direct.eventName],
    what,
  ).toEqual([
    plain.timeUnixNano,
    plain.observedTimeUnixNano,
    plain.severityNumber,
    plain.severityText,
    plain.eventName,
  ]);
}

// Strings that need escaping, or that would be code if the generated source held them as text.
const HOSTILE = [
  '"});process.exit(1);//',
  "');process.exit(1);//",
  '`${process.exit(1)}`',
  'a\u2028b\u2029c',
  'quote " backslash \\ slash / nul \u0000 bell \u0007 del \u007f',
  'tab\t newline\n cr\r ff\f bs\b',
  'lone \ud800 surrogate \udfff',
  'pair \ud83d\ude00 é 日本',
  '__proto__',
  'constructor',
  '0',
  '',
  '</script><script>alert(1)</script>',
];
const HOSTILE_KEYS = [
  '"});process.exit(1);//',
  'a\u2028',
  '__proto__',
  'constructor',
  'toString',
  '7',
  '',
  'k"\\',
  '\ud800',
];

/** A small seeded PRNG (mulberry32): the same mutations on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every container in a parsed value, with a way to change a member. */
function containers(v: Json, out: Array<Json[] | { [k: string]: Json }> = []): Array<Json[] | { [k: string]: Json }> {
  if (v !== null && typeof v === 'object') {
    out.push(v);
    for (const x of Array.isArray(v) ? v : Object.values(v)) containers(x, out);
  }
  return out;
}

/** One random change: drop a member, change its type, put a hostile string or key in. */
function mutate(v: Json, r: () => number): void {
  const all = containers(v);
  const c = all[Math.floor(r() * all.length)];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const keys = Array.isArray(c) ? c.map((_x, i) => String(i)) : Object.keys(c);
  const set = (k: string, x: Json) => {
    if (Array.isArray(c)) c[Number(k)] = x;
    else c[k] = x;
  };
  const get = (k: string): Json => (Array.isArray(c) ? c[Number(k)] : c[k]);
  const op = Math.floor(r() * 6);
  if (keys.length === 0 || op === 0) {
    // a hostile key (or an array element) next to the others
    if (Array.isArray(c)) c.push(pick(HOSTILE));
    else
      Object.defineProperty(c, pick(HOSTILE_KEYS), {
        value: pick(HOSTILE),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return;
  }
  const k = pick(keys);
  const old = get(k);
  switch (op) {
    case 1:
      if (Array.isArray(c)) c.splice(Number(k), 1);
      else delete c[k];
      return; // missing
    case 2:
      set(k, pick(HOSTILE));
      return; // hostile string
    case 3:
      set(k, typeof old === 'string' ? 12345 : typeof old === 'number' ? String(old) : old === null ? {} : null);
      return; // wrong type
    case 4:
      set(k, Array.isArray(old) ? {} : [old]);
      return; // array <-> scalar/object
    default:
      set(k, typeof old === 'number' ? pick([-1, 0, 1.5, 2 ** 53 + 2, 1e21, -0]) : pick([true, false, 0, '']));
      return;
  }
}

describe('generated ECS writer and OTel attributes = interpreted mapping', () => {
  // an injected process.exit must fail the test, not end the worker
  beforeEach(() => {
    vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`process.exit(${String(code)}) called`);
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('every fixture in test/fixtures', () => {
    const m = pair();
    for (const [k, text] of fixtureTexts.entries()) expectSame(m, decoded(text), `fixture #${k}`);
  });

  it(`the first ${CAPTURE_EVENTS} events of the DNS capture`, () => {
    const m = pair();
    const text = zlib
      .gunzipSync(fs.readFileSync(path.join(ROOT, 'test/data/tracee-net_packet_dns-24010.ndjson.gz')))
      .toString('utf8');
    const lines = text.split('\n', CAPTURE_EVENTS);
    expect(lines).toHaveLength(CAPTURE_EVENTS);
    for (const [k, l] of lines.entries()) expectSame(m, decoded(l), `capture line ${k + 1}`);
  });

  it(`random mutations of every fixture (${MUTANTS_PER_FIXTURE} each: missing fields, wrong types, hostile strings and keys)`, () => {
    const m = pair();
    const r = rng(16);
    let mapped = 0;
    for (const [k, text] of fixtureTexts.entries()) {
      for (let n = 0; n < MUTANTS_PER_FIXTURE; n++) {
        const v = JSON.parse(text) as Json;
        const changes = 1 + Math.floor(r() * 4);
        for (let c = 0; c < changes; c++) mutate(v, r);
        // through text, as input arrives: a big integer JSON.parse rounded is still one in the text
        const res = decodeText(JSON.stringify(v));
        if (!res.ok) continue; // the decoder refused it: nothing to map
        expectSame(m, res.event, `fixture #${k}, mutant ${n}: ${JSON.stringify(v).slice(0, 300)}`);
        mapped++;
      }
    }
    // most mutants still decode: the comparison ran on many of them
    expect(mapped).toBeGreaterThan(fixtureTexts.length * MUTANTS_PER_FIXTURE * 0.5);
  });

  it('hostile strings in every string the rows read (event name, process, container, arguments)', () => {
    const m = pair();
    const bases = fixtureTexts.map(decoded);
    for (const s of HOSTILE) {
      for (const ev of bases) {
        const copy = structuredClone(ev);
        copy.name = s === '' ? copy.name : s;
        const p = copy.workload.process;
        if (p?.thread) p.thread.name = s;
        if (p?.executable) p.executable.path = `/bin/${s}`;
        if (copy.workload.container) copy.workload.container.id = s;
        copy.data = copy.data.map((d) => (typeof d.value === 'string' ? { ...d, value: s } : d));
        copy.data.push(
          { name: s, kind: 'str', value: s },
          { name: 'big', kind: 'u_int64', value: { a: [18446744073709551615n, { b: -(2n ** 63n) }] } },
        );
        expectSame(m, copy, `${ev.name} with ${JSON.stringify(s)}`);
      }
    }
  });

  it('hostile field names in the tables (ECS labels.*, OTel tracee.*): written escaped, never as code', () => {
    const names = [
      'a\u2028',
      '"});process.exit(1);//',
      "');process.exit(1);//",
      'k"\\',
      'x\u0000y',
      'tab\t',
      '\ud800',
      'é日本',
      'constructor',
      '__proto__',
    ];
    const m = pair([
      {
        fields: names.flatMap((n, k) => [
          { from: 'name', ecs: `labels.${n}` },
          { value: `v${k}`, ecs: `labels.${n}_const` },
          { from: 'workload.process.thread.name', ecs: `labels.${n}_when`, when: 'workload.process' },
          { from: 'name', otel: `tracee.${n}`, type: 'keyword' },
        ]),
      },
    ]);
    for (const [k, text] of fixtureTexts.entries()) {
      const ev = decoded(text);
      expectSame(m, ev, `fixture #${k}`);
      const doc = JSON.parse(m.m.toEcsJson(ev).json) as Record<string, unknown>;
      // a dot in a name nests, as in any ECS field name
      const read = (segs: string[]) =>
        segs.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], doc);
      // (`__proto__` is no member of the object path's document either: compared above only)
      const attrs = m.m.toOtel(ev).attributes;
      for (const n of names)
        expect(Object.hasOwn(attrs, `tracee.${n}`) ? attrs[`tracee.${n}`] : undefined, JSON.stringify(n)).toBe(ev.name);
      for (const n of names.filter((x) => x !== '__proto__'))
        expect(read(['labels', ...n.split('.')]), JSON.stringify(n)).toBe(ev.name);
    }
  });
});

describe('toOtelEncoded: rows a protobuf writer cannot take are encoded from the object', () => {
  const row = (key: string, extra: Partial<OtelPlanRow> = {}): OtelPlanRow => ({
    key,
    get: () => 'x',
    transforms: [],
    coerce: (v) => v,
    template: false,
    ...extra,
  });
  it('compileOtelProtoWriter: none for a template row, an index-like key or __proto__', () => {
    expect(compileOtelProtoWriter([row('a'), row('b.c'), row('01'), row(' 1')])).toBeDefined();
    expect(compileOtelProtoWriter([row('a'), row('a')])).toBeDefined();
    expect(compileOtelProtoWriter([row('a', { template: true })])).toBeUndefined();
    expect(compileOtelProtoWriter([row('a'), row('7')])).toBeUndefined();
    expect(compileOtelProtoWriter([row('0')])).toBeUndefined();
    expect(compileOtelProtoWriter([row('__proto__')])).toBeUndefined();
  });

  it('a key set by several rows: placed by the first with a value, holding the value of the last, as the object path does', () => {
    // every combination of present / absent values over three rows of one key, between other keys
    const values = [undefined, 'one', 'two', 'three'];
    for (let mask = 0; mask < 8; mask++) {
      const got = (k: number) => () => ((mask >> k) & 1 ? values[k + 1] : undefined);
      const rows = [
        row('x'),
        row('dup', { get: got(0) }),
        row('y'),
        row('dup', { get: got(1) }),
        row('z'),
        row('dup', { get: got(2) }),
      ];
      const proto = compileOtelProtoWriter(rows);
      expect(proto, `mask ${mask}`).toBeDefined();
      const attrs: Attributes = {};
      compileOtelAttributesWriter(rows)({} as MapInput, attrs);
      const w = new ProtoWriter(256);
      proto!({} as MapInput, w);
      const want = new ProtoWriter(256);
      for (const [k, v] of Object.entries(attrs)) writeAttribute(want, keyFieldBytes(k), v);
      expect(
        Buffer.from(w.buf.subarray(0, w.pos)).equals(Buffer.from(want.buf.subarray(0, want.pos))),
        `mask ${mask}`,
      ).toBe(true);
      expect(Object.keys(attrs).includes('dup'), `mask ${mask}`).toBe(mask !== 0);
    }
  });

  it('tables with a key set twice: the same bytes as encodeLogRecord(toOtel(ev)) on every fixture', () => {
    const m = pair([
      {
        fields: [
          { from: 'name', otel: 'tracee.dup', type: 'keyword' },
          { from: 'workload.process.thread.name', otel: 'tracee.dup', type: 'keyword' },
        ],
      },
    ]);
    for (const [k, text] of fixtureTexts.entries()) expectSame(m, decoded(text), `fixture #${k}`);
  });
});

describe('path reads generated as expressions = the getters', () => {
  it('every path form on events with missing, null, scalar, array and hostile-keyed members', () => {
    const paths = [
      'event',
      'event.workload.process.pid',
      'kind',
      'observed',
      'name',
      'timestamp',
      'workload.process',
      'workload.process.thread.name',
      'workload.process.ancestors.0.pid',
      'classic.return_value',
      'constructor',
      '__proto__',
      'a.__proto__',
      'a.constructor',
      'a.toString',
      'a.0',
      'a.01',
      'a. 1',
      'x."});process.exit(1);//',
      'x.a\u2028',
      'x.length',
      'x.0.y',
    ];
    const events: unknown[] = [
      {},
      { workload: null },
      { workload: { process: 'str' } },
      { workload: { process: { pid: 7, thread: { name: 'n' }, ancestors: [{ pid: 1 }] } } },
      { a: [5, 6], x: ['q'] },
      { a: { 0: 'zero', '01': 'one', ' 1': 'sp' }, x: { '"});process.exit(1);//': 'h', 'a\u2028': 'ls', length: 3 } },
      { a: Object.create({ inherited: 1 }), classic: { return_value: -2 }, name: 'n', timestamp: 5n },
      { x: [{ y: 1 }], a: 'text' },
    ];
    for (const p of paths) {
      const expr = pathExpression(p, 'x');
      if (expr === undefined) continue;
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      const read = new Function('i', `let x; return ${expr};`) as (i: unknown) => unknown;
      const get = compilePath(p);
      for (const event of events) {
        const i = { event, node: {}, signature: undefined, kind: 'event', observed: 1n } as unknown as MapInput;
        expect(
          read(i),
          `${p} on ${JSON.stringify(event, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`,
        ).toBe(get(i));
      }
    }
    expect(pathExpression('data.fd', 'x')).toBeUndefined();
    expect(pathExpression('node.name', 'x')).toBeUndefined();
  });
});

describe('the latest Resource, reused without a key', () => {
  it('sameAttributes: equal keys, order and scalar values only', () => {
    expect(sameAttributes({ a: 'x', b: ['1', '2'], c: 3 }, { a: 'x', b: ['1', '2'], c: 3 })).toBe(true);
    expect(sameAttributes({ a: 'x', b: 'y' }, { b: 'y', a: 'x' })).toBe(false); // another order: another key
    expect(sameAttributes({ a: 'x' }, { a: 'x', b: 'y' })).toBe(false);
    expect(sameAttributes({ a: '1' }, { a: 1 })).toBe(false);
    expect(sameAttributes({ a: ['1'] }, { a: ['1', '2'] })).toBe(false);
    expect(sameAttributes({ a: Number.NaN }, { a: Number.NaN })).toBe(false); // unsure: build the key
    expect(sameAttributes({ a: [{ k: 1 }] as never }, { a: [{ k: 1 }] as never })).toBe(false);
  });

  it('workloads that alternate, repeat and get evicted give the Resources of the interpreted path', () => {
    const tables = loadMappingTables();
    const bases = fixtureTexts.map(decoded).filter((e) => e.workload.container?.id);
    expect(bases.length).toBeGreaterThan(2);
    for (const size of [0, 1, 2, 4096]) {
      const m = compileMapper(tables, { node: TEST_NODE, now: () => TEST_NOW, resourceCacheSize: size });
      const ref = compileMapper(tables, {
        node: TEST_NODE,
        now: () => TEST_NOW,
        resourceCacheSize: size,
        interpreted: true,
      });
      const order = [0, 0, 1, 0, 2, 2, 1, 1, 0].map((k) => bases[k % bases.length]);
      let prev: { m: unknown; ref: unknown } | undefined;
      for (const ev of order) {
        const a = m.toOtel(ev).resource;
        const b = ref.toOtel(ev).resource;
        expect(a).toEqual(b);
        // the same object exactly when the interpreted path gives the same object
        if (prev !== undefined) expect(a === prev.m).toBe(b === prev.ref);
        prev = { m: a, ref: b };
      }
    }
  });
});
