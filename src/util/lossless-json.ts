// Lossless JSON decoding: integers beyond 2^53 (ns timestamps, inodes, cgroup ids, kernel
// addresses) come back as bigint instead of being silently rounded by JSON.parse.
//
// Fast path: find digit runs of 16+ characters that are number tokens outside string literals,
// rewrite each as a marked string, JSON.parse; the reader turns marked strings back into bigint
// where it reads them. Lines containing the marker character take the slow (but exact) path:
// JSON.parse with a reviver that reads each number's source text.

const MARK = '\u0001';
const MARK_CODE = 1;

/** Where nextBigCandidate's token ends (exclusive). */
let candidateEnd = 0;

const isDigit = (c: number) => c >= 48 && c <= 57;
/** '.', 'e', 'E', '+', '-' or a digit: a digit run after one of these is part of a number already. */
const inNumber = (c: number) => isDigit(c) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45;

/**
 * The next number token of 16+ digits at or after `from`, i.e. what
 * /(?<![\d.eE+-])-?\d{16,}(?![.eE\d])/ matches: its start (at the '-' of a negative number) or
 * -1; its end goes to candidateEnd. Any run of 16 digits holds one of every 16th characters, so
 * only those are probed (a regex visits every position: 3-5x slower on event lines).
 */
function nextBigCandidate(text: string, from: number): number {
  const n = text.length;
  for (let i = from + 15; i < n; ) {
    if (!isDigit(text.charCodeAt(i))) {
      i += 16;
      continue;
    }
    let s = i;
    while (s > from && isDigit(text.charCodeAt(s - 1))) s--;
    let e = i + 1;
    while (e < n && isDigit(text.charCodeAt(e))) e++;
    i = e + 16;
    if (e - s < 16) continue;
    const after = text.charCodeAt(e); // NaN at the end
    if (after === 46 || after === 101 || after === 69) continue; // a fraction or exponent follows
    let start = s;
    if (s > 0) {
      const before = text.charCodeAt(s - 1);
      if (before === 45) {
        if (s > 1 && inNumber(text.charCodeAt(s - 2))) continue;
        start = s - 1;
      } else if (inNumber(before)) continue;
    }
    candidateEnd = e;
    return start;
  }
  return -1;
}

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
  const p = nextBigCandidate(text, 0);
  if (p < 0) return { value: JSON.parse(text), bigCount: 0, marked: false };
  const bigs = bigIntegers(text, p);
  if (bigs.length === 0) return { value: JSON.parse(text), bigCount: 0, marked: false };
  return parseTopLevelBigs(text, bigs) ?? parseMarked(text, bigs);
}

/** A number token beyond 2^53: [start, end) in the text, and its digits. */
interface BigToken {
  start: number;
  end: number;
  digits: string;
}

/** The number tokens beyond 2^53 outside string literals, from the candidate at `first` on. */
function bigIntegers(text: string, first: number): BigToken[] {
  const out: BigToken[] = [];
  let inString = false;
  let cursor = 0;
  for (let p = first; p >= 0; ) {
    inString = inStringAt(text, cursor, p, inString);
    cursor = p;
    const end = candidateEnd;
    const digits = text.slice(p, end);
    if (!inString && beyondSafe(digits)) out.push({ start: p, end, digits });
    p = nextBigCandidate(text, end);
  }
  return out;
}

/**
 * Is a number token of 16+ digits (nextBigCandidate's) an integer beyond 2^53 - 1 in magnitude?
 * Told by its length (Number() of 19 digits costs more than the rest of the scan); a leading zero,
 * which JSON does not allow, is left to Number() as before.
 */
function beyondSafe(digits: string): boolean {
  const first = digits.charCodeAt(0) === 45 ? 1 : 0;
  const n = digits.length - first;
  if (digits.charCodeAt(first) === 48) return !Number.isSafeInteger(Number(digits));
  if (n !== 16) return n > 16;
  return (first === 0 ? digits : digits.slice(1)) > MAX_SAFE_DIGITS;
}
const MAX_SAFE_DIGITS = String(Number.MAX_SAFE_INTEGER);

/**
 * Is position `to` inside a string literal, given the state at `from` (both outside an escape)?
 * Only the '"' between them are visited.
 */
