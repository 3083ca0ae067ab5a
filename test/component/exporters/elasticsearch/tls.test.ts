// TLS options against an https fake Elasticsearch with a test CA: CA file, CA fingerprint, explicit insecure mode.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createElasticsearchExporter,
  type ElasticsearchExporterOptions,
} from '../../../../src/exporters/elasticsearch/index.ts';
import { ElasticsearchConfigError } from '../../../../src/exporters/elasticsearch/config.ts';
import { FakeElasticsearch } from '../../../helpers/fake-elasticsearch.ts';

const dir = new URL('../../../fixtures/tls/', import.meta.url);
const caFile = new URL('ca.pem', dir).pathname;
const CA_FINGERPRINT =
  '17:74:3E:1C:3B:EC:BA:30:36:D0:1D:3F:C6:BA:68:D4:26:FD:26:05:0D:A8:BF:85:34:35:13:05:70:F5:D4:43';

let es: FakeElasticsearch;
let url: string;
const logs: string[] = [];
const logger = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };
const item = {
  record: { id: 'a', kind: 'event' as const, doc: { '@timestamp': '2026-01-01T00:00:00Z' } },
  origin: { source: 't' },
};

beforeAll(async () => {
  const cert = Buffer.concat([readFileSync(new URL('server.pem', dir)), readFileSync(new URL('ca.pem', dir))]);
  es = new FakeElasticsearch({ key: readFileSync(new URL('server.key', dir)), cert });
  url = await es.start();
});
afterAll(async () => {
  await es.close();
});

async function sendWith(o: Partial<ElasticsearchExporterOptions>) {
  const ex = createElasticsearchExporter({ endpoints: url, templates: 'skip', logger, requestTimeoutMs: 3000, ...o });
  try {
    await ex.start();
    return await ex.send([item]);
  } finally {
    await ex.shutdown();
  }
}

describe('TLS', () => {
  it('an unknown CA is refused (retryable: the connection fails)', async () => {
    expect(await sendWith({})).toMatchObject({ status: 'retryable', reason: /cannot reach Elasticsearch/ });
  });

  it('tls.caFile trusts the test CA', async () => {
    expect(await sendWith({ tls: { caFile } })).toEqual({ status: 'ok' });
  });

  it('tls.caFingerprint pins the CA', async () => {
    expect(await sendWith({ tls: { caFingerprint: CA_FINGERPRINT } })).toEqual({ status: 'ok' });
  });

  it('a wrong fingerprint is refused clearly: start() throws, send() rejects', async () => {
    const wrong = CA_FINGERPRINT.replace(/^17/, '18');
    await expect(sendWith({ tls: { caFingerprint: wrong } })).rejects.toThrow(
      /no certificate presented by 127\.0\.0\.1:\d+ has the SHA-256 fingerprint given in tls.caFingerprint/,
    );
    const ex = createElasticsearchExporter({
      endpoints: url,
      templates: 'skip',
      logger,
      tls: { caFingerprint: wrong },
    });
    expect(await ex.send([item])).toMatchObject({ status: 'rejected', reason: /tls.caFingerprint/ });
    await ex.shutdown();
  });

  it('the pinned CA works with any host name the certificate names (localhost)', async () => {
    const other = url.replace('127.0.0.1', 'localhost'); // in the certificate too → ok
    const ex = createElasticsearchExporter({
      endpoints: other,
      templates: 'skip',
      logger,
      tls: { caFingerprint: CA_FINGERPRINT },
    });
    expect(await ex.send([item])).toEqual({ status: 'ok' });
    await ex.shutdown();
  });

  it('tls.insecureSkipVerify accepts any certificate, with a warning at start', async () => {
    logs.length = 0;
    expect(await sendWith({ tls: { insecureSkipVerify: true } })).toEqual({ status: 'ok' });
    expect(logs.join('\n')).toMatch(/TLS certificate verification is OFF/);
  });

  it('fingerprint format is validated', () => {
    expect(() => createElasticsearchExporter({ endpoints: url, tls: { caFingerprint: 'AB:CD' } })).toThrow(
      /tls.caFingerprint: expected a SHA-256 fingerprint/,
    );
    expect(() =>
      createElasticsearchExporter({
        endpoints: url,
        tls: { caFingerprint: CA_FINGERPRINT.replace(/:/g, '').toLowerCase() },
      }),
    ).not.toThrow();
  });

  it('an unreadable CA file is a configuration error naming the option', () => {
    expect(() => createElasticsearchExporter({ endpoints: url, tls: { caFile: '/nonexistent/ca.pem' } })).toThrow(
      ElasticsearchConfigError,
    );
    expect(() => createElasticsearchExporter({ endpoints: url, tls: { caFile: '/nonexistent/ca.pem' } })).toThrow(
      /tls.caFile: cannot read/,
    );
  });
});
