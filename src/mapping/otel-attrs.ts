// OTel log record attributes written by code generated from the mapping tables: one function per
// (event group, kind) runs that group's rows in table order, with the getters, transforms and
// coercions called directly and values several rows share (the same source, the same transforms on
// it) computed once per event. It sets the same attributes, in the same order, as the interpreted
// rows in compile.ts (runOtel), which stay the reference (test/unit/mapping/codegen-diff.test.ts).
//
// A writer compiled with compileOtelProtoWriter writes each attribute straight into a ProtoWriter as a
// LogRecord.attributes field (KeyValue protobuf, what the OTLP encoder writes for that member) instead
// of into an object: the mapper's toOtelEncoded, for queues that hold records as LogRecord bytes.
//
// The generated source holds row numbers and attribute keys as JSON string literals (JSON.stringify:
// valid JavaScript string literals, whatever the key holds); getters, transforms and coercions are
// passed in arrays, never as text.

import type { Attributes } from '../model/records.ts';
import { type Coerce, keepsJsonSafe } from './coerce.ts';
import type { MapInput } from './input.ts';
import { type Getter, present } from './paths.ts';
import type { Transform } from './transforms/index.ts';
import type { RowKeys } from './ecs-json.ts';
import { keyFieldBytes, writeAttribute } from '../exporters/otlp-http/encode-logs-proto.ts';
import type { ProtoWriter } from '../exporters/otlp-http/proto-writer.ts';

export interface OtelPlanRow {
  key: string;
  get: Getter;
  when?: Getter;
  transforms: Transform[];
  coerce: Coerce;
  /** A `template` row: an object value becomes one attribute per member (`key.member`). */
  template: boolean;
  /** What the row reads and runs, as keys, and its reads as expressions (ecs-json.ts RowKeys). */
  keys?: RowKeys;
}

export type OtelAttributesWriter = (input: MapInput, attributes: Attributes) => void;

/** present(v) (paths.ts) written inline: only an object needs the call. */
const PV = `if (v !== undefined && v !== null && v !== '' && (typeof v !== 'object' || P(v))) { `;
/** A shared value not computed yet for this event. */
const NOT_YET = Symbol('not computed yet');

/** The template rows' write (compile.ts setAttr): an object's members as `key.member` attributes. */
function templateSet(attrs: Attributes, key: string, coerce: Coerce, v: unknown): void {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const m = v as Record<string, unknown>;
    for (const k of Object.keys(m)) {
      const x = coerce(m[k]);
      if (x !== undefined) attrs[`${key}.${k}`] = x as Attributes[string];
    }
    return;
  }
  const x = coerce(v);
  if (x !== undefined) attrs[key] = x as Attributes[string];
}

export type OtelProtoWriter = (input: MapInput, out: ProtoWriter) => void;

/** A key an object lists before the others (array-index-like): its place in the object is not the write order. */
const INDEX_LIKE = /^(?:0|[1-9]\d*)$/;

/**
 * The rows' attributes written as LogRecord.attributes fields in the order and with the values of the
 * object compileOtelAttributesWriter fills: a key several rows set (an event group's row over a
 * common one) where the first of them that has a value would put it, with the value of the last that
 * has one. Undefined when a row is a template row or a key is array-index-like or __proto__ (which an
 * object orders first or does not keep): the caller encodes the object.
 */
export function compileOtelProtoWriter(rows: readonly OtelPlanRow[]): OtelProtoWriter | undefined {
  if (rows.some((r) => r.template || r.key === '__proto__' || INDEX_LIKE.test(r.key))) return undefined;
  return compile(rows, true) as unknown as OtelProtoWriter;
}

/** Per row, the rows (indexes, in order) that set its key when more than one does; undefined for a key set once. */
function sameKeyRows(rows: readonly OtelPlanRow[]): Array<number[] | undefined> {
  const byKey = new Map<string, number[]>();
  for (let k = 0; k < rows.length; k++) {
    const list = byKey.get(rows[k].key);
    if (list === undefined) byKey.set(rows[k].key, [k]);
    else list.push(k);
  }
  return rows.map((r) => {
    const list = byKey.get(r.key)!;
    return list.length > 1 ? list : undefined;
  });
}

export function compileOtelAttributesWriter(rows: readonly OtelPlanRow[]): OtelAttributesWriter {
  return compile(rows, false);
}

/** The first of y<j> (j from the end of `list`) that is defined, as an expression (undefined when none is). */
function lastDefined(list: readonly number[]): string {
  let e = `y${list[0]}`;
  for (let n = 1; n < list.length; n++) e = `(y${list[n]} !== undefined ? y${list[n]} : ${e})`;
  return e;
}

