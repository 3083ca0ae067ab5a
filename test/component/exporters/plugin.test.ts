// Third-party exporters (`type: module`): the example plugin in examples/plugins/http-ndjson loaded
// from its config file, through the library (preparePipeline) and the CLI, with the same delivery
// layer as built-in exporters; broken plugin modules fail start-up with a message naming them.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRunConfig, parseRunConfig } from '../../../src/config/run-config.ts';
import { createPipeline, preparePipeline } from '../../../src/pipeline/pipeline.ts';
import { ROOT } from '../../helpers/samples.ts';

const PLUGIN_DIR = path.join(ROOT, 'examples/plugins/http-ndjson');
const PLUGIN_CONFIG = path.join(PLUGIN_DIR, 'tracee-exporter.yaml');
const SAMPLES = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8');
const N = SAMPLES.trim().split('\n').length;

/** A local HTTP endpoint standing in for "any NDJSON receiver": answers from a script, keeps the bodies. */
class FakeNdjsonReceiver {
  readonly bodies: string[] = [];
  readonly statuses: number[];
  private server: http.Server;
  private readonly otherwise: number;
  url = '';
  constructor(statuses: number[], otherwise = 200) {
    this.statuses = [...statuses];
    this.otherwise = otherwise;
    this.server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => {
        const status = this.statuses.shift() ?? this.otherwise;
        if (status === 200) this.bodies.push(body);
        res.writeHead(status, status === 503 ? { 'retry-after': '0' } : {}).end();
      });
    });
  }
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/ingest`;
    return this;
  }
  docs(): Array<Record<string, any>> {
    return this.bodies.flatMap((b) =>
      b
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    );
  }
  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

let receiver: FakeNdjsonReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const io = (input: string, logs: string[] = []) => ({
  stdin: Readable.from([input]),
  log: (l: string) => logs.push(l),
});
const FAST = { initial_backoff_ms: 5, max_backoff_ms: 20, flush_interval_ms: 5 };

describe('the example plugin, loaded from its config', () => {
  it('relative module path resolved against the config file; delivered through the delivery layer (a 503 retried), trimmed like a built-in', async () => {
    receiver = await new FakeNdjsonReceiver([503]).start();
    const config = loadRunConfig(PLUGIN_CONFIG, { HTTP_NDJSON_URL: receiver.url });
    expect(config.exporters[0].module).toBe(path.join(PLUGIN_DIR, 'index.mjs'));
    config.exporters[0].delivery = { ...config.exporters[0].delivery, ...FAST };
    const logs: string[] = [];
    const summary = await (await preparePipeline(config, io(SAMPLES, logs), { shutdownTimeoutMs: 5000 })).run();
    expect(summary.exporters).toEqual([
      expect.objectContaining({ name: 'http-ndjson', pendingAtShutdown: 0, filtered: 0 }),
    ]);
    const st = summary.exporters[0].stats;
    expect([st.delivered, st.deadLettered, st.retries]).toEqual([N, 0, 1]);
    expect(logs).toContain(`http-ndjson: posting ECS documents to ${new URL(receiver.url).origin}`);
    const docs = receiver.docs();
    expect(docs.length).toBe(N);
    // examples/events/README.md: line 8 is line 3 in structured form, so the same deterministic id
    expect(new Set(docs.map((d) => d.event.id)).size).toBe(N - 1);
    expect(docs.every((d) => d['@timestamp'] && d.ecs.version === '9.4.0')).toBe(true);
    expect(docs.some((d) => d.tracee?.data !== undefined)).toBe(false); // trim: [tracee_data]
  });

  it("a refused batch is dead-lettered under the plugin exporter's name; filters apply", async () => {
    receiver = await new FakeNdjsonReceiver([], 400).start();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plugin-'));
    const config = parseRunConfig(
      `version: 1
dead_letter: { path: ${dir}/dl.ndjson }
exporters:
  - type: module
    module: ${path.relative(dir, path.join(PLUGIN_DIR, 'index.mjs'))}
    url: ${receiver.url}
    filter: { detections_only: true }
    delivery: { initial_backoff_ms: 5, flush_interval_ms: 5 }
