// JSON text of single values, written exactly as JSON.stringify would write them inside a document
// (the ECS JSON writer concatenates these instead of building objects and stringifying them).

import { toJsonSafe } from './json-safe.ts';

// Characters JSON.stringify escapes: '"', '\', controls, and lone surrogates (checked: any surrogate).
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Does JSON.stringify(s) escape anything in s (else it is s between quotes)? */
export function needsEscape(s: string): boolean {
  return NEEDS_ESCAPE.test(s);
}

/** A string as JSON: plain concatenation unless escaping is needed (JSON.stringify is slow per call). */
export function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/**
 * Any value headed for a JSON document, as its text: bigint becomes a decimal string as toJsonSafe
 * does. Returns undefined where JSON.stringify would leave the member out (undefined, functions).
 */
export function jsonText(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return quote(v);
    case 'number':
      return Number.isFinite(v) ? `${v}` : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return `"${v}"`;
    case 'object':
      return v === null ? 'null' : objectText(v);
    default:
      return undefined;
  }
}

function objectText(v: object): string {
  try {
    // Values rarely hold a bigint: try the plain (native, fast) stringify before copying.
    return JSON.stringify(v);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return JSON.stringify(toJsonSafe(v));
  }
}
