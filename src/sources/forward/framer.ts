// Splits a TCP byte stream into whole msgpack objects (one Forward message each) without decoding
// them. It only reads type headers and lengths, so it knows each message's exact size: a message
// over the limit is refused as soon as its declared lengths say so (a "huge declared length" never
// allocates), and bytes left at the end of the stream are a truncated message, not silence.
// The scan resumes where it stopped when more bytes arrive (no rescanning of a large message).

export class FrameError extends Error {
  readonly code: 'too_large' | 'malformed_msgpack';
  constructor(code: 'too_large' | 'malformed_msgpack', message: string) {
    super(message);
    this.code = code;
    this.name = 'FrameError';
  }
}

/** Bytes after the type byte for the fixed-size types, by type byte (0 = none, -1 = variable). */
function fixedTail(b: number): number {
  if (b <= 0x7f || b >= 0xe0) return 0; // positive / negative fixint
  if (b >= 0x80 && b <= 0x9f) return -1; // fixmap / fixarray
  if (b >= 0xa0 && b <= 0xbf) return -1; // fixstr
  switch (b) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return 0; // nil, false, true
    case 0xcc:
    case 0xd0:
      return 1;
    case 0xcd:
    case 0xd1:
      return 2;
    case 0xca:
    case 0xce:
    case 0xd2:
      return 4;
    case 0xcb:
    case 0xcf:
    case 0xd3:
      return 8;
    case 0xd4:
      return 2;
    case 0xd5:
      return 3;
    case 0xd6:
      return 5;
    case 0xd7:
      return 9;
    case 0xd8:
      return 17; // fixext 1..16 (type + data)
    default:
      return -1;
  }
}

export class MsgpackFramer {
  private buf: Buffer = Buffer.alloc(0);
  private start = 0; // first byte of the current message
  private end = 0; // end of the valid bytes in buf
  private scan = 0; // where the scan of the current message stopped
  private need = 1; // objects still to read to complete the current message
  private readonly maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Bytes received but not yet returned as a whole message. */
  get pendingBytes(): number {
    return this.end - this.start;
  }

  /** A copy of the first `max` (at most) pending bytes: what a dead letter keeps of an unfinished message. */
  pendingHead(max: number): Buffer {
    return Buffer.from(this.buf.subarray(this.start, this.start + Math.min(max, this.end - this.start)));
  }

  push(chunk: Buffer): void {
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      // compact in place when that makes room, else grow (doubling, so appends stay linear)
      const target =
        live + chunk.length <= this.buf.length
          ? this.buf
          : Buffer.allocUnsafe(
              Math.max(live + chunk.length, Math.min(this.buf.length * 2, this.maxBytes + chunk.length), 64 * 1024),
            );
      this.buf.copy(target, 0, this.start, this.end);
      this.scan -= this.start;
      this.start = 0;
      this.end = live;
      this.buf = target;
    }
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }

  /** The next whole message (a copy), or undefined until more bytes arrive. Throws FrameError. */
  next(): Buffer | undefined {
    const b = this.buf;
    let p = this.scan;
    while (this.need > 0) {
      if (p >= this.end) break;
      const t = b[p];
      let head: number; // header bytes (type byte included)
      let body = 0; // payload bytes after the header
      let children = 0;
      const tail = fixedTail(t);
      if (tail >= 0) head = 1 + tail;
      else if (t >= 0x80 && t <= 0x8f) {
        head = 1;
        children = 2 * (t & 0x0f);
      } else if (t >= 0x90 && t <= 0x9f) {
        head = 1;
        children = t & 0x0f;
      } else if (t >= 0xa0 && t <= 0xbf) {
        head = 1;
        body = t & 0x1f;
      } else {
        const lenBytes =
          t === 0xc4 || t === 0xd9 || t === 0xc7
            ? 1
            : t === 0xc5 || t === 0xda || t === 0xc8 || t === 0xdc || t === 0xde
              ? 2
              : t === 0xc6 || t === 0xdb || t === 0xc9 || t === 0xdd || t === 0xdf
                ? 4
                : 0;
        if (lenBytes === 0)
          throw new FrameError(
            'malformed_msgpack',
            `not msgpack: byte 0x${t.toString(16).padStart(2, '0')} at offset ${p - this.start} of the message`,
          );
        if (p + 1 + lenBytes > this.end) break;
        const n = lenBytes === 1 ? b[p + 1] : lenBytes === 2 ? b.readUInt16BE(p + 1) : b.readUInt32BE(p + 1);
        const isExt = t === 0xc7 || t === 0xc8 || t === 0xc9;
        head = 1 + lenBytes + (isExt ? 1 : 0);
        if (t === 0xdc || t === 0xdd) children = n;
        else if (t === 0xde || t === 0xdf) children = 2 * n;
        else body = n;
      }
      // every remaining object takes at least one byte: a declared size that cannot fit is refused now
      const least = p - this.start + head + body + children + this.need - 1;
      if (least > this.maxBytes)
        throw new FrameError(
          'too_large',
          `message larger than ${this.maxBytes} bytes (its headers declare at least ${least})`,
        );
      if (p + head + body > this.end) break;
      p += head + body;
      this.need += children - 1;
    }
    this.scan = p;
    if (this.need > 0) return undefined;
    const frame = Buffer.from(b.subarray(this.start, p));
    this.start = p;
    this.scan = p;
    this.need = 1;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
      this.scan = 0;
    }
    return frame;
  }
}
