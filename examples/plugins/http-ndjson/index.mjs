// A third-party tracee-exporter exporter (docs/exporters/plugins.md), in plain JavaScript with no
// dependencies: it POSTs each batch of ECS documents as NDJSON (one document per line) to any HTTP
// endpoint: a log collector's HTTP input, a SIEM's ingest URL, a serverless function.
//
// Like every exporter it sends ONE batch and says how it went; tracee-exporter's delivery layer
// does the queueing, batching, retries with backoff, and the dead letter.

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * @param {Record<string, unknown>} options  the exporter's config keys (url, headers, timeoutMs, name)
 * @param {{ log(message: string): void }} context
 */
export function createExporter(options, context) {
  const url = options.url;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new Error(`url: expected an http(s) URL, got ${JSON.stringify(url)}`);
  const headers = { 'content-type': 'application/x-ndjson', ...(options.headers ?? {}) };
  const timeoutMs = Number(options.timeoutMs ?? 10_000);
  let closed = false;

  return {
    name: typeof options.name === 'string' ? options.name : 'http_ndjson',
    target: 'ecs',   // ECS documents: record = { id, kind, doc, json? }

    async start() {
      context.log(`posting ECS documents to ${new URL(url).origin}`);   // never log credentials or paths with tokens
    },

    async send(batch, signal) {
      if (closed) throw new Error('send after shutdown');
      if (batch.length === 0) return { status: 'ok' };
      // record.json is the document already written as JSON text; doc is the same as an object
      let body = '';
      for (const item of batch) body += (item.record.json ?? JSON.stringify(item.record.doc)) + '\n';
      let res;
      try {
        const timeout = AbortSignal.timeout(timeoutMs);
        res = await fetch(url, { method: 'POST', headers, body, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
        await res.arrayBuffer();   // read the answer to free the connection
      } catch (err) {
        // network errors, timeouts, an abort at shutdown: the batch may be sent again
        return { status: 'retryable', reason: `POST failed: ${err.cause?.code ?? err.name}: ${err.message}` };
      }
      if (res.ok) return { status: 'ok' };
      const reason = `HTTP ${res.status} ${res.statusText}`;
      if (RETRYABLE.has(res.status)) {
        const after = res.headers.get('retry-after');   // seconds (an HTTP-date is left to the backoff)
        const s = after !== null && /^\d+$/.test(after.trim()) ? Number(after) : undefined;
        return { status: 'retryable', reason, ...(s !== undefined ? { retryAfterMs: s * 1000 } : {}) };
      }
      return { status: 'rejected', reason };   // 400, 401, 413…: sending the same batch again will not help
    },

    async shutdown() { closed = true; },
  };
}
