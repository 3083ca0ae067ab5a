// ECS documents written straight to JSON text, byte for byte what JSON.stringify(toEcs(ev).doc) gives,
// without building the nested document. One function per (event group, kind) is generated from its
// row list: rows run in table order into local slots (the last row for a field wins), then members
// are concatenated from a compile-time tree of the target paths, with precomputed `"key":` texts.
//
// Key order: an object lists a key where the first value under it was written, so it depends on
// which rows produced a value. Members go in the tree's order (first row naming them); where a later
// row can open a key before an earlier one, the writer checks the actual first-write rows and sorts.
//
// The generated source holds slot numbers, indexes and the input paths rows read (as JSON string
// literals: valid JavaScript string literals whatever a key holds); output keys, getters that are no
// plain property walk, transforms and constant values are passed in arrays, never as text.

import type { EcsKind, EcsRecord } from '../model/records.ts';
import type { MapInput } from './input.ts';
import type { Coerce, EcsJsonKind } from './coerce.ts';
import { jsonText, needsEscape, quote } from './json-text.ts';
import { type Getter, present } from './paths.ts';
import type { Transform } from './transforms/index.ts';

/** One row of a group, in write order; `kind`: what its coercion returns. */
export type JsonPlanRow =
  | { segs: string[]; kind: EcsJsonKind; constant: true; value: unknown } // always written with this (coerced) value
  | {
      segs: string[];
      kind: EcsJsonKind;
      constant: false;
      get: Getter;
      when?: Getter;
      transforms: Transform[];
      coerce: Coerce;
      jsonLast: boolean;
      /** A collect row: its value is the list of these fields' values as written by the rows before it. */
      collect?: string[][];
      /**
       * What the row reads and runs, as keys: rows whose `source` keys are equal read the same value,
       * and rows whose `source` and first k `transforms` keys are equal get the same value after k
       * transforms (transforms are functions of the value and the input). The writer computes such a
       * shared value once per event. Without keys nothing is shared.
       */
      keys?: RowKeys;
    };

/**
 * A row's source, `when` and transforms as keys (equal keys, equal values), and where its getters are
 * plain property walks, the same reads as JavaScript expressions over the input `i` (paths.ts
 * pathExpression), written into the generated code in place of a getter call.
 */
export interface RowKeys {
  source: string;
  when?: string;
  transforms: string[];
  read?: string;
  readWhen?: string;
}

/** Writes one event's document as JSON; `out.id` gets the raw `event.id` value (or undefined). */
export type EcsJsonWriter = (input: MapInput, out: { id: unknown }) => string;

interface Leaf {
  leaf: true;
  key: string;
  slot: number;
  rows: number[];
  jsonRows: boolean;
  kind?: EcsJsonKind;
}
interface Obj {
  leaf: false;
  key: string;
  slot: number;
  children: Array<Leaf | Obj>;
  byKey: Map<string, Leaf | Obj>;
}

/** present(v) (paths.ts) written inline: only an object needs the call. */
const PV = `if (v !== undefined && v !== null && v !== '' && (typeof v !== 'object' || P(v))) { `;
/** A shared value not computed yet for this event (see `cached`). */
const NOT_YET = Symbol('not computed yet');
const INDEX_LIKE = /^(?:0|[1-9]\d*)$/;
const NO_STAMP = 1e9;

/** undefined when a key would not keep its place in a JS object (array-index-like or __proto__). */
export function compileEcsJsonWriter(rows: readonly JsonPlanRow[]): EcsJsonWriter | undefined {
  const root: Obj = { leaf: false, key: '', slot: 0, children: [], byKey: new Map() };
  let slots = 1;
  const leafOf: Leaf[] = [];
  for (let k = 0; k < rows.length; k++) {
    const segs = rows[k].segs;
    if (segs.some((s) => INDEX_LIKE.test(s) || s === '__proto__')) return undefined;
    let o = root;
    for (let d = 0; d < segs.length - 1; d++) {
      let next = o.byKey.get(segs[d]);
      if (next === undefined) {
        next = { leaf: false, key: segs[d], slot: slots++, children: [], byKey: new Map() };
        o.children.push(next);
        o.byKey.set(segs[d], next);
      }
      if (next.leaf) return undefined; // cannot happen: prefix conflicts are rejected when compiling
      o = next;
    }
    const last = segs[segs.length - 1];
    let leaf = o.byKey.get(last);
    if (leaf === undefined) {
      leaf = { leaf: true, key: last, slot: slots++, rows: [], jsonRows: false };
      o.children.push(leaf);
      o.byKey.set(last, leaf);
    }
    if (!leaf.leaf) return undefined;
    leaf.rows.push(k);
    const r = rows[k];
    leaf.kind = leaf.kind === undefined || leaf.kind === r.kind ? r.kind : 'any';
    if (!r.constant && r.jsonLast) leaf.jsonRows = true;
    leafOf[k] = leaf;
  }
  return generate(rows, root, leafOf);
}

