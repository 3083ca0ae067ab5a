import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { spawnSync } from 'node:child_process';
import { runConfigCheck, runConfigPrint, type ConfigCommandIO } from '../../../src/cli/config-command.ts';
import { ROOT } from '../../helpers/samples.ts';

async function run(
  cmd: (file: string | undefined, io: ConfigCommandIO) => number | Promise<number>,
  file: string | undefined,
  env: NodeJS.ProcessEnv = {},
) {
  let out = '';
  let err = '';
  const code = await cmd(file, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env,
  });
  return { code, out, err };
}

function tmpConfig(text: string, name = 'cfg.yaml'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'te-config-cmd-'));
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
}

const PASSWORD = 'Pa55w0rd-never-shown';
const checkLoadingPlugins = (file: string | undefined, io: ConfigCommandIO) =>
  runConfigCheck(file, io, { loadPlugins: true });

describe('config check', () => {
  it('accepts every example config with "ok" and a summary', async () => {
    const dir = path.join(ROOT, 'examples/config');
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
      const r = await run(runConfigCheck, path.join(dir, f), { NODE_NAME: 'n' });
      expect(r.code, `${f}: ${r.err}`).toBe(0);
      expect(r.out).toMatch(new RegExp(`^ok: ${path.join(dir, f).replace(/[.]/g, '\\.')}\\n  sources: `));
      expect(r.out).toMatch(/\n {2}exporters: /);
    }
  });

  it('--load-plugins: loads and builds exporter modules (without starting them): the example plugin passes, a broken one fails at its key', async () => {
    const example = path.join(ROOT, 'examples/plugins/http-ndjson/tracee-exporter.yaml');
    const ok = await run(checkLoadingPlugins, example, { HTTP_NDJSON_URL: 'http://collector.example:8080/ingest' });
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(
      /\n {2}exporters: http-ndjson \(module \/.+\/examples\/plugins\/http-ndjson\/index\.mjs → ecs\)\n/,
    );
    // the plugin's own option check runs: a bad url is refused at the exporter's line
    const badUrl = await run(checkLoadingPlugins, example, { HTTP_NDJSON_URL: 'ftp://nowhere' });
    expect(badUrl.code).toBe(1);
    expect(badUrl.err).toMatch(
      /tracee-exporter\.yaml:\d+:\d+: exporters\[0\]: exporter module "\/.+index\.mjs": createExporter failed: url: expected an http\(s\) URL, got "ftp:\/\/nowhere"\n$/,
    );
    const missing = await run(
      checkLoadingPlugins,
      tmpConfig('version: 1\nexporters:\n  - type: module\n    module: ./no-such-plugin.mjs\n'),
    );
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(
      /cfg\.yaml:4:\d+: exporters\[0\]\.module: cannot load exporter module ".+no-such-plugin\.mjs": /,
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'te-config-plugin-'));
    fs.writeFileSync(
      path.join(dir, 'otel.mjs'),
      "export function createExporter() { return { name: 'p', target: 'otel', start: async () => {}, send: async () => ({ status: 'ok' }), shutdown: async () => {} }; }\n",
    );
    fs.writeFileSync(
      path.join(dir, 'cfg.yaml'),
      'version: 1\nexporters:\n  - type: module\n    module: ./otel.mjs\n    drop_fields: [orchestrator.namespace]\n',
    );
    // the target is the plugin's: an ECS name is not an OTel attribute
    const trim = await run(checkLoadingPlugins, path.join(dir, 'cfg.yaml'));
    expect(trim.code).toBe(1);
    expect(trim.err).toMatch(
      /cfg\.yaml:5:\d+: exporters\[0\]\.drop_fields: "orchestrator\.namespace" is not an OTel attribute/,
    );
    // next to a built-in whose summary has "; " in it, each keeps its own place
    fs.writeFileSync(
      path.join(dir, 'two.yaml'),
      'version: 1\nexporters:\n  - type: elasticsearch\n    endpoints: http://es:9200\n  - type: module\n    module: ./otel.mjs\n',
    );
    const two = await run(checkLoadingPlugins, path.join(dir, 'two.yaml'));
    expect(two.code, two.err).toBe(0);
    expect(two.out).toMatch(
      /\n {2}exporters: elasticsearch → http:\/\/es:9200 \([^)]*; auth: none\); p \(module \/\S+\/otel\.mjs → otel\)\n/,
    );
  });

  it('rejects what run would reject, naming file:line, the key and what is expected', async () => {
    const cases: Array<[string, RegExp]> = [
      [
        'version: 1\nexporters:\n  - type: console\n    delivery: { max_queue_items: 10, max_batch_items: 50 }\n',
        /cfg\.yaml:4:\d+: exporters\[0\]\.delivery\.max_batch_items: must be <= max_queue_items \(10\), got 50$/,
      ],
      [
        'version: 1\nexporters:\n  - type: elasticsearch\n    endpoints: ftp://es\n',
        /cfg\.yaml:4:\d+: exporters\[0\]\.endpoints\[0\]: expected an http\(s\) URL, got "ftp:\/\/es"$/,
      ],
      [
        'version: 1\nexporters:\n  - type: elasticsearch\n    endpoints: http://es:9200\n    tls: { ca_fingerprint: "AA:BB" }\n',
        /cfg\.yaml:5:\d+: exporters\[0\]\.tls\.ca_fingerprint: only applies to https endpoints$/,
      ],
      [
        'version: 1\nexporters:\n  - type: otlp_http\n    endpoint: "not a url"\n',
        /cfg\.yaml:4:\d+: exporters\[0\]\.endpoint: /,
      ],
      [
        'version: 1\nexporters:\n  - type: console\n    format: xml\n',
        /cfg\.yaml:4:\d+: exporters\[0\]\.format: must be equal to one of the allowed values: ecs, otlp-json$/,
      ],
      [
        'version: 1\nmapping:\n  overrides: { fields: [{ nonsense: 1 }] }\nexporters: [{ type: console }]\n',
        /mapping\.overrides/,
      ],
      [
        'version: 1\nmapping:\n  files: [/nonexistent/table.yaml]\nexporters: [{ type: console }]\n',
        /cfg\.yaml:3:\d+: mapping\.files\[0\]: \/nonexistent\/table\.yaml: ENOENT/,
      ],
      [
        'version: 1\nsources:\n  - type: webhook\n    listen: "127.0.0.1:99999"\nexporters: [{ type: console }]\n',
        /cfg\.yaml:4:\d+: sources\[0\]\.listen: expected host:port/,
      ],
      [
        'version: 1\nsources:\n  - type: webhook\n    tls: { cert_file: /nonexistent.pem, key_file: /nonexistent.key }\nexporters: [{ type: console }]\n',
        /cfg\.yaml:4:\d+: sources\[0\]\.tls\.cert_file: ENOENT/,
      ],
      [
        'version: 1\nexporters:\n  - type: console\n    trim: [tracee_data, nosuch]\n',
        /cfg\.yaml:4:\d+: exporters\[0\]\.trim: unknown group "nosuch" \(known: tracee_data, /,
      ],
      [
        'version: 1\nexporters:\n  - type: console\n    format: otlp-json\n    drop_fields: [process.nosuch]\n',
        /cfg\.yaml:5:\d+: exporters\[0\]\.drop_fields: "process\.nosuch" is not an OTel attribute/,
      ],
      [
        'version: 1\nsources:\n  - type: grpc\n    address: "tcp:99999"\nexporters: [{ type: console }]\n',
        /cfg\.yaml:4:\d+: sources\[0\]\.address: "tcp:99999": expected /,
      ],
      [
        'version: 1\nsources:\n  - type: forward\n    listen: "127.0.0.1:99999"\nexporters: [{ type: console }]\n',
        /cfg\.yaml:4:\d+: sources\[0\]\.listen: expected host:port/,
      ],
      [
        'version: 1\nsources:\n  - type: forward\n    tls: { cert_file: /nonexistent.pem, key_file: /nonexistent.key }\nexporters: [{ type: console }]\n',
        /cfg\.yaml:4:\d+: sources\[0\]\.tls\.cert_file: ENOENT/,
      ],
      [
        'version: 1\nsources:\n  - type: grpc\n    address: "tcp:tracee:99999"\nexporters: [{ type: console }]\n',
        /cfg\.yaml:4:\d+: sources\[0\]\.address: "tcp:tracee:99999": expected unix:\/\/\/path\/to\/tracee\.sock, host:port or tcp:port$/,
      ],
    ];
    for (const [text, want] of cases) {
      const r = await run(runConfigCheck, tmpConfig(text));
      expect(r.code, text).toBe(1);
      expect(r.out).toBe('');
      expect(r.err.trim(), text).toMatch(want);
      expect(r.err).toMatch(/^tracee-exporter: config check: /);
    }
  });

  it('warns about keys an exporter does not know', async () => {
    const r = await run(
      runConfigCheck,
      tmpConfig(
        'version: 1\nexporters:\n  - type: elasticsearch\n    endpoints: http://es:9200\n    endpoint: http://typo:9200\n',
      ),
    );
    expect(r.code).toBe(0);
    expect(r.err).toMatch(
      /warning: .*cfg\.yaml:5:\d+: exporters\[0\]\.endpoint: not an option of elasticsearch exporters/,
    );
  });

  it('never echoes a secret in an error', async () => {
    // a wrong URL carrying credentials, a password next to a bad key, a secret in the environment
    const texts = [
      `version: 1\nexporters:\n  - type: elasticsearch\n    endpoints: "ftp://elastic:${PASSWORD}@es"\n`,
      `version: 1\nexporters:\n  - type: elasticsearch\n    endpoints: https://es:9200\n    auth: { username: elastic, password: "${PASSWORD}", api_key: x }\n`,
      `version: 1\nsources:\n  - type: webhook\n    auth: { password: "${PASSWORD}" }\nexporters: [{ type: console }]\n`,
      `version: 1\nexporters:\n  - type: otlp_http\n    headers: { authorization: "Bearer ${PASSWORD}", "bad header": "${PASSWORD}" }\n`,
      `version: 1\nexporters:\n  - type: elasticsearch\n    endpoints: https://es:9200\n    auth: { api_key: "${PASSWORD}" }\n    request_timeout_ms: -1\n`,
    ];
    for (const text of texts) {
      const r = await run(runConfigCheck, tmpConfig(text));
      expect(r.code, text).toBe(1);
      expect(r.err, text).not.toContain(PASSWORD);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'te-secret-'));
    fs.writeFileSync(path.join(dir, 'password'), `${PASSWORD}\n`);
    const fromFile = await run(
      runConfigCheck,
      tmpConfig(
        `version: 1\nexporters:\n  - type: elasticsearch\n    endpoints: "http://elastic:\${file:${dir}/password}@es:9200"\n    tls: { ca_fingerprint: "AA" }\n`,
      ),
    );
    expect(fromFile.code).toBe(1);
    expect(fromFile.err).not.toContain(PASSWORD);
    const fromEnv = await run(runConfigCheck, tmpConfig('version: 1\nexporters: [{ type: console }]\n'), {
      TRACEE_EXPORTER_DELIVERY__CONCURRENCY: PASSWORD,
    });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.err).toMatch(/TRACEE_EXPORTER_DELIVERY__CONCURRENCY: expected an integer/);
    expect(fromEnv.err).not.toContain(PASSWORD);
  });
});

