// Secrets never leave the process as text. The CLI runs against the real Elasticsearch and
// Collector with distinctive secrets in the config file, a ${file:} reference, URL user info,
// request headers and the environment (valid and invalid values), plus a destination that is down
// and a FAKE one that refuses every request with a body echoing the request's headers (as a badly
// written proxy does). Every byte of stdout/stderr of `run`, `config check`, `config print` and a
// failing start-up, the dead letter and /metrics is then searched for every secret.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/samples.ts';
import { countDocs, esUrl, uniqueNamespace } from '../helpers/elasticsearch.ts';
import { FakeOtlpHttpServer } from '../helpers/fake-otlp-http-server.ts';

const BIN = path.join(ROOT, 'bin/tracee-exporter.js');
const SAMPLES = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8');
const N = SAMPLES.trim().split('\n').length;

// distinctive, so any appearance is a leak (and nothing else can match them)
const S = {
  esPassword: 'esPw-Sekr1t-0a1b2c',
  otlpBearer: 'otlpBearer-Sekr1t-3d4e5f',
  downUrlPassword: 'downUrlPw-Sekr1t-6a7b8c',
  echoedHeader: 'echoedHdr-Sekr1t-9d0e1f',
  envEndpointPassword: 'envEndpointPw-Sekr1t-2a3b',
  envHeader: 'envHeader-Sekr1t-4c5d6e',
  fileToken: 'fileToken-Sekr1t-7f8a9b',
  badConfigPassword: 'badCfgPw-Sekr1t-0c1d2e',
};

/** FAKE refusing destination: HTTP 400 whose body repeats every request header, credentials included. */
async function startEchoingRefuser(): Promise<FakeOtlpHttpServer> {
  const f = await FakeOtlpHttpServer.start();
  f.always((req, res) => {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`bad request; you sent: ${JSON.stringify(req.headers)}`);
  });
  return f;
}

