// An independent AWS Signature Version 4 verifier for FAKE servers: recomputes the signature of a received
// request from its method, path, query, headers and body bytes, following AWS's published algorithm (canonical
// request → string to sign → HMAC chain), and checks it against the Authorization header. Written from the
// specification, not from the signer under test; checked against AWS's published test vectors
// (test/unit/helpers/sigv4-verify.test.ts).

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s, 'utf8').digest();

/** RFC 3986 percent-encoding: everything but A-Z a-z 0-9 - _ . ~ (UTF-8 bytes, upper-case hex). */
export function uriEncode(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

export interface ReceivedRequest {
  method: string;
  /** The request target as received: path and query, still percent-encoded. */
  url: string;
  /** Header names lower case; repeated headers joined with ','. */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * The canonical request. Services other than S3 encode each path segment once more (the wire path is already
 * encoded once); the query is decoded and re-encoded, sorted by name then value.
 */
export function canonicalRequest(r: ReceivedRequest, signedHeaders: string[], payloadHash: string): string {
  const q = r.url.indexOf('?');
  const rawPath = q < 0 ? r.url : r.url.slice(0, q);
  const rawQuery = q < 0 ? '' : r.url.slice(q + 1);
  const path =
    rawPath === ''
      ? '/'
      : rawPath
          .split('/')
          .map((seg) => uriEncode(seg))
          .join('/');
  const pairs =
    rawQuery === ''
      ? []
      : rawQuery
          .split('&')
          .map((kv) => {
            const eq = kv.indexOf('=');
            const dec = (x: string) => decodeURIComponent(x.replace(/\+/g, ' '));
            return eq < 0
              ? [uriEncode(dec(kv)), '']
              : [uriEncode(dec(kv.slice(0, eq))), uriEncode(dec(kv.slice(eq + 1)))];
          })
          .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const query = pairs.map(([k, v]) => `${k}=${v}`).join('&');
  const headers = signedHeaders.map((h) => `${h}:${(r.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  return [r.method, path, query, headers, signedHeaders.join(';'), payloadHash].join('\n');
}

export interface Verdict {
  ok: boolean;
  /** Why not (for the FAKE server's 403 and the test's message). */
  why?: string;
  accessKeyId?: string;
  region?: string;
  service?: string;
  signedHeaders?: string[];
}

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** Verifies a received request against the secret of its access key id. */
export function verifySigV4(
  r: ReceivedRequest,
  secretOf: (accessKeyId: string) => string | undefined,
  opts: { now?: Date; requirePayloadHeader?: boolean } = {},
): Verdict {
  const m = AUTH.exec(r.headers.authorization ?? '');
  if (!m) return { ok: false, why: 'no or malformed AWS4-HMAC-SHA256 Authorization header' };
  const [, accessKeyId, date, region, service, signed, signature] = m;
  const base = { accessKeyId, region, service, signedHeaders: signed.split(';') };
  const secret = secretOf(accessKeyId);
  if (secret === undefined) return { ...base, ok: false, why: `unknown access key ${accessKeyId}` };
  const amzDate = r.headers['x-amz-date'];
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date)
    return { ...base, ok: false, why: 'x-amz-date missing or not the credential scope date' };
  const sent = Date.UTC(
    +amzDate.slice(0, 4),
    +amzDate.slice(4, 6) - 1,
    +amzDate.slice(6, 8),
    +amzDate.slice(9, 11),
    +amzDate.slice(11, 13),
    +amzDate.slice(13, 15),
  );
  if (opts.now && Math.abs(opts.now.getTime() - sent) > 5 * 60_000)
    return { ...base, ok: false, why: 'request time too skewed' };
  for (const h of ['host', 'x-amz-date'])
    if (!base.signedHeaders.includes(h)) return { ...base, ok: false, why: `${h} is not signed` };
  const bodyHash = sha256(r.body);
  const claimed = r.headers['x-amz-content-sha256'];
  if (claimed !== undefined && claimed !== bodyHash)
    return { ...base, ok: false, why: 'x-amz-content-sha256 is not the hash of the body received' };
  if (opts.requirePayloadHeader && claimed === undefined)
    return { ...base, ok: false, why: 'x-amz-content-sha256 missing' };
  const creq = canonicalRequest(r, base.signedHeaders, bodyHash);
  const toSign = ['AWS4-HMAC-SHA256', amzDate, `${date}/${region}/${service}/aws4_request`, sha256(creq)].join('\n');
  const expected = createHmac('sha256', signingKey(secret, date, region, service))
    .update(toSign, 'utf8')
    .digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex')))
    return { ...base, ok: false, why: 'signature does not match' };
  return { ...base, ok: true };
}
