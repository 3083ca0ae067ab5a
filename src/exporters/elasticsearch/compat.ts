// REST API compatibility headers. Client 9.x sends `compatible-with=9`, which an 8.x server refuses with
// 400 "Accept version must be either version 8 or 7, but found 9". Elasticsearch accepts the current and the
// previous major, so compatible-with=8 works against 8.x and 9.x alike.

export type Major = 8 | 9;

export function compatHeaders(major: Major, body: 'json' | 'ndjson' | 'none'): Record<string, string> {
  const accept = `application/vnd.elasticsearch+json; compatible-with=${major}`;
  const contentType =
    body === 'ndjson'
      ? `application/vnd.elasticsearch+x-ndjson; compatible-with=${major}`
      : `application/vnd.elasticsearch+json; compatible-with=${major}`;
  return { accept, 'content-type': contentType };
}

const COMPAT_ERROR =
  /(Accept|Content-Type) version must be either version (\d+) or (\d+)|compatible version is required|media_type_header_exception/i;

/** The major to fall back to when a 400 body is the server's "unsupported compatible-with" answer, else undefined. */
export function compatFallback(status: number, body: unknown, current: Major): Major | undefined {
  if (status !== 400 && status !== 406) return undefined;
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  const m = COMPAT_ERROR.exec(text);
  if (!m) return undefined;
  const offered = m[2] ? Number(m[2]) : 8;
  if (offered === 8 && current === 9) return 8;
  return undefined;
}