function compile(rows: readonly OtelPlanRow[], proto: boolean): OtelAttributesWriter {
  const B: Uint8Array[] = [];
  const G: Getter[] = [],
    W: Array<Getter | undefined> = [],
    T: Transform[][] = [],
    C: Coerce[] = [],
    K: string[] = [];
  const prologue: string[] = [];
  const locals: string[] = ['v', 'x'];
  const body: string[] = [];
  const rowCode: string[] = new Array(rows.length);
  const same = proto ? sameKeyRows(rows) : rows.map(() => undefined);

  const chainKeys = (r: OtelPlanRow): string[] | undefined => {
    if (r.keys === undefined) return undefined;
    const out = [`s${JSON.stringify(r.keys.source)}`];
    for (let t = 0; t < r.keys.transforms.length; t++) out.push(`${out[t]}|${JSON.stringify(r.keys.transforms[t])}`);
    return out;
  };
  const uses = new Map<string, number>();
  const use = (key: string) => uses.set(key, (uses.get(key) ?? 0) + 1);
  for (const r of rows) {
    if (r.keys?.when !== undefined) use(`s${JSON.stringify(r.keys.when)}`);
    for (const key of chainKeys(r) ?? []) use(key);
  }
  const shared = new Map<string, string>();
  const cached = (key: string | undefined, compute: string): string => {
    if (key === undefined || (uses.get(key) ?? 0) < 2) return compute;
    let q = shared.get(key);
    if (q === undefined) {
      q = `q${shared.size}`;
      shared.set(key, q);
      locals.push(`${q} = U`);
    }
    return `(${q} === U ? (${q} = ${compute}) : ${q})`;
  };

  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    G[k] = r.get;
    W[k] = r.when;
    T[k] = r.transforms;
    C[k] = r.coerce;
    K[k] = r.key;
    if (proto) B[k] = keyFieldBytes(r.key);
    prologue.push(
      `const g${k} = G[${k}], c${k} = C[${k}], k${k} = K[${k}]${r.when ? `, w${k} = W[${k}]` : ''}${proto ? `, b${k} = B[${k}]` : ''};`,
    );
    for (let t = 0; t < r.transforms.length; t++) prologue.push(`const t${k}_${t} = T[${k}][${t}];`);
    const ck = chainKeys(r);
    let code = '';
    let close = '';
    if (r.when) {
      code += `if (P(${cached(r.keys?.when === undefined ? undefined : `s${JSON.stringify(r.keys.when)}`, r.keys?.readWhen ?? `w${k}(i)`)})) { `;
      close += ' }';
    }
    code += `v = ${cached(ck?.[0], r.keys?.read ?? `g${k}(i)`)}; ${PV}`;
    close += ' }';
    for (let t = 0; t < r.transforms.length; t++) {
      code += `v = ${cached(ck?.[t + 1], `t${k}_${t}(v, i)`)}; ${PV}`;
      close += ' }';
    }
    // A store with a literal key (a JSON string literal: any key, escaped, never code): V8 keeps an object
    // written by named stores in fast mode, where stores through a variable key turn one with more
    // than a dozen properties into a dictionary, slower to fill and to list for the encoder.
    // a JSON-safe result (Transform.jsonSafe) is what a coercion that keeps it returns: no call
    const skip =
      r.transforms.length > 0 && r.transforms[r.transforms.length - 1].jsonSafe === true && keepsJsonSafe(r.coerce);
    // protobuf, a key several rows set: the row's value goes to y<k>, written where its key goes (below)
    const store =
      proto && same[k] !== undefined ? `y${k} = v;` : proto ? `A(a, b${k}, v);` : `a[${JSON.stringify(r.key)}] = v;`;
    code += r.template ? `R(a, k${k}, c${k}, v);` : `${skip ? '' : `v = c${k}(v); `}if (v !== undefined) ${store}`;
    rowCode[k] = `// row ${k}\n  ${code}${close}`;
  }
  for (let k = 0; k < rows.length; k++) {
    const list = same[k];
    if (list === undefined) {
      body.push(rowCode[k]);
      continue;
    }
    // As an object: the key is placed by the first of its rows with a value and holds the last
    // one's value. Every row of the key runs at the first one's place (rows only read the input).
    const first = list[0];
    if (k === first) {
      for (const j of list) locals.push(`y${j}`);
      for (const j of list) body.push(rowCode[j]);
      body.push(`f${first} = ${lastDefined(list)};`);
      locals.push(`f${first}`);
    }
    const earlier = list
      .slice(0, list.indexOf(k))
      .map((j) => `y${j} === undefined && `)
      .join('');
    body.push(`if (${earlier}y${k} !== undefined) A(a, b${first}, f${first});`);
  }
  const source = `${prologue.join('\n')}
return function otelAttributes(i, a) {
  let ${locals.join(', ')};
  ${body.join('\n  ')}
};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function('G', 'W', 'T', 'C', 'K', 'P', 'R', 'U', 'B', 'A', source) as (
    ...a: unknown[]
  ) => OtelAttributesWriter;
  return factory(G, W, T, C, K, present, templateSet, NOT_YET, B, writeAttribute);
}
