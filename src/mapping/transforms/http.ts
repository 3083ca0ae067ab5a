// HTTP from trace.ProtoHTTP / ProtoHTTPRequest / ProtoHTTPResponse (and their v1beta1 forms).

import { plain, type TransformFactory } from './index.ts';

type O = Record<string, unknown>;
const isO = (v: unknown): v is O => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

function header(v: unknown, name: string): string | undefined {
  if (!isO(v) || !isO(v.headers)) return undefined;
  const lower = name.toLowerCase();
  for (const k of Object.keys(v.headers)) {
    if (k.toLowerCase() !== lower) continue;
    const h = v.headers[k];
    if (Array.isArray(h)) return str(h[0]);
    if (isO(h) && Array.isArray(h.header)) return str(h.header[0]); // v1beta1 HttpHeader{header: [...]}
    return str(h);
  }
  return undefined;
}

/** A Host value split into host and port: "example.com:8080", "[::1]:8080", "[::1]", "example.com". */
export function splitHost(host: string): { host: string; port?: number } {
  const bracket = host.startsWith('[') ? host.indexOf(']') : -1;
  const colon = host.lastIndexOf(':');
  // an unbracketed IPv6 address has several colons and no port
  if (colon < 0 || colon < bracket || (bracket < 0 && host.indexOf(':') !== colon)) {
    return { host: bracket > 0 ? host.slice(1, bracket) : host };
  }
  const port = /^\d{1,5}$/.test(host.slice(colon + 1)) ? Number(host.slice(colon + 1)) : undefined;
  const name = host.slice(0, colon);
  return {
    host: bracket > 0 ? name.slice(1, bracket) : name,
    ...(port !== undefined && port <= 65535 ? { port } : {}),
  };
}

const hostOf = (v: unknown) => (isO(v) ? (str(v.host) ?? header(v, 'host')) : undefined);

export const httpTransforms: Record<string, TransformFactory> = {
  http_method: plain((v) => (isO(v) ? str(v.method) : undefined)),
  http_status_code: plain((v) => {
    if (!isO(v)) return undefined;
    const c = v.status_code ?? v.statusCode;
    return typeof c === 'number' && c > 0 ? c : undefined;
  }),
  // "HTTP/1.1" → "1.1"
  http_version: plain((v) => {
    const p = isO(v) ? str(v.protocol) : undefined;
    return p?.startsWith('HTTP/') ? p.slice(5) : p;
  }),
  http_uri_path: plain((v) => (isO(v) ? str(v.uri_path ?? v.uriPath) : undefined)),
  // url.domain is the name only; the Host header may carry a port (url.port)
  http_host: plain((v) => {
    const h = hostOf(v);
    return h === undefined ? undefined : str(splitHost(h).host);
  }),
  http_host_port: plain((v) => {
    const h = hostOf(v);
    return h === undefined ? undefined : splitHost(h).port;
  }),
  http_user_agent: plain((v) => header(v, 'user-agent')),
  // the body size of a request or a response (arg): proto_http says which it is in `direction`;
  // content_length, else the Content-Length header
  http_body_bytes: (arg) => (v) => {
    if (!isO(v)) return undefined;
    const dir = str(v.direction)?.toLowerCase();
    if (dir !== undefined && dir !== arg) return undefined;
    const n = v.content_length ?? v.contentLength ?? header(v, 'content-length');
    const bytes = typeof n === 'string' && /^\d+$/.test(n) ? Number(n) : n;
    return typeof bytes === 'number' && Number.isSafeInteger(bytes) && bytes >= 0 ? bytes : undefined;
  },
};
