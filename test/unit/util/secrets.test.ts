import { describe, expect, it } from 'vitest';
import { collectSecrets, isSecretKey, maskSecrets, maskUrl, scrub } from '../../../src/util/secrets.ts';
import { collectEnvSecrets, redact, registerSecrets } from '../../../src/util/secrets.ts';

describe('secrets', () => {
  it('knows secret keys by name, not paths to key files', () => {
    for (const k of [
      'password',
      'apiKey',
      'api_key',
      'bearer',
      'bearer_token',
      'shared_key',
      'Authorization',
      'client_secret',
      'token',
    ])
      expect(isSecretKey(k), k).toBe(true);
    for (const k of ['keyFile', 'key_file', 'cert_file', 'caFingerprint', 'username', 'endpoints', 'maxQueueItems'])
      expect(isSecretKey(k), k).toBe(false);
  });

  it('masks secret values, credential headers and URL credentials, keeping the rest', () => {
    const masked = maskSecrets({
      sources: [{ type: 'forward', shared_key: 'sk', users: [{ username: 'u', password: 'p' }] }],
      exporters: [
        {
          type: 'otlp_http',
          headers: { authorization: 'Bearer t', 'x-api-key': 'k', 'x-scope-orgid': 'tenant' },
          endpoint: 'https://u:p@collector:4318/?token=abc&x=1',
        },
        { type: 'elasticsearch', auth: { apiKey: 'k' }, tls: { caFile: '/ca.pem' } },
      ],
    });
    expect(masked).toEqual({
      sources: [{ type: 'forward', shared_key: '***', users: [{ username: 'u', password: '***' }] }],
      exporters: [
        {
          type: 'otlp_http',
          headers: { authorization: '***', 'x-api-key': '***', 'x-scope-orgid': 'tenant' },
          endpoint: 'https://***@collector:4318/?token=***&x=1',
        },
        { type: 'elasticsearch', auth: { apiKey: '***' }, tls: { caFile: '/ca.pem' } },
      ],
    });
  });

  it('scrubs collected secrets out of any message', () => {
    const secrets = collectSecrets({ auth: { password: 'hunter2' }, endpoints: 'https://elastic:changeme@es:9200' });
    expect([...secrets].sort()).toEqual(['elastic:changeme', 'hunter2']);
    expect(scrub('bad password hunter2 for https://elastic:changeme@es:9200', secrets)).toBe(
      'bad password *** for https://***@es:9200',
    );
    expect(maskUrl('http://es:9200')).toBe('http://es:9200');
  });

  it('a password with an unencoded @ is masked whole (URL parsers split user info at the last @)', () => {
    const url = 'https://elastic:p@ss-9z@es.example:9200/x@y';
    expect(new URL(url).host).toBe('es.example:9200');
    expect(maskUrl(url)).toBe('https://***@es.example:9200/x@y');
    expect(maskSecrets({ endpoints: [url] })).toEqual({ endpoints: ['https://***@es.example:9200/x@y'] });
    expect([...collectSecrets({ endpoints: url })]).toEqual(['elastic:p@ss-9z']);
    expect(scrub(`cannot reach ${url} (refused)`, collectSecrets({ endpoints: url }))).toBe(
      'cannot reach https://***@es.example:9200/x@y (refused)',
    );
    expect(maskUrl('see https://es:9200/a and mail ops@example.org')).toBe(
      'see https://es:9200/a and mail ops@example.org',
    );
  });
});

describe('redact: the one function for every line that leaves the process', () => {
  it('masks registered secrets, URL user info, secret query parameters and credential shapes', () => {
    registerSecrets(['reg-Sekr1t-aa11']);
    expect(redact('failed with reg-Sekr1t-aa11 in it')).toBe('failed with *** in it');
    expect(redact('POST http://u:p%40ss@host:4318/v1/logs?api_key=k1&x=1')).toBe(
      'POST http://***@host:4318/v1/logs?api_key=***&x=1',
    );
    expect(redact('sent Authorization: Bearer abc.def.ghi and proxy-authorization=Basic dXNlcjpw')).toBe(
      'sent Authorization: Bearer *** and proxy-authorization=Basic ***',
    );
    expect(redact('{"password":"x\\"y","user":"u","api_key":"k"}')).toBe(
      '{"password":"***","user":"u","api_key":"***"}',
    );
    expect(redact('token=abc; password=hunter2')).toBe('token=***; password=***');
    expect(redact('exporters.0.headers.authorization: expected a string')).toBe(
      'exporters.0.headers.authorization: expected a string',
    );
    expect(redact('one-off', ['one-off'])).toBe('***');
  });

  it('collectEnvSecrets: secret-named variables, user info even of a value no URL parser takes, OTLP header values; not flags', () => {
    const s = collectEnvSecrets({
      ELASTICSEARCH_PASSWORD: 'pw-123456',
      SOME_TOKEN_ENABLED: 'true',
      PATH: '/usr/bin',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'htp://user:pa ss@bad host/v1',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abcd%20ef,x-short=ab',
    });
    expect([...s].sort()).toEqual(['abcd ef', 'abcd%20ef', 'pa ss', 'pw-123456', 'user:pa ss'].sort());
  });
});

describe('collectSecrets: configured header values', () => {
  it('every header value is a secret but media types and user agents', () => {
    const s = collectSecrets({
      headers: {
        'X-Scope-OrgID': 'tenant-42',
        'Content-Type': 'application/json',
        'User-Agent': 'tracee-exporter',
        Authorization: 'Bearer abc',
      },
    });
    expect([...s].sort()).toEqual(['Bearer abc', 'tenant-42']);
  });
});
