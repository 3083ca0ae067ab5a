// The log lines of the Elasticsearch, OpenSearch and Kafka exporters under `run` (preparePipeline):
// the pipeline hands each exporter a logger whose lines start with "<name>: "; the exporter's own
// messages do not name it again (no "es: es: …", no "kafka: kafka exporter: …").

import { readFileSync } from 'node:fs';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../../src/config/run-config.ts';
import { preparePipeline } from '../../../src/pipeline/pipeline.ts';
import { FakeElasticsearch } from '../../helpers/fake-elasticsearch.ts';

const tlsDir = new URL('../../fixtures/tls/', import.meta.url);

let es: FakeElasticsearch;
let url: string;
let dir: string;

beforeAll(async () => {
  const cert = Buffer.concat([readFileSync(new URL('server.pem', tlsDir)), readFileSync(new URL('ca.pem', tlsDir))]);
  es = new FakeElasticsearch({ key: readFileSync(new URL('server.key', tlsDir)), cert });
  url = await es.start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulk-log-lines-'));
});
afterAll(async () => {
  await es.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function runLines(exporters: Record<string, unknown>[], events: string[]): Promise<string[]> {
  const config = {
    version: 1,
    node: { name: 'n' },
    dead_letter: { path: path.join(dir, `dl-${Date.now()}.ndjson`) },
    sources: [{ type: 'stdin' }],
    exporters,
  } as unknown as RunConfig;
  const lines: string[] = [];
  const stdin = Readable.from(events.length ? [events.join('\n') + '\n'] : []);
  await (await preparePipeline(config, { stdin, log: (l) => lines.push(l) }, { shutdownTimeoutMs: 20_000 })).run();
  return lines;
}

const doubled = (name: string, lines: string[]) => lines.filter((l) => l.includes(`${name}: ${name}: `));

describe('exporter log lines carry the exporter name once', () => {
  it('elasticsearch and opensearch (the bulk exporters): "es: …", never "es: es: …"', async () => {
    // the first template PUT of each exporter fails: "templates not installed yet" at start
    const failed = new Set<string>();
    es.handler = (r) => {
      const who = String(r.headers['user-agent'] ?? '').includes('opensearch') ? 'os' : 'es';
      if (r.method === 'PUT' && !failed.has(who)) {
        failed.add(who);
        return { status: 503, body: { error: { type: 'unavailable', reason: 'not yet' }, status: 503 } };
      }
      return undefined;
    };
    const common = { endpoints: url, tls: { insecure_skip_verify: true }, delivery: { flush_interval_ms: 20 } };
    const lines = await runLines(
      [
        { type: 'elasticsearch', name: 'es', ...common },
        { type: 'opensearch', name: 'os', ...common },
      ],
      [],
    );
    const all = lines.join('\n');
    for (const name of ['es', 'os']) {
      expect(
        lines.filter((l) => l.startsWith(`${name}: TLS certificate verification is OFF`)),
        all,
      ).toHaveLength(1);
      // the reason inside names no exporter either (it was "es: templates not installed yet (es: cannot install …)")
      expect(
        lines.filter((l) => l.startsWith(`${name}: templates not installed yet (cannot install component template `)),
        all,
      ).toHaveLength(1);
      expect(
        lines.filter((l) => l.includes(`${name}: `)).every((l) => l.indexOf(`${name}: `, 1) === -1),
        all,
      ).toBe(true);
      expect(doubled(name, lines), all).toEqual([]);
    }
    expect(all).not.toMatch(/^(es|os): (es|os|elasticsearch|opensearch): /m);
  });

  it('kafka: "k: brokers …" and "k: not connected at start …", never "k: kafka exporter: …"', async () => {
    const port = await closedPort();
    const lines = await runLines(
      [
        {
          type: 'kafka',
          name: 'k',
          brokers: `127.0.0.1:${port}`,
          connection_timeout_ms: 500,
        },
      ],
      [],
    );
    const all = lines.join('\n');
    expect(
      lines.filter((l) => l.startsWith(`k: brokers 127.0.0.1:${port}, encoding `)),
      all,
    ).toHaveLength(1);
    expect(
      lines.filter((l) => l.startsWith('k: not connected at start (')),
      all,
    ).toHaveLength(1);
    expect(all).not.toContain('kafka exporter:');
    expect(doubled('k', lines), all).toEqual([]);
  });
});
