import { describe, expect, it } from 'vitest';
import { OTLP_DEFAULTS, OtlpOptionsError, resolveOtlpOptions } from '../../../../src/exporters/otlp-http/options.ts';
import type { Env, OtlpHttpOptions } from '../../../../src/exporters/otlp-http/options.ts';

function resolve(explicit: OtlpHttpOptions, env: Env) {
  const warnings: string[] = [];
  const r = resolveOtlpOptions(explicit, env, (m) => warnings.push(m));
  return { r, warnings };
}

describe('resolveOtlpOptions: defaults', () => {
  it('uses the spec defaults with an empty environment', () => {
    const { r, warnings } = resolve({}, {});
    expect(r.url).toBe('http://localhost:4318/v1/logs');
    expect(r.protocol).toBe('http/protobuf');
    expect(r.compression).toBe('gzip');
    expect(r.timeoutMs).toBe(10_000);
    expect(r.headers).toEqual({});
    expect(r.maxRequestBytes).toBe(4 * 1024 * 1024);
    expect(r.resourceDefaults).toEqual({ 'service.name': 'tracee' });
    expect(r.resourceOverrides).toEqual({});
    expect(r.tls).toEqual({ caFile: undefined, certFile: undefined, keyFile: undefined, insecureSkipVerify: false });
    expect(r.userAgent).toMatch(/^tracee-exporter\/\d+\.\d+\.\d+/);
    expect(warnings).toEqual([]);
  });
});

