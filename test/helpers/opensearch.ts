// Helpers for integration tests against the real OpenSearch node of scripts/services/opensearch.sh.
// Plain fetch with JSON bodies, on purpose: these check what the exporter wrote, so they share no code
// (or client quirks) with it.

/** Base URL of the test node: $OS_URL, else http://127.0.0.1:9201. No trailing slash. */
export function osUrl(): string {
  return (process.env.OS_URL ?? 'http://127.0.0.1:9201').replace(/\/+$/, '');
}

/** One request; returns status and parsed body; throws on a non-2xx status not listed in okStatuses. */
export async function osRequest<T = any>(
  method: string,
  path: string,
  body?: unknown,
  okStatuses: number[] = [],
): Promise<{ status: number; body: T }> {
  let res: Response;
  try {
    res = await fetch(osUrl() + path, {
      method,
      headers:
        body === undefined
          ? { accept: 'application/json' }
          : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new Error(
      `OpenSearch not reachable at ${osUrl()} (${method} ${path}): ${(err as Error).message}. ` +
        'Start it with `bash scripts/services/opensearch.sh start` (or `npm run services:start`).',
      { cause: err },
    );
  }
  const text = await res.text();
  let parsed: any;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (!res.ok && !okStatuses.includes(res.status))
    throw new Error(`${method} ${path} -> HTTP ${res.status}: ${text.slice(0, 1000)}`);
  return { status: res.status, body: parsed as T };
}

export async function osCount(index: string): Promise<number> {
  await osRequest('POST', `/${index}/_refresh`, undefined, [404]);
  const r = await osRequest<{ count: number }>('GET', `/${index}/_count`, undefined, [404]);
  return r.status === 404 ? 0 : r.body.count;
}

export async function osIds(index: string): Promise<string[]> {
  await osRequest('POST', `/${index}/_refresh`, undefined, [404]);
  const r = await osRequest(
    'POST',
    `/${index}/_search`,
    { size: 10_000, _source: false, query: { match_all: {} } },
    [404],
  );
  return r.status === 404 ? [] : r.body.hits.hits.map((h: { _id: string }) => h._id);
}

/** The mapping of a data stream's (only) backing index. */
export async function osMapping(index: string): Promise<any> {
  const { body } = await osRequest('GET', `/${index}/_mapping`);
  const all = Object.values(body as Record<string, { mappings: any }>);
  return all[all.length - 1].mappings;
}

/** Deletes this test's own data streams (never a wildcard over others'). */
export async function osDeleteDataStreams(names: string[]): Promise<void> {
  for (const n of names) await osRequest('DELETE', `/_data_stream/${encodeURIComponent(n)}`, undefined, [404]);
}
