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
  http_host: plain((v) => (isO(v) ? str(v.host) ?? header(v, 'host') : undefined)),
  http_user_agent: plain((v) => header(v, 'user-agent')),
};
