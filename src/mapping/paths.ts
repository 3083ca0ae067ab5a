// Source paths of mapping rows → getter functions, compiled once per row.
// Roots: node, signature, kind, observed, event (the whole event); `data.<arg>[.sub…]` finds an
// event argument by name, `detected_from.data.<arg>[.sub…]` an argument of the event that
// triggered a detection; anything else is a path into the normalized event.

import type { DataField } from '../model/event.ts';
import type { MapInput } from './input.ts';

export type Getter = (input: MapInput) => unknown;

/**
 * Walk own properties only (input JSON may carry keys like "__proto__" or "constructor"). Only the
 * paths generatedWalk cannot take come here: node and signature paths, odd keys.
 */
function walk(v: unknown, segs: readonly string[], from: number): unknown {
  let cur = v;
  for (let i = from; i < segs.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const s = segs[i];
    if (Array.isArray(cur)) {
      const idx = Number(s);
      cur = Number.isInteger(idx) ? cur[idx] : undefined;
    } else {
      cur = Object.hasOwn(cur, s) ? (cur as Record<string, unknown>)[s] : undefined;
    }
  }
  return cur;
}

const plainKey = (s: string) => s !== '__proto__' && !(s in Object.prototype) && !(s in Array.prototype);
/** An array read of `s` gives walk's cur[Number(s)]: s is no integer, or the integer's own text. */
const readsLikeWalk = (s: string) => {
  const n = Number(s);
  return !Number.isInteger(n) || String(n) === s;
};

/**
 * walk for one fixed path of plain keys (no prototype has them: no own-property check needed), as
 * a generated function with one property read per segment written out (`x["process"]`): each read then has its own inline cache, where the shared walk's
 * one read site sees every key and object shape of every row (megamorphic, several times slower).
 * Only for plain keys whose read from an array is walk's: not integers (" 1", "1e0" and "" are,
 * for Number) or integers in canonical form ("0"); undefined otherwise.
 */
function generatedWalk(segs: readonly string[], from: number): ((v: unknown) => unknown) | undefined {
  let code = 'let x = v;';
  for (let k = from; k < segs.length; k++) {
    const s = segs[k];
    if (!plainKey(s) || !readsLikeWalk(s)) return undefined;
    code += ` if (x === null || typeof x !== 'object') return undefined; x = x[${JSON.stringify(s)}];`;
  }
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('v', `${code} return x;`) as (v: unknown) => unknown;
}

/**
 * compilePath's getter as a JavaScript expression over the mapping input `i`, for code generated per
 * event group (each group's code then has its own inline caches for the event's objects, where one
 * shared getter sees the objects of every group and shape). `x` names a local the expression may
 * overwrite. Keys are JSON string literals. undefined where the getter is not a plain property walk
 * (arguments, node, signature, odd keys): call the getter then.
 */
export function pathExpression(path: string, x: string): string | undefined {
  const segs = path.split('.');
  const root = segs[0];
  const step = (s: string) =>
    `${x} = ${x} === null || typeof ${x} !== 'object' ? undefined : ${x}[${JSON.stringify(s)}]`;
  const walkFrom = (start: string, from: number): string | undefined => {
    const steps: string[] = [];
    for (let k = from; k < segs.length; k++) {
      if (!plainKey(segs[k]) || !readsLikeWalk(segs[k])) return undefined;
      steps.push(step(segs[k]));
    }
    return `(${x} = ${start}, ${steps.join(', ')}, ${x})`;
  };
  switch (root) {
    case 'event':
      return segs.length === 1 ? 'i.event' : walkFrom('i.event', 1);
    case 'kind':
      return segs.length === 1 ? 'i.kind' : undefined;
    case 'observed':
      return segs.length === 1 ? 'i.observed' : undefined;
    case 'node':
    case 'signature':
    case 'data':
    case 'detected_from':
      return undefined;
    default: {
      if (segs.length === 1) return `i.event[${JSON.stringify(root)}]`;
      if (segs.length === 2) {
        if (!plainKey(segs[1])) return undefined;
        return `(${x} = i.event[${JSON.stringify(root)}], ${x} !== null && typeof ${x} === 'object' ? ${x}[${JSON.stringify(segs[1])}] : undefined)`;
      }
      return walkFrom('i.event', 0);
    }
  }
}

/** compileSources's getter as an expression (pathExpression), for one path only. */
export function sourcesExpression(from: string | string[], x: string): string | undefined {
  const list = Array.isArray(from) ? from : [from];
  return list.length === 1 ? pathExpression(list[0], x) : undefined;
}