function inStringAt(text: string, from: number, to: number, inString: boolean): boolean {
  for (let cursor = from; ; ) {
    const q = text.indexOf('"', cursor);
    if (q < 0 || q >= to) return inString;
    if (inString) {
      let backslashes = 0;
      for (let j = q - 1; text.charCodeAt(j) === 92; j--) backslashes++;
      if ((backslashes & 1) === 0) inString = false;
    } else {
      inString = true;
    }
    cursor = q + 1;
  }
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/**
 * The key of the member whose value starts at `p`, when it is a plain key (`"name":` with no
 * backslash in it, not "__proto__"); undefined otherwise.
 */
function plainKeyBefore(text: string, p: number): string | undefined {
  let j = p - 1;
  while (j > 0 && isSpace(text.charCodeAt(j))) j--;
  if (text.charCodeAt(j) !== 58) return undefined; // ':'
  j--;
  while (j > 0 && isSpace(text.charCodeAt(j))) j--;
  if (text.charCodeAt(j) !== 34) return undefined;
  const open = text.lastIndexOf('"', j - 1);
  if (open < 1 || text.charCodeAt(open - 1) === 92) return undefined;
  const key = text.slice(open + 1, j);
  return key.includes('\\') || key === '__proto__' ? undefined : keyOf(key);
}

/**
 * The keys of big top-level members seen last, as property keys (internalized strings): a store
 * under a key sliced from the text makes V8 look the string up in its string table first, per event.
 */
const recentKeys: string[] = [];
function keyOf(sliced: string): string {
  for (let k = 0; k < recentKeys.length; k++) if (recentKeys[k] === sliced) return recentKeys[k];
  const key = Object.keys({ [sliced]: 0 })[0];
  if (recentKeys.length < 8) recentKeys.push(key);
  return key;
}

/**
 * The common case, without copying the text: every big integer is the value of a member of the
 * top-level object written before its first nested '{' or '[' (the classic event's `timestamp`
 * and `threadStartTime`). JSON.parse reads the text as it is, then those members get their exact
 * value. undefined (use parseMarked) when any big integer is elsewhere, or a key repeats with
 * another value (JSON.parse keeps the last one).
 */
function parseTopLevelBigs(text: string, bigs: readonly BigToken[]): LosslessParse | undefined {
  if (text.charCodeAt(0) !== 123) return undefined;
  let nested = text.indexOf('{', 1);
  const bracket = text.indexOf('[');
  if (nested < 0 || (bracket >= 0 && bracket < nested)) nested = bracket;
  const keys: string[] = [];
  for (const b of bigs) {
    if (nested >= 0 && b.start > nested) return undefined;
    const key = plainKeyBefore(text, b.start);
    if (key === undefined) return undefined;
    keys.push(key);
  }
  const value = JSON.parse(text) as Record<string, unknown>;
  for (let k = 0; k < keys.length; k++) if (value[keys[k]] !== Number(bigs[k].digits)) return undefined;
  for (let k = 0; k < keys.length; k++) value[keys[k]] = BigInt(bigs[k].digits);
  return { value, bigCount: keys.length, marked: false };
}

/** Every big integer rewritten as a marked string, then JSON.parse (see LosslessParse.marked). */
function parseMarked(text: string, bigs: readonly BigToken[]): LosslessParse {
  if (text.includes(MARK) || text.includes('\\u0001')) return parseWithReviver(text);
  let out = '';
  let last = 0;
  for (const b of bigs) {
    out += text.slice(last, b.start) + '"\\u0001' + b.digits + '"';
    last = b.end;
  }
  return { value: JSON.parse(out + text.slice(last)), bigCount: bigs.length, marked: true };
}

function parseWithReviver(text: string): LosslessParse {
  let bigCount = 0;
  const value = JSON.parse(text, (_key, v, ctx?: { source?: string }) => {
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
  constructor(s: string) {
    this.s = s;
  }
}

function unwrapLiterals(v: unknown): unknown {
  if (v instanceof LiteralString) return v.s;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = unwrapLiterals(v[i]);
    return v;
  }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k in o) if (Object.hasOwn(o, k)) o[k] = unwrapLiterals(o[k]);
  }
  return v;
}

/** Is v a big integer still marked as a string (fast path)? */
export function isMarkedBig(v: unknown): boolean {
  return typeof v === 'string' && v.charCodeAt(0) === MARK_CODE && v.length > 1;
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
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = reviveBigDeep(v[i]);
    return v;
  }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k in o) if (Object.hasOwn(o, k)) o[k] = reviveBigDeep(o[k]);
  }
  return v;
}
