import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadRunConfig, parseRunConfig } from '../../../src/config/run-config.ts';
import { DELIVERY_DEFAULTS } from '../../../src/delivery/options.ts';
import { OTLP_DEFAULTS } from '../../../src/exporters/otlp-http/options.ts';
import { DEFAULTS as ES_DEFAULTS } from '../../../src/exporters/elasticsearch/config.ts';
import { TELEMETRY_DEFAULTS } from '../../../src/telemetry/config.ts';
import { envSegment, propertiesOf, runConfigSchema } from '../../../src/config/schema-walk.ts';
import { topLevelScalarKeys } from '../../../src/config/env-overlay.ts';
import { deliverySchema } from '../../../src/delivery/config-schema.ts';
import { otlpHttpExporterSchema } from '../../../src/exporters/otlp-http/schema.ts';
import { elasticsearchExporterSchema } from '../../../src/exporters/elasticsearch/schema.ts';
import { camelCase } from '../../../src/util/schema-type.ts';

const BASE = 'version: 1\nexporters:\n  - type: console\n';
const parse = (env: Record<string, string>, text = BASE) => parseRunConfig(text, 'c.yaml', env);
const error = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('TRACEE_EXPORTER_* environment overlay', () => {
  it('sets a key per the schema type, camelCase or snake_case keys alike', () => {
    const c = parse({
      TRACEE_EXPORTER_DELIVERY__MAX_QUEUE_ITEMS: '5000',
      TRACEE_EXPORTER_DELIVERY__WHEN_FULL: 'drop_newest',
      TRACEE_EXPORTER_TELEMETRY__LOG_INTERVAL_MS: '0',
      TRACEE_EXPORTER_NODE__CLUSTER_NAME: 'prod',
      TRACEE_EXPORTER_MAPPING__FILES: 'a.yaml, b.yaml',
    });
    expect(c.delivery).toEqual({ max_queue_items: 5000, when_full: 'drop_newest' });
    expect(c.telemetry).toEqual({ log_interval_ms: 0 });
    expect(c.node).toEqual({ cluster_name: 'prod' });
    expect(c.mapping).toEqual({ files: ['a.yaml', 'b.yaml'] });
  });

  it('wins over the file', () => {
    const c = parse(
      { TRACEE_EXPORTER_DELIVERY__CONCURRENCY: '2' },
      `${BASE}delivery: { concurrency: 8, max_retries: 3 }\n`,
    );
    expect(c.delivery).toEqual({ concurrency: 2, max_retries: 3 });
  });

  it('addresses exporters by name or type, and adds one of a known type', () => {
    const text =
      'version: 1\nexporters:\n  - { type: elasticsearch, name: es-main, endpoints: "http://a:9200" }\n  - { type: console }\n';
    const c = parse(
      {
        TRACEE_EXPORTER_EXPORTERS__ES_MAIN__ENDPOINTS: 'http://b:9200,http://c:9200',
        TRACEE_EXPORTER_EXPORTERS__ES_MAIN__DATA_STREAM__NAMESPACE: 'prod',
        TRACEE_EXPORTER_EXPORTERS__ES_MAIN__SERVER_MAJOR: '8',
        TRACEE_EXPORTER_EXPORTERS__CONSOLE__FORMAT: 'otlp-json',
        TRACEE_EXPORTER_EXPORTERS__OTLP_HTTP__ENDPOINT: 'http://collector:4318',
        TRACEE_EXPORTER_EXPORTERS__1__PATH: 'stderr',
      },
      text,
    );
    expect(c.exporters).toEqual([
      {
        type: 'elasticsearch',
        name: 'es-main',
        endpoints: ['http://b:9200', 'http://c:9200'],
        data_stream: { namespace: 'prod' },
        server_major: 8,
      },
      { type: 'console', format: 'otlp-json', path: 'stderr' },
      { type: 'otlp_http', endpoint: 'http://collector:4318' },
    ]);
  });

  it('addresses sources by index or type', () => {
    const c = parse(
      { TRACEE_EXPORTER_SOURCES__WEBHOOK__LISTEN: '0.0.0.0:8080', TRACEE_EXPORTER_SOURCES__0__FOLLOW: 'true' },
      `${BASE}sources:\n  - { type: file, path: /x }\n`,
    );
    expect(c.sources).toEqual([
      { type: 'file', path: '/x', follow: true },
      { type: 'webhook', listen: '0.0.0.0:8080' },
    ]);
  });

  it('parses objects as JSON / YAML flow', () => {
    const c = parse({
      TRACEE_EXPORTER_EXPORTERS__OTLP_HTTP__HEADERS: '{"x-tenant": "t1"}',
      TRACEE_EXPORTER_EXPORTERS__OTLP_HTTP__TLS__INSECURE_SKIP_VERIFY: 'true',
    });
    expect(c.exporters[1]).toEqual({
      type: 'otlp_http',
      headers: { 'x-tenant': 't1' },
      tls: { insecure_skip_verify: true },
    });
  });

  it('errors name the variable and what is expected, never the value', () => {
    expect(error(() => parse({ TRACEE_EXPORTER_DELIVERY__MAX_QUEUE_ITEMS: 'lots' }))).toBe(
      'TRACEE_EXPORTER_DELIVERY__MAX_QUEUE_ITEMS: expected an integer',
    );
    expect(error(() => parse({ TRACEE_EXPORTER_DELIVERY__WHEN_FULL: 'wait' }))).toBe(
      'TRACEE_EXPORTER_DELIVERY__WHEN_FULL: expected one of block, drop_newest',
    );
    expect(error(() => parse({ TRACEE_EXPORTER_DELIVERY__MAX_QUEUE_ITMES: '1' }))).toMatch(
      /^TRACEE_EXPORTER_DELIVERY__MAX_QUEUE_ITMES: unknown key MAX_QUEUE_ITMES under delivery \(known: MAX_QUEUE_ITEMS, /,
    );
    expect(error(() => parse({ TRACEE_EXPORTER_EXPORTERS__NOPE__PATH: 'x' }))).toMatch(
      /^TRACEE_EXPORTER_EXPORTERS__NOPE__PATH: no entry named NOPE \(entries: CONSOLE; types: CONSOLE, OTLP_HTTP, ELASTICSEARCH/,
    );
    expect(error(() => parse({ TRACEE_EXPORTER_SOURCES__3__PATH: 'x' }))).toMatch(
      /^TRACEE_EXPORTER_SOURCES__3__PATH: there is no entry 3/,
    );
    // schema violations of a value set from the environment name the variable instead of a line
    expect(error(() => parse({ TRACEE_EXPORTER_DELIVERY__MAX_QUEUE_ITEMS: '0' }))).toBe(
      'c.yaml (TRACEE_EXPORTER_DELIVERY__MAX_QUEUE_ITEMS): delivery.max_queue_items: must be >= 1',
    );
    const secret = 'sup3r-s3cret-pw';
    expect(error(() => parse({ TRACEE_EXPORTER_EXPORTERS__ELASTICSEARCH__REQUEST_TIMEOUT_MS: secret }))).not.toContain(
      secret,
    );
  });

  it("cannot reach an object's prototype: no __proto__ key in a value, no __proto__ / constructor segment", () => {
    // a __proto__ key copied by assignment (config print, schema defaults) would swap that object's prototype: refused, the variable named
    for (const v of ['{"__proto__": {"x-polluted": "yes"}}', '{a: {__proto__: {polluted: yes}}}']) {
      expect(error(() => parse({ TRACEE_EXPORTER_EXPORTERS__OTLP_HTTP__HEADERS: v }))).toBe(
        'TRACEE_EXPORTER_EXPORTERS__OTLP_HTTP__HEADERS: the key "__proto__" is not allowed',
      );
    }
    expect(error(() => parse({ TRACEE_EXPORTER_MAPPING__OVERRIDES: '[{"__proto__": {"a": 1}}]' }))).toMatch(
      /^TRACEE_EXPORTER_MAPPING__OVERRIDES: /,
    );
    expect(error(() => parse({ TRACEE_EXPORTER___PROTO____POLLUTED: 'yes' }))).toMatch(
      /^TRACEE_EXPORTER___PROTO____POLLUTED: empty segment/,
    );
    expect(error(() => parse({ TRACEE_EXPORTER_DELIVERY__CONSTRUCTOR__PROTOTYPE__POLLUTED: 'yes' }))).toMatch(
      /unknown key CONSTRUCTOR under delivery/,
    );
    expect(error(() => parse({ TRACEE_EXPORTER_EXPORTERS__CONSOLE__PROTO__POLLUTED: 'yes' }))).toMatch(
      /unknown key PROTO under exporters\[0\]/,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>)['x-polluted']).toBeUndefined();
  });

  it('sets top-level single values with one segment (never version)', () => {
    const keys = topLevelScalarKeys(runConfigSchema());
    expect(keys).not.toContain('version');
    const props = (runConfigSchema() as { properties: Record<string, { type?: string }> }).properties;
    for (const k of keys) {
      // a value of the key's own type (data_dir: a path; memory_limit_mib: a number)
      const [text, value] = props[k].type === 'integer' ? ['64', 64] : ['/var/lib/x', '/var/lib/x'];
      const c = parse({ [`TRACEE_EXPORTER_${envSegment(k)}`]: text }) as unknown as Record<string, unknown>;
      expect(c[k], k).toBe(value);
    }
  });

  it('leaves the single-underscore variables alone (NODE_NAME, TELEMETRY_LISTEN, CONFIG, VERSION)', () => {
    const c = parse({
      TRACEE_EXPORTER_NODE_NAME: 'n',
      TRACEE_EXPORTER_TELEMETRY_LISTEN: ':9464',
      TRACEE_EXPORTER_CONFIG: '/x',
      TRACEE_EXPORTER_VERSION: '0.1.0',
    });
    expect(c).toEqual({ version: 1, exporters: [{ type: 'console' }] });
  });
});

describe('the old variables of the exporter buffer (before it moved into delivery.buffer)', () => {
  const details = () => ({}) as { warnings?: string[] };
  it('TRACEE_EXPORTER_EXPORTERS__<NAME>__BUFFER__* loads as …__DELIVERY__BUFFER__*, with a warning naming the new variable', () => {
    const d = details();
    const c = parseRunConfig(
      'version: 1\nexporters:\n  - { type: console, name: out, delivery: { buffer: { fsync: never } } }\n',
      'c.yaml',
      {
        TRACEE_EXPORTER_EXPORTERS__OUT__BUFFER__TYPE: 'disk',
        TRACEE_EXPORTER_EXPORTERS__OUT__BUFFER__MAX_BYTES: '1048576',
      },
      d,
    );
    expect(c.exporters[0].delivery).toEqual({ buffer: { fsync: 'never', type: 'disk', max_bytes: 1048576 } });
    expect(c.exporters[0]).not.toHaveProperty('buffer');
    expect(d.warnings).toEqual([
      'TRACEE_EXPORTER_EXPORTERS__OUT__BUFFER__MAX_BYTES is deprecated: use TRACEE_EXPORTER_EXPORTERS__OUT__DELIVERY__BUFFER__MAX_BYTES',
      'TRACEE_EXPORTER_EXPORTERS__OUT__BUFFER__TYPE is deprecated: use TRACEE_EXPORTER_EXPORTERS__OUT__DELIVERY__BUFFER__TYPE',
    ]);
    // addressed by type, and the whole buffer as one value
    const byType = details();
    const t = parseRunConfig(
      BASE,
      'c.yaml',
      { TRACEE_EXPORTER_EXPORTERS__CONSOLE__BUFFER: '{type: disk, fsync: always}' },
      byType,
    );
    expect(t.exporters[0].delivery).toEqual({ buffer: { type: 'disk', fsync: 'always' } });
    expect(byType.warnings).toEqual([
      'TRACEE_EXPORTER_EXPORTERS__CONSOLE__BUFFER is deprecated: use TRACEE_EXPORTER_EXPORTERS__CONSOLE__DELIVERY__BUFFER',
    ]);
  });

  it('the new variables load without a warning; both spellings of one setting are refused', () => {
    const d = details();
    const c = parseRunConfig(BASE, 'c.yaml', { TRACEE_EXPORTER_EXPORTERS__CONSOLE__DELIVERY__BUFFER__TYPE: 'disk' }, d);
    expect(c.exporters[0].delivery).toEqual({ buffer: { type: 'disk' } });
    expect(d.warnings ?? []).toEqual([]);
    expect(
      error(() =>
        parse({
          TRACEE_EXPORTER_EXPORTERS__CONSOLE__BUFFER__TYPE: 'disk',
          TRACEE_EXPORTER_EXPORTERS__CONSOLE__DELIVERY__BUFFER__TYPE: 'memory',
        }),
      ),
    ).toBe(
      'TRACEE_EXPORTER_EXPORTERS__CONSOLE__BUFFER__TYPE: TRACEE_EXPORTER_EXPORTERS__CONSOLE__BUFFER__TYPE and TRACEE_EXPORTER_EXPORTERS__CONSOLE__DELIVERY__BUFFER__TYPE are the same setting: keep only TRACEE_EXPORTER_EXPORTERS__CONSOLE__DELIVERY__BUFFER__TYPE',
    );
  });
});

describe('configuration without a file', () => {
  it('reads TRACEE_EXPORTER_CONFIG when no file is given', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'te-cfg-'));
    fs.writeFileSync(path.join(dir, 'c.yaml'), BASE);
    expect(loadRunConfig(undefined, { TRACEE_EXPORTER_CONFIG: path.join(dir, 'c.yaml') }).exporters).toEqual([
      { type: 'console' },
    ]);
  });

  it('builds the whole configuration from the environment', () => {
    const c = loadRunConfig(undefined, {
      TRACEE_EXPORTER_EXPORTERS__ELASTICSEARCH__DATA_STREAM__NAMESPACE: 'prod',
      ELASTICSEARCH_URL: 'https://es:9200',
      ELASTICSEARCH_API_KEY: 'a2V5',
    });
    expect(c).toEqual({
      version: 1,
      exporters: [
        {
          type: 'elasticsearch',
          data_stream: { namespace: 'prod' },
          endpoints: 'https://es:9200',
          auth: { api_key: 'a2V5' },
        },
      ],
    });
  });

  it('says what to do when there is nothing', () => {
    expect(error(() => loadRunConfig(undefined, {}))).toMatch(
      /^no configuration: give --config FILE or TRACEE_EXPORTER_CONFIG=FILE, or configure from the environment/,
    );
  });
});

