// The OpenSearch exporter with `auth.aws_sigv4` against a FAKE Amazon OpenSearch endpoint (HTTPS) that checks
// every request's SigV4 signature with an independent verifier (test/helpers/sigv4-verify.ts, itself checked
// against AWS's published vectors): templates and bulk requests signed and accepted, the session token sent,
// gzip bodies signed as sent, Serverless (`aoss`) scope; a wrong key refused as destination state; and no
// secret in any reason or log line, even when the server echoes the request headers back.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src/config/run-config.ts';
import {
  awsCredentialSource,
  createOpenSearchExporter,
  OpenSearchConfigError,
  resolveOpenSearchOptions,
} from '../../src/exporters/opensearch/index.ts';
import type { ExportItem } from '../../src/model/exporter.ts';
import type { EcsRecord } from '../../src/model/records.ts';
import { preparePipeline } from '../../src/pipeline/pipeline.ts';
import { dnsEvents } from '../helpers/bulk-destination.ts';
import { startFakeSigV4OpenSearch, type FakeSigV4OpenSearch } from '../helpers/fake-sigv4-opensearch.ts';

const KEY_ID = 'AKIAFAKEFAKEFAKE0001';
const SECRET = 'fAkEsEcReT/0123456789+abcdefghijKLMNOPQRS';
const TOKEN = 'FwoGZXIvYXdzEFAKE-session-token-0123456789abcdefghijklmnopqrstuvwxyz';
const env = { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN };

const rec = (i: number): EcsRecord => ({
  id: `sig-${i}`,
  kind: i % 5 === 0 ? 'alert' : 'event',
  doc: { '@timestamp': '2026-12-06T10:00:00.000000001Z', event: { kind: 'event' } },
});
const items = (n: number, from = 0): ExportItem<EcsRecord>[] =>
  Array.from({ length: n }, (_, i) => ({ record: rec(from + i), origin: { source: 't', line: i + 1 } }));

let fake: FakeSigV4OpenSearch | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function exporter(f: FakeSigV4OpenSearch, extra: Record<string, unknown> = {}, creds = env, logs: string[] = []) {
  return createOpenSearchExporter(
    {
      endpoints: f.url,
      tls: { caFile: f.caFile },
      auth: { awsSigv4: { region: 'eu-west-1' } },
      logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
      ...extra,
    },
    { awsCredentials: awsCredentialSource({ env: creds }) },
  );
}

