// Lossless JSON decoding: integers beyond 2^53 (ns timestamps, inodes, cgroup ids, kernel
// addresses) come back as bigint instead of being silently rounded by JSON.parse.
//
// Fast path: find digit runs of 16+ characters that are number tokens outside string literals,
// rewrite each as a marked string, JSON.parse; the reader turns marked strings back into bigint
// where it reads them. Lines containing the marker character take the slow (but exact) path:
// JSON.parse with a reviver that reads each number's source text.

const MARK = '\u0001';
const MARK_CODE = 1;
// A number token of 16+ digits: not preceded by a digit, '.', exponent or sign chars, and not
// followed by a fraction or exponent.
const BIG_CANDIDATE = /(?<![\d.eE+-])-?\d{16,}(?![.eE\d])/g;

export interface LosslessParse {
  value: unknown;
  /** How many big integers were found (0 means the plain JSON.parse result was exact). */
  bigCount: number;
  /**
   * True when the big integers are still marked strings inside `value` (fast path): the reader
   * turns the ones it reads into bigint with reviveBig / reviveBigDeep, so that only the parts of
   * the event that hold them are walked. False: `value` is final.
   */
  marked: boolean;
}

/** Parse JSON text; throws SyntaxError (or RangeError on absurd nesting) like JSON.parse. */
export function parseLossless(text: string): LosslessParse {
  BIG_CANDIDATE.lastIndex = 0;
  let m = BIG_CANDIDATE.exec(text);
  if (m === null) return { value: JSON.parse(text), bigCount: 0, marked: false };
  if (text.includes(MARK) || text.includes('\\u0001')) return parseWithReviver(text);

  let out = '';
  let last = 0;
  let bigCount = 0;
  // Quote tracking: is position p inside a string literal? Advance a cursor over '"' only.
  let cursor = 0;
  let inString = false;
  do {
    const p = m.index;
    for (;;) {
      const q = text.indexOf('"', cursor);
      if (q < 0 || q >= p) break;
      if (inString) {
        let backslashes = 0;
        for (let j = q - 1; text.charCodeAt(j) === 92; j--) backslashes++;
        if ((backslashes & 1) === 0) inString = false;
      } else {
        inString = true;
      }
      cursor = q + 1;
    }
    cursor = p;
    const digits = m[0];
    if (!inString && !Number.isSafeInteger(Number(digits))) {
      out += text.slice(last, p) + '"\\u0001' + digits + '"';
      last = p + digits.length;
      bigCount++;
    }
    m = BIG_CANDIDATE.exec(text);
  } while (m !== null);
  if (bigCount === 0) return { value: JSON.parse(text), bigCount: 0, marked: false };
  return { value: JSON.parse(out + text.slice(last)), bigCount, marked: true };
}

function parseWithReviver(text: string): LosslessParse {
  let bigCount = 0;
  const value = JSON.parse(text, function (_key, v, ctx?: { source?: string }) {
    if (typeof v === 'number' && !Number.isSafeInteger(v) && ctx?.source && /^-?\d+$/.test(ctx.source)) {
      bigCount++;
      return BigInt(ctx.source);
    }
    // Tag marker strings from the input so that reviveBig leaves them alone.
    if (typeof v === 'string' && v.charCodeAt(0) === MARK_CODE) return new LiteralString(v);
    return v;
  });
  return { value: unwrapLiterals(value), bigCount, marked: false };
}

/** A genuine input string that begins with the marker character (slow path only). */
class LiteralString {
  readonly s: string;
  constructor(s: string) { this.s = s; }
}

function unwrapLiterals(v: unknown): unknown {
  if (v instanceof LiteralString) return v.s;
  if (Array.isArray(v)) { for (let i = 0; i < v.length; i++) v[i] = unwrapLiterals(v[i]); return v; }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k in o) if (Object.hasOwn(o, k)) o[k] = unwrapLiterals(o[k]);
  }
  return v;
}

/** A marked big integer from the fast path, as bigint; anything else unchanged. */
export function reviveBig(v: unknown): unknown {
  if (typeof v === 'string' && v.charCodeAt(0) === MARK_CODE && v.length > 1) {
    const digits = v.slice(1);
    if (/^-?\d+$/.test(digits)) return BigInt(digits);
  }
  return v;
}

/** reviveBig applied through a whole value (objects and arrays are changed in place). */
export function reviveBigDeep(v: unknown): unknown {
  if (typeof v === 'string') return reviveBig(v);
  if (Array.isArray(v)) { for (let i = 0; i < v.length; i++) v[i] = reviveBigDeep(v[i]); return v; }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k in o) if (Object.hasOwn(o, k)) o[k] = reviveBigDeep(o[k]);
  }
  return v;
}