describe('ELASTICSEARCH_* variables', () => {
  const es = (env: Record<string, string>, extra = '') =>
    parse(env, `version: 1\nexporters:\n  - type: elasticsearch\n${extra}`).exporters[0];

  it('fill what an elasticsearch exporter leaves out', () => {
    expect(
      es({
        ELASTICSEARCH_URL: 'https://a:9200, https://b:9200',
        ELASTICSEARCH_USERNAME: 'u',
        ELASTICSEARCH_PASSWORD: 'p',
        ELASTICSEARCH_CA_FILE: '/ca.pem',
      }),
    ).toEqual({
      type: 'elasticsearch',
      endpoints: ['https://a:9200', 'https://b:9200'],
      auth: { username: 'u', password: 'p' },
      tls: { ca_file: '/ca.pem' },
    });
    expect(
      es({ ELASTICSEARCH_CLOUD_ID: 'x:eHl6', ELASTICSEARCH_API_KEY: 'k', ELASTICSEARCH_CA_FINGERPRINT: 'AA' }),
    ).toEqual({ type: 'elasticsearch', cloud_id: 'x:eHl6', auth: { api_key: 'k' }, tls: { ca_fingerprint: 'AA' } });
  });

  it('never replace what the file says', () => {
    expect(
      es(
        { ELASTICSEARCH_URL: 'https://env:9200', ELASTICSEARCH_API_KEY: 'k' },
        '    endpoints: https://file:9200\n    auth: { bearer: t }\n',
      ),
    ).toEqual({ type: 'elasticsearch', endpoints: 'https://file:9200', auth: { bearer: 't' } });
  });
});