describe('OpenSearch exporter with AWS SigV4 → FAKE Amazon OpenSearch (signatures verified independently)', () => {
  it('templates and bulk requests are signed and accepted; 60 in = 60 stored; a replay is 60 duplicates', async () => {
    fake = await startFakeSigV4OpenSearch(
      { [KEY_ID]: { secret: SECRET, sessionToken: TOKEN } },
      { region: 'eu-west-1', service: 'es' },
    );
    const ex = exporter(fake);
    await ex.start();
    expect(await ex.send(items(60))).toEqual({ status: 'ok' });
    const again = await ex.send(items(60));
    expect(again.status === 'partial' && again.items.every((o) => o.status === 'duplicate')).toBe(true);
    await ex.shutdown();
    expect(fake.stored.size).toBe(60);
    expect(fake.seen.filter((s) => !s.verdict.ok)).toEqual([]);
    expect(fake.seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'PUT /_component_template/tracee-ecs%40mappings',
      'PUT /_component_template/tracee%40mappings',
      'PUT /_component_template/tracee%40settings',
      'PUT /_index_template/logs-tracee',
      'POST /_bulk',
      'POST /_bulk',
    ]);
    // host, the date, the payload hash and the session token are all under the signature
    expect(fake.seen[4].verdict.signedHeaders).toEqual(
      expect.arrayContaining(['host', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token']),
    );
  });

  it('gzip bodies are signed as sent; OpenSearch Serverless (aoss) scope', async () => {
    fake = await startFakeSigV4OpenSearch({ [KEY_ID]: { secret: SECRET } }, { region: 'us-east-2', service: 'aoss' });
    const ex = createOpenSearchExporter(
      {
        endpoints: fake.url,
        tls: { caFile: fake.caFile },
        compression: true,
        templates: 'skip',
        auth: { awsSigv4: { region: 'us-east-2', service: 'aoss' } },
        logger: { info() {}, warn() {} },
      },
      { awsCredentials: awsCredentialSource({ env: { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET } }) },
    );
    expect(await ex.send(items(25))).toEqual({ status: 'ok' });
    await ex.shutdown();
    expect(fake.seen.map((s) => [s.verdict.ok, s.verdict.service, s.verdict.region])).toEqual([
      [true, 'aoss', 'us-east-2'],
    ]);
    expect(fake.stored.size).toBe(25);
  });

  it('a wrong secret is refused (403): rejected as destination state, the secret and token in no reason or log line, even echoed back', async () => {
    fake = await startFakeSigV4OpenSearch(
      { [KEY_ID]: { secret: `${SECRET}-rotated`, sessionToken: TOKEN } },
      { region: 'eu-west-1', service: 'es', reflect: true },
    );
    const logs: string[] = [];
    const ex = exporter(fake, {}, env, logs);
    await expect(ex.start()).rejects.toThrow(/HTTP 403/);
    const out = await ex.send(items(3));
    await ex.shutdown();
    expect(out).toMatchObject({
      status: 'rejected',
      cause: 'destination_state',
      reason: expect.stringMatching(/^HTTP 403 from OpenSearch: /),
    });
    expect(fake.seen.every((s) => s.verdict.why === 'signature does not match')).toBe(true);
    const said = JSON.stringify([out, logs]);
    expect(said).toContain('request_headers'); // the echo reached the reason…
    expect(said).toContain('***'); // …with the token masked
    expect(said).not.toContain(TOKEN);
    expect(said).not.toContain(SECRET);
  });

  it('a whole run (config with auth.aws_sigv4, keys from the environment): delivered, and no secret on any log line', async () => {
    fake = await startFakeSigV4OpenSearch(
      { [KEY_ID]: { secret: SECRET, sessionToken: TOKEN } },
      { region: 'eu-west-1', service: 'es', reflect: true },
    );
    const saved = { ...process.env };
    Object.assign(process.env, env, { AWS_REGION: 'eu-west-1' });
    try {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigv4-'));
      const config = {
        version: 1,
        node: { name: 'n' },
        dead_letter: { path: path.join(dir, 'dl.ndjson') },
        sources: [{ type: 'stdin' }],
        exporters: [
          {
            type: 'opensearch',
            name: 'aws',
            endpoints: fake.url,
            tls: { ca_file: fake.caFile },
            auth: { aws_sigv4: {} },
            delivery: { flush_interval_ms: 20 },
          },
        ],
      } as unknown as RunConfig;
      const logs: string[] = [];
      const summary = await (
        await preparePipeline(
          config,
          { stdin: Readable.from([dnsEvents(0, 40).join('\n') + '\n']), log: (l) => logs.push(l) },
          { shutdownTimeoutMs: 30_000 },
        )
      ).run();
      expect(summary.exporters[0].ledger).toMatchObject({ entered: 40, delivered: 40, deadLettered: {} });
      expect(fake.stored.size).toBe(40);
      expect(fake.seen.every((s) => s.verdict.ok)).toBe(true);
      const all = logs.join('\n');
      expect(all).not.toContain(SECRET);
      expect(all).not.toContain(TOKEN);
      fs.rmSync(dir, { recursive: true, force: true });
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});

describe('auth.aws_sigv4 options', () => {
  const base = { endpoints: 'https://search-x.eu-west-1.es.amazonaws.com' };
  it('region from the option or AWS_REGION / AWS_DEFAULT_REGION; service es by default', () => {
    expect(
      resolveOpenSearchOptions({ ...base, auth: { awsSigv4: { region: 'eu-west-1' } } }, 'x', {}).awsSigv4,
    ).toEqual({ region: 'eu-west-1', service: 'es' });
    expect(
      resolveOpenSearchOptions({ ...base, auth: { awsSigv4: {} } }, 'x', { AWS_DEFAULT_REGION: 'ap-southeast-2' })
        .awsSigv4,
    ).toEqual({ region: 'ap-southeast-2', service: 'es' });
    expect(
      resolveOpenSearchOptions({ ...base, auth: { awsSigv4: { service: 'aoss', profile: 'p' } } }, 'x', {
        AWS_REGION: 'us-east-1',
      }).awsSigv4,
    ).toEqual({ region: 'us-east-1', service: 'aoss', profile: 'p' });
  });
  it('refuses: no region, http endpoints, keys in the file, username beside it', () => {
    expect(() => resolveOpenSearchOptions({ ...base, auth: { awsSigv4: {} } }, 'x', {})).toThrow(OpenSearchConfigError);
    expect(() =>
      resolveOpenSearchOptions(
        { endpoints: 'http://127.0.0.1:9201', auth: { awsSigv4: { region: 'eu-west-1' } } },
        'x',
        {},
      ),
    ).toThrow(/https/);
    expect(() =>
      resolveOpenSearchOptions(
        { ...base, auth: { awsSigv4: { region: 'eu-west-1', secret_access_key: 'x' } as never } },
        'x',
        {},
      ),
    ).toThrow(/never from this file/);
    expect(() =>
      resolveOpenSearchOptions(
        { ...base, auth: { awsSigv4: { region: 'eu-west-1' }, username: 'u' } as never },
        'x',
        {},
      ),
    ).toThrow(/alone/);
  });
});

describe('AWS credentials without the SDK (environment, shared credentials file)', () => {
  it('environment first; else the profile of the shared credentials file; read again after 5 minutes; a clear error when none', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'awscred-'));
    const file = path.join(dir, 'credentials');
    fs.writeFileSync(
      file,
      '# comment\n[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = defaultsecret\n\n[ci]\naws_access_key_id=AKIACI\naws_secret_access_key=cisecret\naws_session_token=citoken\n',
    );
    let now = 1_000_000;
    const fromEnv = await awsCredentialSource({
      env: { ...env, AWS_SHARED_CREDENTIALS_FILE: file },
      now: () => now,
    }).get();
    expect(fromEnv).toEqual({
      accessKeyId: KEY_ID,
      secretAccessKey: SECRET,
      sessionToken: TOKEN,
      expiration: new Date(now + 300_000),
    });
    const src = awsCredentialSource({ env: { AWS_SHARED_CREDENTIALS_FILE: file, AWS_PROFILE: 'ci' }, now: () => now });
    expect(await src.get()).toMatchObject({
      accessKeyId: 'AKIACI',
      secretAccessKey: 'cisecret',
      sessionToken: 'citoken',
    });
    expect([...src.secrets]).toEqual(['cisecret', 'citoken']);
    expect(await awsCredentialSource({ env: { AWS_SHARED_CREDENTIALS_FILE: file } }).get()).toMatchObject({
      accessKeyId: 'AKIADEFAULT',
    });
    // a rotated file is read again when the signer asks again (after `expiration`)
    fs.writeFileSync(file, '[ci]\naws_access_key_id=AKIACI2\naws_secret_access_key=cisecret2\n');
    now += 300_000;
    expect(await src.get()).toMatchObject({ accessKeyId: 'AKIACI2', secretAccessKey: 'cisecret2' });
    await expect(
      awsCredentialSource({ env: { AWS_SHARED_CREDENTIALS_FILE: file, AWS_PROFILE: 'nope' } }).get(),
    ).rejects.toThrow(/profile \[nope\] .* has no aws_access_key_id/);
    await expect(
      awsCredentialSource({ env: { AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'missing') } }).get(),
    ).rejects.toThrow(/no AWS credentials: .*ENOENT.*instance roles, IRSA and SSO are not supported/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