`,
      path.join(dir, 'config.yaml'),
    );
    const summary = await (await preparePipeline(config, io(SAMPLES), { shutdownTimeoutMs: 5000 })).run();
    // no configured name: the plugin names itself
    expect(summary.exporters[0]).toMatchObject({ name: 'http_ndjson', filtered: N - 2 });
    expect(summary.exporters[0].stats.deadLettered).toBe(2);
    const dl = fs
      .readFileSync(path.join(dir, 'dl.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(dl.map((d) => [d.exporter, d.reason, d.record.doc.event.kind])).toEqual([
      ['http_ndjson', 'HTTP 400 Bad Request', 'alert'],
      ['http_ndjson', 'HTTP 400 Bad Request', 'alert'],
    ]);
  });

  it('the CLI runs it: tracee-exporter run --config examples/plugins/http-ndjson/tracee-exporter.yaml', async () => {
    receiver = await new FakeNdjsonReceiver([]).start();
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin/tracee-exporter.js'), 'run', '--config', PLUGIN_CONFIG, '--shutdown-timeout', '5000'],
      {
        env: { ...process.env, HTTP_NDJSON_URL: receiver.url },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.stdin.end(SAMPLES);
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(stderr).toContain(`received ${N}, mapped ${N}, rejected 0\n`);
    expect(stderr).toContain(`http-ndjson: entered ${N} = delivered ${N} + duplicates 0`);
    expect(code).toBe(0);
    expect(receiver.docs().length).toBe(N);
  });
});

describe('broken plugin modules fail start-up with a clear message', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plugin-broken-'));
  const plugin = (name: string, code: string) => {
    fs.writeFileSync(path.join(dir, name), code);
    return `./${name}`;
  };
  const prepare = (module: string, extra = '') =>
    preparePipeline(
      parseRunConfig(
        `version: 1\nexporters:\n  - { type: module, module: "${module}"${extra} }\n`,
        path.join(dir, 'config.yaml'),
      ),
      io(''),
    );

  it.each([
    [
      'a missing file',
      () => './no-such-plugin.mjs',
      /exporters\[0\]: cannot load exporter module ".*no-such-plugin\.mjs": .*(Cannot find|not found)/,
    ],
    [
      'a syntax error',
      () => plugin('syntax.mjs', 'export function createExporter( {'),
      /exporters\[0\]: cannot load exporter module ".*syntax\.mjs": .*(Unexpected|SyntaxError|invalid JS syntax)/,
    ],
    [
      'no factory',
      () => plugin('nofactory.mjs', 'export const exporter = {};'),
      /exporter module ".*nofactory\.mjs" exports no createExporter\(options, context\) function \(exports: exporter\)/,
    ],
    [
      'a factory that throws',
      () => plugin('throws.mjs', 'export function createExporter(o) { throw new Error("url is required"); }'),
      /exporter module ".*throws\.mjs": createExporter failed: url is required/,
    ],
    [
      'an incomplete exporter',
      () =>
        plugin(
          'incomplete.mjs',
          'export function createExporter() { return { name: "x", target: "json", start() {} }; }',
        ),
      /exporter module ".*incomplete\.mjs": the exporter it returned lacks target \("ecs" or "otel", got "json"\), send\(\) \(a function\), shutdown\(\) \(a function\)/,
    ],
    [
      'an async factory',
      () => plugin('async.mjs', 'export async function createExporter() { return {}; }'),
      /async\.mjs": createExporter returned a Promise/,
    ],
    [
      'an unknown npm package',
      () => 'tracee-exporter-no-such-plugin',
      /exporters\[0\]: cannot load exporter module "tracee-exporter-no-such-plugin"/,
    ],
  ])('%s', async (_what, make, message) => {
    await expect(prepare(make())).rejects.toThrow(message);
  });

  it('a factory that echoes its options in its error: secret option values are masked in the message', async () => {
    const spec = plugin(
      'echo.mjs',
      'export function createExporter(o) { throw new Error(`cannot log in to ${o.url} with token ${o.api_token} and password ${o.auth.password}`); }',
    );
    const err = await prepare(
      spec,
      ', api_token: tok-9f8e7d6c, auth: { password: pw-5a4b3c }, url: "https://bob:hunter22@logs.example"',
    ).catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      /echo\.mjs": createExporter failed: cannot log in to https:\/\/\*\*\*@logs\.example with token \*\*\* and password \*\*\*$/,
    );
    expect((err as Error).message).not.toMatch(/tok-9f8e7d6c|pw-5a4b3c|hunter22/);
  });

  it('a default-exported factory is accepted', async () => {
    const spec = plugin(
      'default.mjs',
      'export default function (o) { return { name: o.name ?? "d", target: "otel", async start() {}, async send() { return { status: "ok" }; }, async shutdown() {} }; }',
    );
    const p = await prepare(spec, ', name: mine');
    expect((await p.run()).exporters.map((e) => e.name)).toEqual(['mine']);
  });

  it('a TypeScript plugin module loads (type stripping)', async () => {
    const spec = plugin(
      'typed.ts',
      `interface Options { name?: string }
export function createExporter(o: Options, ctx: { log(m: string): void }) {
  const sent: number[] = [];
  return { name: o.name ?? 'typed', target: 'ecs' as const, async start(): Promise<void> { ctx.log('started'); },
    async send(batch: readonly unknown[]) { sent.push(batch.length); return { status: 'ok' as const }; }, async shutdown(): Promise<void> {} };
}
`,
    );
    const logs: string[] = [];
    const config = parseRunConfig(
      `version: 1\nexporters: [{ type: module, module: ${spec} }]\n`,
      path.join(dir, 'config.yaml'),
    );
    const summary = await (await preparePipeline(config, io(SAMPLES, logs), { shutdownTimeoutMs: 5000 })).run();
    expect(summary.exporters.map((e) => [e.name, e.stats.delivered])).toEqual([['typed', N]]);
    expect(logs).toContain('typed: started');
  });

  it('the config schema: type module needs module, other types may not have one', () => {
    expect(() => parseRunConfig('version: 1\nexporters: [{ type: module }]\n', 'c.yaml')).toThrow(
      /c\.yaml:2:\d+: exporters\[0\]: must have required property 'module'/,
    );
    expect(() => parseRunConfig('version: 1\nexporters: [{ type: console, module: x }]\n', 'c.yaml')).toThrow(
      /exporters\[0\]/,
    );
  });

  it('createPipeline alone (sync) says how to load the modules; the CLI reports the error and exits 2', async () => {
    const config = parseRunConfig(
      `version: 1\nexporters: [{ type: module, module: ${path.join(PLUGIN_DIR, 'index.mjs')} }]\n`,
      'c.yaml',
    );
    expect(() => createPipeline(config, io(''))).toThrow(
      /exporters\[0\]: exporter module ".*index\.mjs" is not loaded: build the pipeline with preparePipeline\(\)/,
    );
    const cfg = path.join(dir, 'cli.yaml');
    fs.writeFileSync(
      cfg,
      `version: 1\nexporters: [{ type: module, module: ${plugin('cli-nofactory.mjs', 'export const x = 1;')} }]\n`,
    );
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/tracee-exporter.js'), 'run', '--config', cfg], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /tracee-exporter: exporters\[0\]: exporter module ".*cli-nofactory\.mjs" exports no createExporter/,
    );
  });
});