describe('config print', () => {
  it('prints the effective configuration with the environment applied, defaults filled in and secrets masked', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'te-secret-'));
    fs.writeFileSync(path.join(dir, 'token'), 'tok-from-file\n');
    const file = tmpConfig(
      [
        'version: 1',
        'sources:',
        '  - type: webhook',
        `    auth: { bearer_token: "\${file:${dir}/token}" }`,
        'exporters:',
        '  - type: elasticsearch',
        `    endpoints: "https://elastic:${PASSWORD}@es:9200?api_key=${PASSWORD}"`,
        '  - type: otlp_http',
        `    headers: { Authorization: "Bearer ${PASSWORD}", x-scope-orgid: tenant-1, x-api-key: "${PASSWORD}" }`,
        '',
      ].join('\n'),
    );
    const r = await run(runConfigPrint, file, {
      NODE_NAME: 'node-a',
      ELASTICSEARCH_PASSWORD: PASSWORD,
      TRACEE_EXPORTER_EXPORTERS__OTLP_HTTP__TIMEOUT_MS: '2500',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain(PASSWORD);
    expect(r.out).not.toContain('tok-from-file');
    const c = parse(r.out);
    expect(c.node).toEqual({ name: 'node-a' });
    expect(c.sources[0]).toEqual({
      type: 'webhook',
      listen: '127.0.0.1:8080',
      max_body_bytes: 4194304,
      max_queue_wait_ms: 4000,
      max_connections: 64,
      max_connections_per_client: 16,
      header_timeout_ms: 10000,
      request_timeout_ms: 30000,
      keep_alive_timeout_ms: 5000,
      auth: { bearer_token: '***' },
    });
    const [es, otlp] = c.exporters;
    expect(es.endpoints).toBe('https://***@es:9200?api_key=***');
    expect(es).toMatchObject({
      request_timeout_ms: 30000,
      templates: 'install',
      data_stream: { events_dataset: 'tracee.events', namespace: 'default' },
    });
    expect(es.delivery).toMatchObject({ max_queue_items: 10000, when_full: 'block', concurrency: 4 });
    expect(es.delivery.maxRetries).toBeUndefined(); // unlimited: absent
    expect(otlp).toMatchObject({
      logs_endpoint: 'http://collector:4318/v1/logs',
      timeout_ms: 2500,
      compression: 'gzip',
      protocol: 'http/protobuf',
      service_name: 'tracee',
    });
    expect(otlp.headers).toEqual({ authorization: '***', 'x-scope-orgid': 'tenant-1', 'x-api-key': '***' });
    expect(c.telemetry).toEqual({ log_interval_ms: 60000, not_ready_after_retrying_ms: 60000 });
  });

  it('masks ${file:} contents wherever they land, not only under secret keys', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'te-config-files-'));
    fs.writeFileSync(path.join(dir, 'es-url'), 'https://elastic:Es-Pw-77q@es.example:9200\n');
    fs.writeFileSync(path.join(dir, 'tenant'), 'tenant-tok-31337\n');
    const file = tmpConfig(`version: 1
node: { name: "\${file:${dir}/tenant}" }
exporters:
  - type: elasticsearch
    endpoints: ["\${file:${dir}/es-url}"]
  - type: otlp_http
    endpoint: "http://collector:4318"
    headers: { x-scope: "\${file:${dir}/tenant}" }
`);
    const r = await run(runConfigPrint, file);
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toMatch(/tenant-tok-31337|Es-Pw-77q|elastic:/);
    const c = parse(r.out);
    expect(c.node.name).toBe('***');
    expect(c.exporters[1].headers).toEqual({ 'x-scope': '***' });
    expect(c.exporters[1].endpoint).toBe('http://collector:4318'); // values not read from files stay as they are
  });

  it('exits 1 with the error when the configuration is invalid', async () => {
    const r = await run(runConfigPrint, tmpConfig('version: 2\nexporters: [{ type: console }]\n'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^tracee-exporter: config print: .*cfg\.yaml:1:\d+: version: must be equal to constant/);
  });
});