/** What dataGetter returns when the event has no argument of that name. */
const NO_ARG = Symbol('no argument');

/** Where a `data.` path reads its arguments: the event's own, or (detected_from.data.) its triggering event's. */
type ArgsOf = (i: MapInput) => readonly DataField[] | undefined;
const eventArgs: ArgsOf = (i) => i.event.data;
const triggerArgs: ArgsOf = (i) => i.event.detected_from?.data;

/** The argument `name`, then segs[from…] inside its value; `missing` when no argument has the name. */
function dataGetter(
  name: string,
  segs: readonly string[],
  from: number,
  missing: unknown,
  argsOf: ArgsOf = eventArgs,
): Getter {
  const sub =
    from === segs.length ? (v: unknown) => v : (generatedWalk(segs, from) ?? ((v: unknown) => walk(v, segs, from)));
  return (i) => {
    const data = argsOf(i);
    if (data === undefined) return missing;
    for (let k = 0; k < data.length; k++) {
      if (data[k].name === name) return sub(data[k].value);
    }
    return missing;
  };
}

/** segs[at] on names an argument (then sub-fields) of the list argsOf gives. */
function argumentGetter(segs: readonly string[], at: number, argsOf: ArgsOf): Getter {
  if (segs.length === at + 1) return dataGetter(segs[at], segs, at + 1, undefined, argsOf);
  // Some arguments have dotted names (process_execute_failed's `binary.path`): the longest
  // argument name the path spells wins, then shorter ones with the rest as sub-fields.
  const alternatives: Getter[] = [];
  for (let j = segs.length; j > at; j--)
    alternatives.push(dataGetter(segs.slice(at, j).join('.'), segs, j, NO_ARG, argsOf));
  return (i) => {
    for (let k = 0; k < alternatives.length; k++) {
      const v = alternatives[k](i);
      if (v !== NO_ARG) return v;
    }
    return undefined;
  };
}

export function compilePath(path: string): Getter {
  const segs = path.split('.');
  const root = segs[0];
  switch (root) {
    case 'event': {
      if (segs.length === 1) return (i) => i.event;
      const fast = generatedWalk(segs, 1);
      return fast ? (i) => fast(i.event) : (i) => walk(i.event, segs, 1);
    }
    case 'kind':
      return (i) => i.kind;
    case 'observed':
      return (i) => i.observed;
    case 'node':
      return (i) => walk(i.node, segs, 1);
    case 'signature':
      return segs.length === 1 ? (i) => i.signature : (i) => walk(i.signature, segs, 1);
    case 'data': {
      if (segs.length === 1) return (i) => i.event.data;
      return argumentGetter(segs, 1, eventArgs);
    }
    case 'detected_from': {
      // detected_from.data.<arg>: an argument of the event that triggered a detection, by name
      if (segs.length > 2 && segs[1] === 'data') return argumentGetter(segs, 2, triggerArgs);
      const fast = generatedWalk(segs, 0);
      return fast ? (i) => fast(i.event) : (i) => walk(i.event, segs, 0);
    }
    default: {
      if (segs.length === 1) return (i) => (i.event as unknown as Record<string, unknown>)[root];
      if (segs.length === 2) {
        const b = segs[1];
        if (plainKey(b)) {
          return (i) => {
            const a = (i.event as unknown as Record<string, unknown>)[root];
            return a !== null && typeof a === 'object' ? (a as Record<string, unknown>)[b] : undefined;
          };
        }
        return (i) => {
          const a = (i.event as unknown as Record<string, unknown>)[root];
          return a !== null && typeof a === 'object' && Object.hasOwn(a, b)
            ? (a as Record<string, unknown>)[b]
            : undefined;
        };
      }
      const fast = generatedWalk(segs, 0);
      return fast ? (i) => fast(i.event) : (i) => walk(i.event, segs, 0);
    }
  }
}

/** A value worth writing: not missing, not empty text, not an empty list or object. */
export function present(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (typeof v === 'object') {
    if (Array.isArray(v)) return v.length > 0;
    for (const k in v) if (Object.hasOwn(v, k)) return true;
    return false;
  }
  return true;
}

/** Alternatives: the first present value wins. */
export function compileSources(from: string | string[]): Getter {
  const list = (Array.isArray(from) ? from : [from]).map(compilePath);
  if (list.length === 1) return list[0];
  return (i) => {
    for (let k = 0; k < list.length; k++) {
      const v = list[k](i);
      if (present(v)) return v;
    }
    return undefined;
  };
}