describe('resolveOtlpOptions: endpoint', () => {
  it('appends /v1/logs to the generic variable, with or without a trailing slash or base path', () => {
    expect(resolve({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).r.url).toBe('http://c:4318/v1/logs');
    expect(resolve({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' }).r.url).toBe('http://c:4318/v1/logs');
    expect(resolve({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c/otlp' }).r.url).toBe('https://c/otlp/v1/logs');
    expect(resolve({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c/otlp/' }).r.url).toBe('https://c/otlp/v1/logs');
  });

  it('uses the LOGS variable as is, and it beats the generic one', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4318',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs:9999/custom/path',
    };
    expect(resolve({}, env).r.url).toBe('http://logs:9999/custom/path');
  });

  it('explicit logsEndpoint > explicit endpoint > env', () => {
    const env = { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs:1/x' };
    expect(resolve({ endpoint: 'http://e:2' }, env).r.url).toBe('http://e:2/v1/logs');
    expect(resolve({ endpoint: 'http://e:2', logsEndpoint: 'http://le:3/y' }, env).r.url).toBe('http://le:3/y');
  });

  it('warns about and skips an invalid env endpoint, falling back to the next layer', () => {
    const { r, warnings } = resolve(
      {},
      { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'ftp://nope', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ok:1' },
    );
    expect(r.url).toBe('http://ok:1/v1/logs');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT ignored');
  });

  it('throws on an invalid explicit endpoint', () => {
    expect(() => resolve({ endpoint: 'collector:4318' }, {})).toThrow(OtlpOptionsError);
    expect(() => resolve({ logsEndpoint: 'not a url' }, {})).toThrow(/otlp_http\.logsEndpoint: not a URL/);
  });
});

describe('resolveOtlpOptions: headers', () => {
  it('parses k=v lists, URL-decodes them and merges explicit > LOGS > generic per (case-insensitive) name', () => {
    const env = {
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Basic%20Z2VuZXJpYw%3D%3D, x-tenant=generic,x-only-generic=1',
      OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x-tenant=logs,authorization=Bearer%20logs',
    };
    const { r } = resolve({ headers: { 'X-Tenant': 'explicit' } }, env);
    expect(r.headers).toEqual({ authorization: 'Bearer logs', 'x-tenant': 'explicit', 'x-only-generic': '1' });
  });

  it('keeps "=" inside values (base64 tokens)', () => {
    expect(resolve({}, { OTEL_EXPORTER_OTLP_HEADERS: 'api-key=abc==' }).r.headers).toEqual({ 'api-key': 'abc==' });
  });

  it('warns without the secret value on a malformed env list and ignores that variable', () => {
    const { r, warnings } = resolve(
      {},
      { OTEL_EXPORTER_OTLP_HEADERS: 'authorization Bearer s3cr3t-token', OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'a=b' },
    );
    expect(r.headers).toEqual({ a: 'b' });
    expect(warnings.join('\n')).toContain('OTEL_EXPORTER_OTLP_HEADERS ignored');
    expect(warnings.join('\n')).not.toContain('s3cr3t');
  });

  it('does not echo a bad percent-encoded secret value', () => {
    const { warnings } = resolve({}, { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=s3cr3t%zz' });
    expect(warnings.join('\n')).toContain('authorization');
    expect(warnings.join('\n')).not.toContain('s3cr3t');
  });

  it('throws on an invalid explicit header, without the value', () => {
    let err: Error | undefined;
    try {
      resolve({ headers: { authorization: 's3cr3t\r\nx: y' } }, {});
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(OtlpOptionsError);
    expect(err!.message).toContain('authorization');
    expect(err!.message).not.toContain('s3cr3t');
    expect(() => resolve({ headers: { 'bad name': 'v' } }, {})).toThrow(/invalid header name/);
  });
});

describe('resolveOtlpOptions: compression, timeout, protocol', () => {
  it('explicit > LOGS > generic > default', () => {
    const env = {
      OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
      OTEL_EXPORTER_OTLP_TIMEOUT: '500',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    };
    expect(resolve({}, env).r).toMatchObject({ compression: 'none', timeoutMs: 500, protocol: 'http/json' });
    const logsEnv = {
      ...env,
      OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '700',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf',
    };
    expect(resolve({}, logsEnv).r).toMatchObject({ compression: 'gzip', timeoutMs: 700, protocol: 'http/protobuf' });
    expect(resolve({ compression: 'none', timeoutMs: 42, protocol: 'http/json' }, logsEnv).r).toMatchObject({
      compression: 'none',
      timeoutMs: 42,
      protocol: 'http/json',
    });
  });

  it('warns about and ignores invalid env values (grpc, bad numbers, unknown compression)', () => {
    const { r, warnings } = resolve(
      {},
      {
        OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TIMEOUT: '10s',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd',
      },
    );
    expect(r.protocol).toBe('http/json');
    expect(r.timeoutMs).toBe(OTLP_DEFAULTS.timeoutMs);
    expect(r.compression).toBe(OTLP_DEFAULTS.compression);
    expect(warnings).toHaveLength(3);
    expect(warnings.join('\n')).toMatch(/grpc.*not supported/);
  });

  it('throws on invalid explicit values', () => {
    expect(() => resolve({ timeoutMs: 0 }, {})).toThrow(/timeoutMs/);
    expect(() => resolve({ timeoutMs: 1.5 }, {})).toThrow(/timeoutMs/);
    expect(() => resolve({ protocol: 'grpc' as never }, {})).toThrow(/protocol/);
    expect(() => resolve({ compression: 'br' as never }, {})).toThrow(/compression/);
    expect(() => resolve({ maxRequestBytes: 10 }, {})).toThrow(/maxRequestBytes: expected an integer >= 1024/);
  });
});

describe('resolveOtlpOptions: TLS', () => {
  it('reads CERTIFICATE / CLIENT_CERTIFICATE / CLIENT_KEY with LOGS precedence; explicit wins', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4318',
      OTEL_EXPORTER_OTLP_CERTIFICATE: '/g/ca.pem',
      OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE: '/l/ca.pem',
      OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: '/g/cert.pem',
      OTEL_EXPORTER_OTLP_CLIENT_KEY: '/g/key.pem',
    };
    expect(resolve({}, env).r.tls).toEqual({
      caFile: '/l/ca.pem',
      certFile: '/g/cert.pem',
      keyFile: '/g/key.pem',
      insecureSkipVerify: false,
    });
    expect(resolve({ tls: { caFile: '/e/ca.pem', insecureSkipVerify: true } }, env).r.tls).toEqual({
      caFile: '/e/ca.pem',
      certFile: '/g/cert.pem',
      keyFile: '/g/key.pem',
      insecureSkipVerify: true,
    });
  });

  it('a client certificate without a key: explicit throws, env warns and drops both', () => {
    expect(() => resolve({ endpoint: 'https://c', tls: { certFile: '/c.pem' } }, {})).toThrow(/together/);
    const { r, warnings } = resolve({ endpoint: 'https://c' }, { OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: '/c.pem' });
    expect(r.tls.certFile).toBeUndefined();
    expect(warnings.join()).toMatch(/together/);
  });

  it('warns when TLS settings are given for a plain http endpoint', () => {
    expect(resolve({ tls: { caFile: '/ca.pem' } }, {}).warnings.join()).toMatch(/plain http/);
  });
});

describe('resolveOtlpOptions: resource', () => {
  it('OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME are operator overrides; explicit wins', () => {
    const env = {
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,service.name=from-attrs,team=sec%2Cops',
      OTEL_SERVICE_NAME: 'from-env',
    };
    expect(resolve({}, env).r.resourceOverrides).toEqual({
      'deployment.environment.name': 'prod',
      'service.name': 'from-env',
      team: 'sec,ops',
    });
    expect(
      resolve({ serviceName: 'explicit', resourceAttributes: { 'cluster.name': 'c1' } }, env).r.resourceOverrides,
    ).toEqual({
      'deployment.environment.name': 'prod',
      'service.name': 'explicit',
      team: 'sec,ops',
      'cluster.name': 'c1',
    });
  });

  it('discards the whole OTEL_RESOURCE_ATTRIBUTES on a decoding error (spec) with a warning', () => {
    const { r, warnings } = resolve({}, { OTEL_RESOURCE_ATTRIBUTES: 'a=1,b=%E0%A4%A' });
    expect(r.resourceOverrides).toEqual({});
    expect(warnings.join()).toMatch(/OTEL_RESOURCE_ATTRIBUTES ignored/);
  });

  it('throws on an empty explicit service name', () => {
    expect(() => resolve({ serviceName: ' ' }, {})).toThrow(/serviceName/);
  });
});