describe('JSON Schema for editors', () => {
  it('the example configs point the YAML language server at the published schema', async () => {
    const dir = path.join(ROOT, 'examples/config');
    const withLine = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => {
        const first = fs.readFileSync(path.join(dir, f), 'utf8').split('\n')[0];
        const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
        if (m) expect(fs.existsSync(path.resolve(dir, m[1])), `${f}: ${m[1]}`).toBe(true);
        return m ? f : undefined;
      })
      .filter(Boolean);
    expect(withLine.length).toBeGreaterThanOrEqual(5);
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'src/config/run-config.schema.json'), 'utf8'));
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });
});

describe('the CLI', () => {
  const cli = (args: string[], env: Record<string, string>, input?: string) => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'src/cli/main.ts'), ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      input,
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('has `config check` and `config print`', async () => {
    const ok = cli(['config', 'check', path.join(ROOT, 'examples/config/console.yaml')], { NODE_NAME: 'n' });
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^ok: .*console\.yaml\n/);
    const bad = cli(['config', 'check', path.join(ROOT, 'examples/config/console.yaml')], {
      NODE_NAME: 'n',
      TRACEE_EXPORTER_DELIVERY__CONCURRENCY: 'many',
    });
    expect(bad.code).toBe(1);
    expect(bad.err).toBe('tracee-exporter: config check: TRACEE_EXPORTER_DELIVERY__CONCURRENCY: expected an integer\n');
    const printed = cli(['config', 'print'], { TRACEE_EXPORTER_EXPORTERS__CONSOLE__FORMAT: 'otlp-json' });
    expect(printed.code).toBe(0);
    expect(parse(printed.out).exporters[0]).toMatchObject({ type: 'console', format: 'otlp-json', path: 'stdout' });
  });

  it('runs from the environment alone, without a config file', async () => {
    const line = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').split('\n')[0];
    const r = cli(
      ['run'],
      {
        TRACEE_EXPORTER_EXPORTERS__CONSOLE__FORMAT: 'ecs',
        TRACEE_EXPORTER_TELEMETRY__LOG_INTERVAL_MS: '0',
        NODE_NAME: 'env-node',
      },
      `${line}\n`,
    );
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out.trim().split('\n')[0]);
    expect(doc.host.name).toBe('env-node');
  });
});
