// A text written as UTF-8 bytes into one reused buffer, piece by piece, for hashing: what the
// concatenated string would encode to, without the string (event-identity.ts writes the event id's
// key this way: its pieces, their concatenation and the flat copy the hash made of it were ~0.6 KB
// of garbage per event, issue #16). One text is written at a time (no callbacks in between).

let buf = Buffer.allocUnsafe(1024);
let pos = 0;

const U64 = new BigUint64Array(1);
const U32 = new Uint32Array(U64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
/** Decimal digits, most significant last-written first (filled from the end). */
const DIGITS = new Uint8Array(24);
const MAX_U64 = 0xffff_ffff_ffff_ffffn;

/** Start a new text. */
export function startKey(): void {
  pos = 0;
}

/** The bytes written since startKey (a view: valid until the next text). */
export function keyBytes(): Buffer {
  return buf.subarray(0, pos);
}

function room(n: number): void {
  if (pos + n <= buf.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, pos + n));
  buf.copy(bigger, 0, 0, pos);
  buf = bigger;
}

/** One ASCII character. */
export function putChar(c: number): void {
  room(1);
  buf[pos++] = c;
}

/** A string, as UTF-8 (lone surrogates as U+FFFD, as a string's encoding gives them). */
export function putText(s: string): void {
  const n = s.length;
  room(n * 3);
  const start = pos;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) {
      pos = start + buf.write(s, start, 'utf8');
      return;
    }
    buf[pos++] = c;
  }
}

/** A safe integer's decimal digits (String(n)). */
function putSafeInt(n: number): void {
  if (n < 0) {
    putChar(45);
    n = -n;
  }
  let p = DIGITS.length;
  do {
    const q = Math.floor(n / 10);
    DIGITS[--p] = 48 + (n - q * 10);
    n = q;
  } while (n > 0);
  putDigits(p);
}

function putDigits(from: number): void {
  room(DIGITS.length - from);
  for (let k = from; k < DIGITS.length; k++) buf[pos++] = DIGITS[k];
}

/**
 * A uint64 bigint's decimal digits (String(b)), without a string: the value as four 16-bit limbs,
 * divided by 10^7 three times at most (each step's remainder × 2^16 + a limb stays below 2^53).
 */
function putBigint(b: bigint): void {
  if (b < 0n || b > MAX_U64) {
    putText(`${b}`);
    return;
  }
  U64[0] = b;
  const hi = U32[HI];
  const lo = U32[LO];
  if (hi === 0) {
    putSafeInt(lo);
    return;
  }
  let l3 = hi >>> 16,
    l2 = hi & 0xffff,
    l1 = lo >>> 16,
    l0 = lo & 0xffff;
  let p = DIGITS.length;
  for (;;) {
    let r = l3;
    l3 = Math.floor(r / 1e7);
    r = (r - l3 * 1e7) * 65536 + l2;
    l2 = Math.floor(r / 1e7);
    r = (r - l2 * 1e7) * 65536 + l1;
    l1 = Math.floor(r / 1e7);
    r = (r - l1 * 1e7) * 65536 + l0;
    l0 = Math.floor(r / 1e7);
    r -= l0 * 1e7;
    const last = (l3 | l2 | l1 | l0) === 0;
    // the remainder is 7 digits, zero-padded unless it is the most significant group
    for (let k = 0; k < 7 && (!last || r > 0 || k === 0); k++) {
      const q = Math.floor(r / 10);
      DIGITS[--p] = 48 + (r - q * 10);
      r = q;
    }
    if (last) break;
  }
  putDigits(p);
}

/** What `${v ?? ''}` writes. */
export function putValue(v: unknown): void {
  switch (typeof v) {
    case 'undefined':
      return;
    case 'string':
      putText(v);
      return;
    case 'number':
      if (Number.isSafeInteger(v)) putSafeInt(v === 0 ? 0 : v);
      else putText(`${v}`);
      return;
    case 'bigint':
      putBigint(v);
      return;
    default:
      if (v !== null) putText(`${v as string}`);
  }
}

/** What `${v}` writes (undefined and null as words). */
export function putTemplate(v: unknown): void {
  if (v === undefined || v === null) putText(`${v}`);
  else putValue(v);
}
