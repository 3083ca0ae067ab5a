// Sensitive event fields never reach the destinations: the CLI sends real Tracee HTTP samples (with
// Set-Cookie) and the derived requests with cookies, credentials and tokens
// (test/fixtures/security/PROVENANCE.md) to the real Elasticsearch and the real Collector with the
// default `redact`; what they stored is read back and searched for every secret value.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/samples.ts';
import { esUrl, refresh, searchAll, uniqueNamespace } from '../helpers/elasticsearch.ts';
import {
  COLLECTOR_OTLP_HTTP_URL,
  collectorOutputSize,
  readCollectorOutput,
  uniqueTestId,
} from '../helpers/collector.ts';

const BIN = path.join(ROOT, 'bin/tracee-exporter.js');
const FIX = path.join(ROOT, 'test/fixtures/security');
const FILES = [
  'net_packet_http-headers.json',
  'net_packet_http_response-headers.json',
  'net_packet_http-request-credentials.json',
  'net_packet_http_request-credentials.json',
];

/** Every secret value of the samples: the derived ones (all contain -REQ-, X-Api-Key aside: not in the default table) and the real cookies. */
function secretsOf(text: string): string[] {
  const req = (text.match(/[\w.=-]*-REQ-[\w.-]*/g) ?? []).filter((s) => !s.startsWith('apikey-REQ'));
  const cookies = [...text.matchAll(/"Set-Cookie":\[([^\]]*)\]/g)]
    .flatMap((m) => JSON.parse(`[${m[1]}]`) as string[])
    .map((c) => c.split(';')[0]);
  return [...new Set([...req, ...cookies])];
}

describe('redaction reaches the destinations', () => {
  it('Elasticsearch and the Collector store no cookie, credential or token of the HTTP samples; the keys are there with [REDACTED]', async () => {
    const input = FILES.map((f) => fs.readFileSync(path.join(FIX, f), 'utf8').trim()).join('\n') + '\n';
    const secrets = secretsOf(input);
    expect(secrets.length).toBeGreaterThan(12);
    const ns = uniqueNamespace('redact');
    const node = uniqueTestId('redact-node');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redact-dest-'));
    const cfg = path.join(dir, 'cfg.yaml');
    fs.writeFileSync(
      cfg,
      `version: 1
sources: [{ type: stdin }]
node: { name: ${node} }
exporters:
  - { type: elasticsearch, endpoints: ${esUrl()}, data_stream: { namespace: ${ns} } }
  - { type: otlp_http, endpoint: ${COLLECTOR_OTLP_HTTP_URL} }
`,
    );
    const from = collectorOutputSize();
    const r = spawnSync(process.execPath, [BIN, 'run', '--config', cfg, '--shutdown-timeout', '20000'], {
      input,
      encoding: 'utf8',
    });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /elasticsearch: entered 4 = delivered 4 [^\n]*\n[^\n]*otlp_http: entered 4 = delivered 4 /,
    );

    await refresh(`logs-tracee.*-${ns}`);
    const docs = await searchAll(`logs-tracee.*-${ns}`);
    expect(docs).toHaveLength(4);
    const stored = JSON.stringify(docs);
    expect(secrets.filter((s) => stored.includes(s))).toEqual([]);
    expect(stored.split('[REDACTED]').length - 1).toBeGreaterThanOrEqual(12);

    let ours: string[] = [];
    for (let i = 0; i < 100 && ours.length === 0; i++) {
      ours = readCollectorOutput(from)
        .map((l) => JSON.stringify(l))
        .filter((l) => l.includes(node));
      if (ours.length === 0) await new Promise((res) => setTimeout(res, 200));
    }
    const collected = ours.join('\n');
    expect((collected.match(/net_packet_http/g) ?? []).length).toBeGreaterThanOrEqual(4);
    expect(secrets.filter((s) => collected.includes(s))).toEqual([]);
    expect(collected).toContain('[REDACTED]');
  });
});
