// A small protobuf writer over one growable Buffer. Length-delimited fields reserve one byte for
// their length and shift the content when the length needs more (the varint stays minimal, so
// the bytes are the canonical encoding). Strings: short ASCII in a JS loop, the rest through
// Buffer#write (native UTF-8; lone surrogates become U+FFFD, as TextEncoder does).

const TWO_32 = 4294967296;
/** Strings up to this length are tried as ASCII in JS; longer ones go straight to the native writer. */
const JS_ASCII_MAX = 64;

/** A uint32 varint written at `p` (room already made): a length placed before its content. */
function putVarint(buf: Buffer, p: number, value: number): void {
  let v = value;
  while (v > 127) {
    buf[p++] = (v & 127) | 128;
    v >>>= 7;
  }
  buf[p] = v;
}

export function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

const U64 = new BigUint64Array(1);
const U64_BYTES = new Uint8Array(U64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class ProtoWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** The bytes written so far, as a copy (the writer's buffer is reused). */
  take(): Uint8Array {
    const out = new Uint8Array(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }

  /** One byte (a tag of a field number below 16, or a small varint). */
  byte(b: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = b;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Short bytes, copied in JS (cheaper than a native call for a few dozen bytes). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = b[i];
    this.pos = p;
  }

  /**
   * A varint from a JS number: uint32 directly; larger or negative integers as 64-bit two's
   * complement (10 bytes for negatives, as int64 requires).
   */
  varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 127) {
        buf[this.pos++] = (v & 127) | 128;
        v >>>= 7;
      }
      buf[this.pos++] = v;
      return;
    }
    let low: number;
    let high: number;
    if (value >= 0) {
      low = value >>> 0;
      high = (value / TWO_32) >>> 0;
    } else {
      const abs = -value;
      low = ~(abs >>> 0) >>> 0;
      high = ~((abs / TWO_32) >>> 0) >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    while (high > 0 || low > 127) {
      buf[this.pos++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buf[this.pos++] = low;
  }

  /** fixed64 from a bigint, taken modulo 2^64. */
  fixed64(v: bigint): void {
    this.ensure(8);
    if (!LITTLE_ENDIAN) {
      this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.pos);
      this.pos += 8;
      return;
    }
    // through a typed array: the conversion (modulo 2^64) allocates no bigint, as asUintN and
    // writeBigUInt64LE's shifts do (two timestamps per record)
    U64[0] = v;
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < 8; i++) b[p++] = U64_BYTES[i];
    this.pos = p;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** A length-delimited string: varint byte length + UTF-8. */
  string(s: string): void {
    const len = s.length;
    if (len <= JS_ASCII_MAX) {
      this.ensure(1 + len);
      const buf = this.buf;
      const start = this.pos;
      let p = start + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c > 127) break;
        buf[p++] = c;
      }
      if (i === len) {
        buf[start] = len;
        this.pos = p;
        return;
      }
    }
    // At most 3 UTF-8 bytes per UTF-16 unit: reserve the length varint for that bound, then
    // shift the bytes back if the actual length's varint is shorter.
    const max = len * 3;
    const reserve = varintSize(max);
    this.ensure(reserve + max);
    const start = this.pos;
    const n = this.buf.write(s, start + reserve, 'utf8');
    const size = varintSize(n);
    const buf = this.buf;
    if (size < reserve) buf.copyWithin(start + size, start + reserve, start + reserve + n);
    putVarint(buf, start, n);
    this.pos = start + size + n;
  }

  /** Start a length-delimited field (after its tag): returns the mark to pass to `end`. */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Close a length-delimited field opened at `mark`: write its length, shifting if it needs more than one byte. */
  end(mark: number): void {
    const len = this.pos - mark - 1;
    if (len < 128) {
      this.buf[mark] = len;
      return;
    }
    const size = varintSize(len);
    this.ensure(size - 1);
    const buf = this.buf;
    buf.copyWithin(mark + size, mark + 1, this.pos);
    this.pos += size - 1;
    putVarint(buf, mark, len);
  }
}
