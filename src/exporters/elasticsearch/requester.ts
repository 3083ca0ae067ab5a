// Runs client calls with the REST-compatibility headers of the server's major version and turns HTTP error
// statuses into plain answers (the client throws ResponseError for them). With serverMajor 'auto' it starts
// with 9 and, on an 8.x server's "unsupported compatible-with" 400, switches to 8 (one log line) and retries once.

import type { TransportResult } from '@elastic/elasticsearch';
import { compatFallback, compatHeaders, type Major } from './compat.ts';
import type { ServerMajor } from './config.ts';
import type { Logger } from './logger.ts';

export interface EsAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

export type ClientCall = (headers: Record<string, string>) => Promise<TransportResult<unknown, unknown>>;

export class EsRequester {
  #major: Major;
  readonly #auto: boolean;
  readonly #logger: Logger;

  /** `logger` names the exporter (its lines carry the name once: src/exporters/elasticsearch/logger.ts). */
  constructor(serverMajor: ServerMajor, logger: Logger) {
    this.#major = serverMajor === 8 ? 8 : 9;
    this.#auto = serverMajor === 'auto';
    this.#logger = logger;
  }

  get major(): Major {
    return this.#major;
  }

  /** Throws only what is not an HTTP answer (connection errors, timeouts, aborts). */
  async call(body: 'json' | 'ndjson' | 'none', fn: ClientCall): Promise<EsAnswer> {
    const used = this.#major;
    const answer = await this.#once(used, body, fn);
    if (!this.#auto) return answer;
    const next = compatFallback(answer.status, answer.body, used);
    if (next === undefined) return answer;
    if (this.#major === used) {
      // concurrent requests: only the first one switches and logs
      this.#logger.warn(
        `Elasticsearch refused REST compatibility version ${used} ` +
          `(an 8.x server); using compatible-with=${next} headers from now on`,
      );
      this.#major = next;
    }
    return this.#once(this.#major, body, fn);
  }

  async #once(major: Major, body: 'json' | 'ndjson' | 'none', fn: ClientCall): Promise<EsAnswer> {
    try {
      const r = await fn(compatHeaders(major, body));
      return { status: r.statusCode ?? 200, body: r.body, headers: (r.headers ?? {}) as EsAnswer['headers'] };
    } catch (err) {
      const e = err as { name?: string; meta?: TransportResult<unknown, unknown> };
      if (e?.name === 'ResponseError' && e.meta && typeof e.meta.statusCode === 'number') {
        return { status: e.meta.statusCode, body: e.meta.body, headers: (e.meta.headers ?? {}) as EsAnswer['headers'] };
      }
      throw err;
    }
  }
}