function generate(rows: readonly JsonPlanRow[], root: Obj, leafOf: Leaf[]): EcsJsonWriter {
  const K: unknown[] = []; // constants: key texts, constant values
  const constant = (v: unknown) => {
    K.push(v);
    return `K[${K.length - 1}]`;
  };
  const G: Getter[] = [],
    W: Array<Getter | undefined> = [],
    T: Transform[][] = [],
    C: Coerce[] = [];
  const prologue: string[] = [];
  const locals: string[] = ['v', 'x'];
  const body: string[] = [];

  // A leaf written once by a constant row is fixed text; everything else lives in slots at run time.
  const fixed = (l: Leaf) => l.rows.length === 1 && rows[l.rows[0]].constant;
  const walkLeaves = (o: Obj, f: (l: Leaf) => void) => {
    for (const c of o.children) c.leaf ? f(c) : walkLeaves(c, f);
  };
  walkLeaves(root, (l) => {
    if (fixed(l)) return;
    locals.push(`s${l.slot}`);
    if (l.rows.length > 1) locals.push(`f${l.slot} = 0`);
    if (l.jsonRows) locals.push(`x${l.slot} = false`);
  });

  // A field's value as the rows before a collect row left it: its slot, its constant text's value, or
  // undefined (no row of this plan writes it; a JSON-text value is not a value)
  const fieldValue = (segs: string[]): string => {
    let n: Leaf | Obj | undefined = root;
    for (const seg of segs) n = n === undefined || n.leaf ? undefined : n.byKey.get(seg);
    if (n === undefined || !n.leaf) return 'undefined';
    if (fixed(n)) return constant((rows[n.rows[0]] as { value: unknown }).value);
    return n.jsonRows ? `(x${n.slot} ? undefined : s${n.slot})` : `s${n.slot}`;
  };

  // --- values several rows share (the same source, the same transforms on it): once per event ---
  // A shared value lives in local q<n>, U until first computed: rows run under conditions, so the
  // first row to need it computes it.
  const uses = new Map<string, number>();
  const use = (key: string) => uses.set(key, (uses.get(key) ?? 0) + 1);
  const chainKeys = (r: JsonPlanRow & { constant: false }): string[] => {
    const ks = r.keys!;
    const out = [`s${JSON.stringify(ks.source)}`];
    const n = r.jsonLast ? ks.transforms.length - 1 : ks.transforms.length;
    for (let t = 0; t < n; t++) out.push(`${out[t]}|${JSON.stringify(ks.transforms[t])}`);
    return out;
  };
  for (const r of rows) {
    if (r.constant || r.keys === undefined || r.collect !== undefined) continue;
    if (r.keys.when !== undefined) use(`s${JSON.stringify(r.keys.when)}`);
    for (const key of chainKeys(r)) use(key);
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

  // --- rows, in write order ---
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    const l = leafOf[k];
    if (fixed(l)) continue;
    const store = (value: string, isJson: boolean) =>
      (l.rows.length > 1 ? `if (s${l.slot} === undefined) f${l.slot} = ${k}; ` : '') +
      `s${l.slot} = ${value};` +
      (l.jsonRows ? ` x${l.slot} = ${isJson};` : '');
    if (r.constant) {
      body.push(store(constant(r.value), false));
      continue;
    }
    G[k] = r.get;
    W[k] = r.when;
    T[k] = r.transforms;
    C[k] = r.coerce;
    const ck = r.keys !== undefined && r.collect === undefined ? chainKeys(r) : undefined;
    const read =
      r.collect === undefined
        ? cached(ck?.[0], r.keys?.read ?? `g${k}(i)`)
        : `[${r.collect.map(fieldValue).join(', ')}]`;
    prologue.push(`const g${k} = G[${k}], c${k} = C[${k}]${r.when ? `, w${k} = W[${k}]` : ''};`);
    const n = r.jsonLast ? r.transforms.length - 1 : r.transforms.length;
    for (let t = 0; t < n; t++) prologue.push(`const t${k}_${t} = T[${k}][${t}];`);
    if (r.jsonLast) prologue.push(`const j${k} = T[${k}][${n}].json;`);
    let code = '';
    let close = '';
    const whenKey = r.keys?.when === undefined ? undefined : `s${JSON.stringify(r.keys.when)}`;
    if (r.when) {
      code += `if (P(${cached(whenKey, r.keys?.readWhen ?? `w${k}(i)`)})) { `;
      close += ' }';
    }
    code += `v = ${read}; ${PV}`;
    close += ' }';
    for (let t = 0; t < n; t++) {
      code += `v = ${cached(ck?.[t + 1], `t${k}_${t}(v, i)`)}; ${PV}`;
      close += ' }';
    }
    // the coercion of a string field returns a string as it is, that of an integer field an integer
    // number: only other values need the call
    const coerce =
      r.kind === 'string'
        ? `typeof v === 'string' ? v : c${k}(v)`
        : r.kind === 'integer'
          ? `typeof v === 'number' && Number.isInteger(v) ? v : c${k}(v)`
          : `c${k}(v)`;
    code += r.jsonLast
      ? `v = j${k}(v, i); if (v !== undefined) { ${store('v', true)} }`
      : `v = ${coerce}; if (v !== undefined) { ${store('v', false)} }`;
    body.push(`// row ${k}\n  ${code}${close}`);
  }

  // --- members, from the leaves up. lo/hi bound the first-write row of a subtree when present. ---
  const lo = new Map<Leaf | Obj, number>(),
    hi = new Map<Leaf | Obj, number>();
  const bounds = (n: Leaf | Obj): void => {
    const rs: number[] = [];
    const consts: number[] = [];
    const collect = (x: Leaf | Obj) => {
      if (x.leaf) {
        for (const k of x.rows) {
          rs.push(k);
          if (rows[k].constant) consts.push(k);
        }
      } else x.children.forEach(collect);
    };
    collect(n);
    lo.set(n, Math.min(...rs));
    hi.set(n, consts.length > 0 ? Math.min(...consts) : Math.max(...rs));
    if (!n.leaf) n.children.forEach(bounds);
  };
  bounds(root);

  // A subtree written only by constant rows is constant text (e.g. observer, agent, host).
  const fixedText = new Map<Leaf | Obj, string | undefined>();
  const fixedOf = (n: Leaf | Obj): string | undefined => {
    if (fixedText.has(n)) return fixedText.get(n);
    let text: string | undefined;
    if (n.leaf) text = fixed(n) ? jsonText((rows[n.rows[0]] as { value: unknown }).value) : undefined;
    else {
      const parts = n.children.map((c) => {
        const t = fixedOf(c);
        return t === undefined ? undefined : `${quote(c.key)}:${t}`;
      });
      text = parts.every((t) => t !== undefined) ? `{${parts.join(',')}}` : undefined;
    }
    fixedText.set(n, text);
    return text;
  };

  // Members of object `o` into local o<slot> (without braces), and when the parent needs it, the
  // first-write row of the subtree into n<slot>. Consecutive constant members are one text.
  const emit = (o: Obj, needStamp: boolean): void => {
    let maxHi = -1;
    let check = false;
    for (const c of o.children) {
      if (maxHi > lo.get(c)!) check = true;
      maxHi = Math.max(maxHi, hi.get(c)!);
    }
    for (const c of o.children) if (!c.leaf && fixedOf(c) === undefined) emit(c, check || needStamp);
    const s = `o${o.slot}`,
      m = `n${o.slot}`;
    locals.push(`${s} = ''`);
    if (needStamp) locals.push(`${m} = ${NO_STAMP}`);
    if (check) locals.push(`l${o.slot} = -1`, `ok${o.slot} = true`);
    // member(k, head): the member's text expression, given its `"key":` text and the constant holding it
    interface Piece {
      pres: string;
      stamp: string;
      key: string;
      text?: string;
      open?: boolean;
      member?: (k: string, head: string) => string;
    }
    const pieces: Piece[] = [];
    for (const c of o.children) {
      const text = fixedOf(c);
      if (text !== undefined) {
        const prev = pieces.at(-1);
        const member = `${quote(c.key)}:${text}`;
        if (!check && prev?.text !== undefined) {
          prev.text += `,${member}`;
          continue;
        }
        pieces.push({ pres: 'true', stamp: `${lo.get(c)}`, key: c.key, text: member });
      } else if (c.leaf) {
        const v = `s${c.slot}`;
        const stamp = c.rows.length > 1 ? `f${c.slot}` : `${c.rows[0]}`;
        let member: (k: string, head: string) => string;
        // the coercion's result type is known: write it without a type switch. A string without
        // escapes goes between quotes that are part of the key text (fewer pieces to join).
        if (c.kind === 'string' && !c.jsonRows)
          member = (k, head) => `(N(${v}) ? ${k} + J(${v}) : ${constant(`${head}"`)} + ${v} + '"')`;
        else {
          const text =
            c.kind === 'integer'
              ? `(typeof ${v} === 'number' ? '' + ${v} : Q(${v}))`
              : c.kind === 'float'
                ? `('' + ${v})`
                : c.kind === 'boolean'
                  ? `(${v} ? 'true' : 'false')`
                  : `E(${v})`;
          member = (k) => `${k} + ${c.jsonRows ? `(x${c.slot} ? ${v} : ${text})` : text}`;
        }
        pieces.push({ pres: `s${c.slot} !== undefined`, stamp, key: c.key, member });
      } else {
        pieces.push({
          pres: `o${c.slot} !== ''`,
          stamp: `n${c.slot}`,
          key: c.key,
          open: true,
          member: (k) => `${k} + o${c.slot} + '}'`,
        });
      }
    }
    let nonEmpty = false; // o<slot> surely holds a member already
    let first = true; // o<slot> is surely still empty
    const slow: string[] = [];
    for (const p of pieces) {
      const head = p.text ?? `${quote(p.key)}:${p.open ? '{' : ''}`;
      const k0 = constant(head),
        k1 = constant(`,${head}`);
      const m0 = p.member ? p.member(k0, head) : k0,
        m1 = p.member ? p.member(k1, `,${head}`) : k1;
      // `o + (member)`: a short member is one flat string, so the result has fewer rope nodes
      // to flatten when it is written
      const append = nonEmpty
        ? `${s} = ${s} + (${m1});`
        : first
          ? `${s} = ${m0};`
          : `${s} = ${s} === '' ? ${m0} : ${s} + (${m1});`;
      first = false;
      const order = check ? `if (${p.stamp} < l${o.slot}) ok${o.slot} = false; l${o.slot} = ${p.stamp}; ` : '';
      const stamp = needStamp ? `if (${p.stamp} < ${m}) ${m} = ${p.stamp}; ` : '';
      body.push(p.pres === 'true' ? `${order}${stamp}${append}` : `if (${p.pres}) { ${order}${stamp}${append} }`);
      if (p.pres === 'true') nonEmpty = true;
      slow.push(`${p.stamp}, ${p.pres} ? ${m0} : undefined`);
    }
    if (check) body.push(`if (!ok${o.slot}) ${s} = S([${slow.join(', ')}]);`);
  };
  const rootText = fixedOf(root);
  if (rootText === undefined) emit(root, false);

  const idLeaf = root.byKey.get('event');
  const id = idLeaf && !idLeaf.leaf ? idLeaf.byKey.get('id') : undefined;
  let idExpr = 'undefined';
  if (id?.leaf) {
    if (fixed(id)) idExpr = constant((rows[id.rows[0]] as { value: unknown }).value);
    else idExpr = id.jsonRows ? `(x${id.slot} ? undefined : s${id.slot})` : `s${id.slot}`;
  }

  const source = `${prologue.join('\n')}
return function ecsJson(i, out) {
  let ${locals.join(', ')};
  ${body.join('\n  ')}
  out.id = ${idExpr};
  return ${rootText === undefined ? `'{' + o0 + '}'` : 'K[' + (K.push(rootText) - 1) + ']'};
};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function('G', 'W', 'T', 'C', 'K', 'P', 'E', 'Q', 'N', 'J', 'S', 'U', source) as (
    ...a: unknown[]
  ) => EcsJsonWriter;
  return factory(G, W, T, C, K, present, jsonText, quote, needsEscape, JSON.stringify, sortMembers, NOT_YET);
}

/** [stamp, member, stamp, member…] → the present members in first-write order, comma-joined. */
function sortMembers(pairs: Array<number | string | undefined>): string {
  const list: Array<[number, string]> = [];
  for (let k = 0; k < pairs.length; k += 2)
    if (pairs[k + 1] !== undefined) list.push([pairs[k] as number, pairs[k + 1] as string]);
  list.sort((a, b) => a[0] - b[0]);
  return list.map((x) => x[1]).join(',');
}

/** An ECS record whose document was written as JSON text; `doc` is parsed from it when first read. */
export class EcsJsonRecord implements EcsRecord {
  readonly id: string;
  readonly kind: EcsKind;
  readonly json: string;
  #doc: Record<string, unknown> | undefined;
  constructor(id: string, kind: EcsKind, json: string) {
    this.id = id;
    this.kind = kind;
    this.json = json;
  }
  get doc(): Record<string, unknown> {
    return (this.#doc ??= JSON.parse(this.json) as Record<string, unknown>);
  }
  /** Serialized (dead letter, logs) as the plain record: {id, kind, doc}. */
  toJSON(): { id: string; kind: EcsKind; doc: Record<string, unknown> } {
    return { id: this.id, kind: this.kind, doc: this.doc };
  }
}