describe('${file:/path} references', () => {
  it('read the file, trailing newline trimmed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'te-secret-'));
    fs.writeFileSync(path.join(dir, 'api-key'), 'c2VjcmV0\n');
    const c = parse(
      {},
      `version: 1\nexporters:\n  - type: elasticsearch\n    endpoints: http://es:9200\n    auth: { api_key: "\${file:${dir}/api-key}" }\n`,
    );
    expect((c.exporters[0] as { auth?: unknown }).auth).toEqual({ api_key: 'c2VjcmV0' });
  });

  it('errors name the key and the path', () => {
    expect(
      error(() =>
        parse(
          {},
          'version: 1\nexporters:\n  - type: elasticsearch\n    auth: { api_key: "${file:/nonexistent/key}" }\n',
        ),
      ),
    ).toBe('c.yaml:4:22 (exporters[0].auth.api_key): cannot read secret file /nonexistent/key: ENOENT');
  });
});

describe('schema defaults', () => {
  // the schema documents the defaults (docs, editors, config print); the code applies them
  const root = runConfigSchema();
  const defaultsOf = (s: unknown) =>
    Object.fromEntries(
      Object.entries(propertiesOf(root, s))
        .filter(([, v]) => 'default' in v)
        .map(([k, v]) => [k, v.default]),
    );
  const defs = {
    delivery: deliverySchema,
    exporter_otlp_http: otlpHttpExporterSchema,
    exporter_elasticsearch: elasticsearchExporterSchema,
  } as Record<string, unknown>;

  it('match the code', () => {
    for (const [k, v] of Object.entries(defaultsOf(defs.delivery)))
      if (k !== 'buffer')
        expect(v, `delivery.${k}`).toBe(DELIVERY_DEFAULTS[camelCase(k) as keyof typeof DELIVERY_DEFAULTS]);
    expect(Object.keys(defaultsOf(defs.delivery)).length).toBeGreaterThanOrEqual(10);
    const otlp = defaultsOf(defs.exporter_otlp_http);
    expect(otlp).toMatchObject({
      compression: OTLP_DEFAULTS.compression,
      timeout_ms: OTLP_DEFAULTS.timeoutMs,
      protocol: OTLP_DEFAULTS.protocol,
      max_request_bytes: OTLP_DEFAULTS.maxRequestBytes,
      max_response_bytes: OTLP_DEFAULTS.maxResponseBytes,
    });
    const esd = defaultsOf(defs.exporter_elasticsearch);
    expect(esd).toMatchObject({
      request_timeout_ms: ES_DEFAULTS.requestTimeoutMs,
      max_bulk_bytes: ES_DEFAULTS.maxBulkBytes,
    });
    expect(defaultsOf(propertiesOf(root, defs.exporter_elasticsearch).data_stream)).toEqual({
      events_dataset: ES_DEFAULTS.eventsDataset,
      alerts_dataset: ES_DEFAULTS.alertsDataset,
      namespace: ES_DEFAULTS.namespace,
    });
    const tel = defaultsOf((root.properties as Record<string, unknown>).telemetry);
    expect(tel).toEqual({
      log_interval_ms: TELEMETRY_DEFAULTS.logIntervalMs,
      not_ready_after_retrying_ms: TELEMETRY_DEFAULTS.notReadyAfterRetryingMs,
    });
  });
});
