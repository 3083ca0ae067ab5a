import { describe, expect, it } from 'vitest';
import { collectSecrets, isSecretKey, maskSecrets, maskUrl, scrub } from '../../../src/config/secrets.ts';

describe('secrets', () => {
  it('knows secret keys by name, not paths to key files', () => {
    for (const k of ['password', 'apiKey', 'api_key', 'bearer', 'bearer_token', 'shared_key', 'Authorization', 'client_secret', 'token']) expect(isSecretKey(k), k).toBe(true);
    for (const k of ['keyFile', 'key_file', 'cert_file', 'caFingerprint', 'username', 'endpoints', 'maxQueueItems']) expect(isSecretKey(k), k).toBe(false);
  });

  it('masks secret values, credential headers and URL credentials, keeping the rest', () => {
    const masked = maskSecrets({
      sources: [{ type: 'forward', shared_key: 'sk', users: [{ username: 'u', password: 'p' }] }],
      exporters: [
        { type: 'otlp_http', headers: { authorization: 'Bearer t', 'x-api-key': 'k', 'x-scope-orgid': 'tenant' }, endpoint: 'https://u:p@collector:4318/?token=abc&x=1' },
        { type: 'elasticsearch', auth: { apiKey: 'k' }, tls: { caFile: '/ca.pem' } },
      ],
    });
    expect(masked).toEqual({
      sources: [{ type: 'forward', shared_key: '***', users: [{ username: 'u', password: '***' }] }],
      exporters: [
        { type: 'otlp_http', headers: { authorization: '***', 'x-api-key': '***', 'x-scope-orgid': 'tenant' }, endpoint: 'https://***@collector:4318/?token=***&x=1' },
        { type: 'elasticsearch', auth: { apiKey: '***' }, tls: { caFile: '/ca.pem' } },
      ],
    });
  });

  it('scrubs collected secrets out of any message', () => {
    const secrets = collectSecrets({ auth: { password: 'hunter2' }, endpoints: 'https://elastic:changeme@es:9200' });
    expect([...secrets].sort()).toEqual(['elastic:changeme', 'hunter2']);
    expect(scrub('bad password hunter2 for https://elastic:changeme@es:9200', secrets)).toBe('bad password *** for https://***@es:9200');
    expect(maskUrl('http://es:9200')).toBe('http://es:9200');
  });

  it('a password with an unencoded @ is masked whole (URL parsers split user info at the last @)', () => {
    const url = 'https://elastic:p@ss-9z@es.example:9200/x@y';
    expect(new URL(url).host).toBe('es.example:9200');
    expect(maskUrl(url)).toBe('https://***@es.example:9200/x@y');
    expect(maskSecrets({ endpoints: [url] })).toEqual({ endpoints: ['https://***@es.example:9200/x@y'] });
    expect([...collectSecrets({ endpoints: url })]).toEqual(['elastic:p@ss-9z']);
    expect(scrub(`cannot reach ${url} (refused)`, collectSecrets({ endpoints: url }))).toBe('cannot reach https://***@es.example:9200/x@y (refused)');
    expect(maskUrl('see https://es:9200/a and mail ops@example.org')).toBe('see https://es:9200/a and mail ops@example.org');
  });
});
