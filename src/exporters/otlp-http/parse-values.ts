// Parsers for the value formats of the OTLP exporter settings (OTel spec
// `specification/protocol/exporter.md`, `specification/resource/sdk.md`). Pure: each returns
// `{ ok }` or `{ error }`; the caller decides whether an error is thrown (explicit option) or
// warned about (environment variable). Error texts never contain header values (secrets).

export type Parsed<T> = { ok: T } | { error: string };

/** http(s) URL, returned normalised by WHATWG URL. */
export function parseHttpUrl(raw: string): Parsed<URL> {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { error: `not a URL: ${JSON.stringify(raw)}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { error: `expected an http:// or https:// URL, got ${JSON.stringify(raw)}` };
  }
  return { ok: url };
}

/** Generic endpoint → logs URL: `/v1/logs` appended to the base path (spec "Endpoint URLs for OTLP/HTTP"). */
export function appendLogsPath(base: URL): string {
  const u = new URL(base.href);
  u.pathname = u.pathname.endsWith('/') ? `${u.pathname}v1/logs` : `${u.pathname}/v1/logs`;
  return u.href;
}

// RFC 7230 token: the characters allowed in a header name.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Header name/value check (no CR/LF/NUL in values, token names). The value is never echoed. */
export function checkHeader(name: string, value: unknown): string | undefined {
  if (!TOKEN.test(name)) return `invalid header name ${JSON.stringify(name)}`;
  if (typeof value !== 'string') return `header "${name}": value must be a string`;
  if (/[\r\n\0]/.test(value)) return `header "${name}": value contains CR, LF or NUL`;
  return undefined;
}

/**
 * `k=v,k2=v2` with percent-decoding of keys and values (the format of OTEL_EXPORTER_OTLP_HEADERS and
 * OTEL_RESOURCE_ATTRIBUTES). Empty items are skipped; `=` inside a value is kept (split at the first `=`).
 * An error names the item by its key only, because header values may be secrets.
 */
export function parseKeyValueList(raw: string): Parsed<Record<string, string>> {
  const out: Record<string, string> = {};
  const items = raw.split(',');
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    // The item itself is not echoed: a malformed header item may be a token.
    if (eq < 0) return { error: `item #${i + 1} has no "=" (expected key=value)` };
    const rawKey = item.slice(0, eq).trim();
    const rawValue = item.slice(eq + 1).trim();
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey);
    } catch {
      return { error: `key ${JSON.stringify(rawKey)} is not valid percent-encoding` };
    }
    if (key === '') return { error: 'empty key' };
    try {
      value = decodeURIComponent(rawValue);
    } catch {
      return { error: `value of "${key}" is not valid percent-encoding` };
    }
    out[key] = value;
  }
  return { ok: out };
}

export function parseCompression(raw: string): Parsed<'gzip' | 'none'> {
  const v = raw.trim().toLowerCase();
  if (v === 'gzip' || v === 'none') return { ok: v };
  return { error: `expected "gzip" or "none", got ${JSON.stringify(raw)}` };
}

export function parseProtocol(raw: string): Parsed<'http/protobuf' | 'http/json'> {
  const v = raw.trim().toLowerCase();
  if (v === 'http/protobuf' || v === 'http/json') return { ok: v };
  if (v === 'grpc') return { error: 'protocol "grpc" is not supported by the OTLP/HTTP exporter' };
  return { error: `expected "http/protobuf" or "http/json", got ${JSON.stringify(raw)}` };
}

/** A positive whole number of milliseconds / bytes given as a decimal string. */
export function parsePositiveInt(raw: string): Parsed<number> {
  const v = raw.trim();
  if (!/^\d+$/.test(v)) return { error: `expected a positive integer, got ${JSON.stringify(raw)}` };
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) return { error: `expected a positive integer, got ${JSON.stringify(raw)}` };
  return { ok: n };
}