describe('no secret in any output of the CLI', () => {
  let dir: string;
  let refuser: FakeOtlpHttpServer;
  const outputs: Array<[string, string]> = [];
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secret-grep-'));
    refuser = await startEchoingRefuser();
  });
  afterAll(async () => {
    await refuser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('run, config check, config print, a failing start-up: stdout, stderr, dead letter and /metrics hold no secret', async () => {
    const ns = uniqueNamespace('secretgrep');
    fs.writeFileSync(path.join(dir, 'token'), S.fileToken, { mode: 0o600 });
    const cfg = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      cfg,
      `version: 1
sources:
  - { type: stdin }
  - { type: webhook, listen: "127.0.0.1:0", auth: { bearer_token: "\${file:${dir}/token}" } }
dead_letter: { path: ${dir}/dead.ndjson }
telemetry: { listen: "127.0.0.1:0", log_interval_ms: 200 }
exporters:
  - type: elasticsearch
    name: es-ok
    endpoints: ${esUrl()}
    auth: { username: elastic, password: "${S.esPassword}" }
    data_stream: { namespace: ${ns} }
    delivery: { flush_interval_ms: 100 }
  - type: otlp_http
    name: otlp-ok
    endpoint: http://127.0.0.1:4318
    headers: { authorization: "Bearer ${S.otlpBearer}" }
    delivery: { flush_interval_ms: 100 }
  - type: otlp_http
    name: otlp-down
    endpoint: "http://user:${S.downUrlPassword}@127.0.0.1:1"
    delivery: { flush_interval_ms: 100, max_retries: 1, initial_backoff_ms: 50, max_backoff_ms: 100 }
  - type: otlp_http
    name: otlp-refusing
    endpoint: ${refuser.baseUrl}
    headers: { x-custom-auth: "${S.echoedHeader}" }
    delivery: { flush_interval_ms: 100 }
  - type: otlp_http
    name: otlp-env
    delivery: { flush_interval_ms: 100 }
`,
    );
    const env = {
      ...process.env,
      NODE_NAME: 'secret-grep-node',
      // invalid: ignored with a warning that used to echo the password at `run`
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `htp://envuser:${S.envEndpointPassword}@not a host/v1/logs`,
      OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${S.envHeader}`,
    };

    // run: stdin stays open until the destinations answered, so /metrics can be read while it runs
    const child = spawn(process.execPath, [BIN, 'run', '--config', cfg, '--shutdown-timeout', '10000'], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const until = async (what: string, f: () => boolean) => {
      for (let i = 0; i < 600 && !f(); i++) {
        if (child.exitCode !== null) throw new Error(`exited while waiting for ${what}:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(f(), `${what}\n${stderr}`).toBe(true);
    };
    await until('listening', () => /telemetry: listening on/.test(stderr) && /webhook: listening on/.test(stderr));
    const telemetry = /telemetry: listening on (\S+)/.exec(stderr)![1];
    const webhook = /webhook: listening on (\S+)/.exec(stderr)![1];
    child.stdin.write(SAMPLES + 'not json\n');
    // a wrong token and the right one against the webhook
    for (const token of ['wrong-token', S.fileToken]) {
      const r = await fetch(webhook, {
        method: 'POST',
        body: SAMPLES.split('\n')[0],
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      outputs.push([
        `webhook answer (${token === S.fileToken ? 'right' : 'wrong'} token)`,
        `${r.status} ${await r.text()}`,
      ]);
    }
    const deadLines = () =>
      fs.existsSync(path.join(dir, 'dead.ndjson')) ? fs.readFileSync(path.join(dir, 'dead.ndjson'), 'utf8') : '';
    await until(
      'dead letters of otlp-down and otlp-refusing',
      () => deadLines().includes('"otlp-refusing"') && deadLines().includes('"otlp-down"'),
    );
    const metrics = await (
      await fetch(`${telemetry.startsWith('http') ? telemetry : `http://${telemetry}`}/metrics`)
    ).text();
    outputs.push(['/metrics', metrics]);
    child.stdin.end();
    child.kill('SIGTERM'); // the webhook source runs until stopped
    await exited;
    outputs.push(['run stdout', stdout], ['run stderr', stderr], ['dead letter', deadLines()]);

    // the paths under test were taken (else the grep proves nothing)
    expect(stderr).toMatch(
      /OTEL_EXPORTER_OTLP_LOGS_ENDPOINT ignored: not a URL: "htp:\/\/\*\*\*@not a host\/v1\/logs"/,
    );
    // N samples + the webhook's copy of the first (a duplicate id in Elasticsearch)
    const es = /es-ok: entered \d+ = delivered (\d+) \+ duplicates (\d+)/.exec(
      stderr.slice(stderr.lastIndexOf('received ')),
    )!;
    expect(Number(es[1]) + Number(es[2])).toBe(N + 1);
    expect(stderr).toMatch(new RegExp(`otlp-ok: entered ${N + 1} = delivered ${N + 1} `));
    expect(await countDocs(`logs-tracee.*-${ns}`)).toBeGreaterThan(0);
    expect(
      refuser.requests.some(
        (r) => r.headers['x-custom-auth'] === S.echoedHeader && r.headers['x-api-key'] === S.envHeader,
      ),
    ).toBe(true);
    const dead = deadLines()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { exporter: string; reason: string });
    expect(dead.find((d) => d.exporter === 'otlp-refusing')!.reason).toMatch(/HTTP 400.*you sent/);
    expect(dead.find((d) => d.exporter === 'otlp-down')!.reason).toMatch(/ECONNREFUSED/);
    expect(dead.some((d) => d.exporter === 'input')).toBe(true);

    // config check and config print of the same configuration and environment
    for (const sub of ['check', 'print']) {
      const r = spawnSync(process.execPath, [BIN, 'config', sub, cfg], { env, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      outputs.push([`config ${sub} stdout`, r.stdout], [`config ${sub} stderr`, r.stderr]);
    }
    // a start-up that fails on a value holding a password (invalid URL from the environment)
    const badEnv = { ...env, TRACEE_EXPORTER_EXPORTERS__OTLP_OK__ENDPOINT: `ht tp://u:${S.badConfigPassword}@x` };
    for (const args of [
      ['run', '--config', cfg],
      ['config', 'check', cfg],
      ['config', 'print', cfg],
    ]) {
      const r = spawnSync(process.execPath, [BIN, ...args], { env: badEnv, encoding: 'utf8', input: '' });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).not.toBe(0);
      outputs.push(
        [`${args[0]} ${args[1]} (bad endpoint) stdout`, r.stdout],
        [`${args[0]} ${args[1]} (bad endpoint) stderr`, r.stderr],
      );
    }

    const leaks: string[] = [];
    for (const [where, text] of outputs) {
      for (const [name, secret] of Object.entries(S))
        if (text.includes(secret))
          leaks.push(
            `${name} in ${where}: …${text.slice(Math.max(0, text.indexOf(secret) - 120), text.indexOf(secret) + secret.length + 20)}…`,
          );
    }
    expect(leaks).toEqual([]);
  });
});
