// Small byte copies that live as long as a queued item: carved from shared 64 KiB ArrayBuffers (one
// allocation per ~40 queued events instead of one or two per event; bytes outside the V8 heap are
// never copied by the garbage collector). A slab is freed once none of its pieces is referenced;
// queues are FIFO, so slabs die in order. Pieces larger than 8 KiB get their own buffer.

const SLAB_BYTES = 64 * 1024;
const OWN_BUFFER_BYTES = SLAB_BYTES / 8;

let slab = Buffer.from(new ArrayBuffer(SLAB_BYTES));
let slabPos = 0;

function room(n: number): void {
  if (slabPos + n > SLAB_BYTES) {
    slab = Buffer.from(new ArrayBuffer(SLAB_BYTES));
    slabPos = 0;
  }
}

function piece(n: number): Uint8Array {
  const out = new Uint8Array(slab.buffer, slabPos, n);
  slabPos += n;
  return out;
}

/** A copy of src[0, n) in a slab. */
export function slabCopy(src: Buffer, n: number): Uint8Array {
  if (n > OWN_BUFFER_BYTES) {
    const own = new Uint8Array(n);
    src.copy(own, 0, 0, n);
    return own;
  }
  room(n);
  src.copy(slab, slabPos, 0, n);
  return piece(n);
}

/** The UTF-8 bytes of `s` in a slab (read back with slabText). */
export function slabUtf8(s: string): Uint8Array {
  // at most 3 bytes per UTF-16 unit; the exact length only when that bound does not fit
  const max = s.length * 3;
  if (max > OWN_BUFFER_BYTES || slabPos + max > SLAB_BYTES) {
    const n = Buffer.byteLength(s);
    if (n > OWN_BUFFER_BYTES) return Buffer.from(s, 'utf8');
    room(n);
  }
  const n = slab.write(s, slabPos, 'utf8');
  return piece(n);
}

/** The text of UTF-8 bytes (slabUtf8's). */
export function slabText(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}
