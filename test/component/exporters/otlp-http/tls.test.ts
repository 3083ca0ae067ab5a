// TLS settings against a FAKE https collector with certificates made for this test run (openssl).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOtlpHttpExporter } from '../../../../src/exporters/otlp-http/index.ts';
import type { OtlpHttpExporter } from '../../../../src/exporters/otlp-http/index.ts';
import { FakeOtlpHttpServer } from '../../../helpers/fake-otlp-http-server.ts';
import { batch, workloads } from '../../../helpers/otel-record-builders.ts';

let dir: string;
let fake: FakeOtlpHttpServer;
let exporter: OtlpHttpExporter | undefined;
const file = (name: string) => path.join(dir, name);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-otlp-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=fake-test-ca');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  fs.writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  );
  openssl('req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=fake-client');
  openssl(
    'x509',
    '-req',
    '-in',
    'client.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'client.pem',
    '-days',
    '2',
  );
  fake = await FakeOtlpHttpServer.start({
    key: fs.readFileSync(file('server.key')),
    cert: fs.readFileSync(file('server.pem')),
    ca: fs.readFileSync(file('ca.pem')),
  });
}, 60_000);

afterEach(async () => {
  await exporter?.shutdown();
  exporter = undefined;
});

afterAll(async () => {
  await fake?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('otlp_http exporter over TLS', () => {
  it('verifies the collector with the configured CA file and presents the client certificate (mTLS)', async () => {
    exporter = createOtlpHttpExporter(
      {
        logsEndpoint: fake.logsUrl,
        tls: { caFile: file('ca.pem'), certFile: file('client.pem'), keyFile: file('client.key') },
      },
      { env: {} },
    );
    expect(await exporter.send(batch(workloads(1), 2))).toEqual({ status: 'ok' });
    expect(fake.requests.at(-1)?.clientCertCN).toBe('fake-client');
  });

  it('takes the TLS files from OTEL_EXPORTER_OTLP_LOGS_* / OTEL_EXPORTER_OTLP_* variables', async () => {
    exporter = createOtlpHttpExporter(
      {},
      {
        env: {
          OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: fake.logsUrl,
          OTEL_EXPORTER_OTLP_CERTIFICATE: file('ca.pem'),
          OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE: file('client.pem'),
          OTEL_EXPORTER_OTLP_CLIENT_KEY: file('client.key'),
        },
      },
    );
    expect(await exporter.send(batch(workloads(1), 1))).toEqual({ status: 'ok' });
    expect(fake.requests.at(-1)?.clientCertCN).toBe('fake-client');
  });

  it('an unknown CA fails as retryable with the TLS error code; insecureSkipVerify accepts it', async () => {
    exporter = createOtlpHttpExporter({ logsEndpoint: fake.logsUrl }, { env: {} });
    const o = await exporter.send(batch(workloads(1), 1));
    expect(o).toMatchObject({
      status: 'retryable',
      reason: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY/),
    });
    await exporter.shutdown();
    exporter = createOtlpHttpExporter({ logsEndpoint: fake.logsUrl, tls: { insecureSkipVerify: true } }, { env: {} });
    expect(await exporter.send(batch(workloads(1), 1))).toEqual({ status: 'ok' });
    expect(fake.requests.at(-1)?.clientCertCN).toBeUndefined();
  });
});
