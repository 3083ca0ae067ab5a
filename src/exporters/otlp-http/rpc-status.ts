// Reads the `message` of a google.rpc.Status (the error body of OTLP/HTTP collectors):
//   message Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
// Only decoding, and only of this three-field message; returns undefined on anything unexpected.

function readVarint(buf: Uint8Array, pos: { p: number }): number | undefined {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos.p >= buf.length) return undefined;
    const b = buf[pos.p++];
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return result;
    mul *= 128;
  }
  return undefined;
}

export interface RpcStatus {
  code?: number;
  message?: string;
}

export function decodeRpcStatus(buf: Uint8Array): RpcStatus | undefined {
  const out: RpcStatus = {};
  const pos = { p: 0 };
  while (pos.p < buf.length) {
    const tag = readVarint(buf, pos);
    if (tag === undefined) return undefined;
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) {
      const v = readVarint(buf, pos);
      if (v === undefined) return undefined;
      if (field === 1) out.code = v > 0x7fffffff ? v - 2 ** 64 : v;
    } else if (wire === 2) {
      const len = readVarint(buf, pos);
      if (len === undefined || pos.p + len > buf.length) return undefined;
      if (field === 2) out.message = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(pos.p, pos.p + len));
      pos.p += len;
    } else if (wire === 1) {
      pos.p += 8;
    } else if (wire === 5) {
      pos.p += 4;
    } else {
      return undefined;
    }
    if (pos.p > buf.length) return undefined;
  }
  return out;
}
