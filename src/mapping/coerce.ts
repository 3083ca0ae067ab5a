// Make a value fit the target field's type: ECS types from ecs_flat, OTel types from the semconv
// registry; `tracee.*` fields declare theirs. A value that cannot fit is not written.

import { formatRfc3339Ns } from '../util/time.ts';
import { toJsonSafe } from './json-safe.ts';

export type Coerce = (v: unknown) => unknown;

const KEYWORDISH = new Set(['keyword', 'constant_keyword', 'wildcard', 'match_only_text', 'text', 'version']);
const INTEGER = new Set(['long', 'integer', 'short', 'byte', 'unsigned_long']);
const FLOAT = new Set(['float', 'double', 'scaled_float', 'half_float']);

function toText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return undefined;
}

function toInteger(v: unknown): number | string | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'bigint')
    return v >= -(2n ** 63n) && v < 2n ** 63n
      ? Number.isSafeInteger(Number(v))
        ? Number(v)
        : v.toString()
      : undefined;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  if (typeof v === 'boolean') return undefined;
  return undefined;
}

function toFloat(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

function toBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

function toDate(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return formatRfc3339Ns(v);
  return undefined;
}

function scalar(type: string): Coerce {
  if (KEYWORDISH.has(type) || type === 'ip') return toText;
  if (INTEGER.has(type)) return toInteger;
  if (FLOAT.has(type)) return toFloat;
  if (type === 'boolean') return toBool;
  if (type === 'date' || type === 'date_nanos') return toDate;
  return toJsonSafe; // object, flattened, nested, geo_point…
}

function listOf(each: Coerce): Coerce {
  return (v) => {
    const list = Array.isArray(v) ? v : [v];
    const out: unknown[] = [];
    for (const x of list) {
      const y = each(x);
      if (y !== undefined) out.push(y);
    }
    return out.length > 0 ? out : undefined;
  };
}

/** What an ECS coercion returns, for writing it as JSON text without looking at it again. */
export type EcsJsonKind = 'string' | 'integer' | 'float' | 'boolean' | 'any';

export function ecsJsonKind(type: string, array: boolean): EcsJsonKind {
  if (array) return 'any';
  if (KEYWORDISH.has(type) || type === 'ip' || type === 'date' || type === 'date_nanos') return 'string';
  if (INTEGER.has(type)) return 'integer'; // a number, or a decimal string beyond 2^53
  if (FLOAT.has(type)) return 'float'; // a finite number
  if (type === 'boolean') return 'boolean';
  return 'any';
}

/** ECS: `array` means the field is normalized to an array (event.category, threat.*, process.args…). */
export function ecsCoercion(type: string, array: boolean): Coerce {
  const each = scalar(type);
  if (array) return listOf(each);
  if (type === 'object' || type === 'flattened' || type === 'nested') return toJsonSafe;
  // a scalar field fed a list keeps the first element (e.g. resolved values of one kind)
  return (v) => (Array.isArray(v) ? (v.length > 0 ? each(v[0]) : undefined) : each(v));
}

/** OTel semconv types: string, int, double, boolean, string[], int[], enum:…, template[…]. */
export function otelCoercion(type: string | undefined): Coerce {
  if (type === undefined) return otelInfer;
  const t = type.startsWith('enum:') ? 'string' : type.replace(/^template\[(.*)\]$/, '$1');
  switch (t) {
    case 'string':
      return toText;
    case 'int':
      return (v) => {
        const n = toInteger(v);
        return typeof n === 'number' ? n : undefined;
      };
    case 'double':
      return toFloat;
    case 'boolean':
      return toBool;
    case 'string[]':
      return listOf(toText);
    case 'int[]':
      return listOf((v) => {
        const n = toInteger(v);
        return typeof n === 'number' ? n : undefined;
      });
    case 'double[]':
      return listOf(toFloat);
    case 'boolean[]':
      return listOf(toBool);
    default:
      return otelInfer;
  }
}

/**
 * Does coercion `c` return a value that holds no bigint as it is? (otelInfer: a transform whose
 * result is JSON-safe, Transform.jsonSafe, then needs no coercion call.)
 */
export function keepsJsonSafe(c: Coerce): boolean {
  return c === otelInfer;
}

/** tracee.* attributes: keep the value's own type; 64-bit values beyond 2^53 become strings. */
function otelInfer(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  return toJsonSafe(v);
}
