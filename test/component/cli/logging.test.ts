// The log lines of `tracee-exporter run` as a user gets them (a child process, stdin, a config
// file): JSON lines that parse and carry level/time/msg/component, the text format, level
// filtering, the flags over the config and the environment, rate-limited rejections, and no
// secret in any line. The OTLP exporter points at a closed port (no server): it retries, opens its
// circuit, and dead-letters at the shutdown deadline, which gives delivery lines to look at.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/samples.ts';

const BIN = path.join(ROOT, 'bin/tracee-exporter.js');
const samples = fs
  .readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .slice(0, 3);
const BAD = 20;
const INPUT = [...samples, ...Array.from({ length: BAD }, (_, i) => `not json ${i}`)].join('\n') + '\n';
const CONFIG_SECRET = 'Cfg-Secret-Pw-1';
const ENV_SECRET = 'Env-Secret-Pw-2';
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function run(opts: { log?: string; args?: string[]; env?: NodeJS.ProcessEnv; config?: string } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logging-'));
  const cfg = path.join(dir, 'config.yaml');
  fs.writeFileSync(
    cfg,
    opts.config ??
      `version: 1
sources: [{ type: stdin }]
dead_letter: { path: ${dir}/dl.ndjson }
${opts.log ?? ''}
exporters:
  - { type: console, format: ecs }
  - type: otlp_http
    name: otlp
    endpoint: http://collector:${CONFIG_SECRET}@127.0.0.1:1
    delivery: { initial_backoff_ms: 20, max_backoff_ms: 100 }
  - { type: otlp_http, name: otlp_env, delivery: { initial_backoff_ms: 20, max_backoff_ms: 100 } }
`,
  );
  // otlp_env: the endpoint from the environment (a bad signal URL with a password: warned about, then the generic one)
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `htp://env:${ENV_SECRET}@not a host/v1/logs`,
    ...opts.env,
  };
  delete env.TRACEE_EXPORTER_CONFIG;
  const r = spawnSync(
    process.execPath,
    [BIN, 'run', '--config', cfg, '--shutdown-timeout', '1000', ...(opts.args ?? [])],
    { input: INPUT, encoding: 'utf8', env },
  );
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines };
}

function parseAll(lines: string[]): Array<Record<string, unknown>> {
  return lines.map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      throw new Error(`not a JSON line: ${l}`);
    }
  });
}

describe('tracee-exporter run: logs', () => {
  it('log.format json: every stderr line is a JSON object with level, time, msg, component; stdout carries only events', () => {
    const r = run({ log: 'log: { format: json }' });
    expect(r.status).toBe(1);
    const entries = parseAll(r.lines);
    for (const e of entries) {
      expect(['debug', 'info', 'warn', 'error']).toContain(e.level);
      expect(e.time).toMatch(TIME);
      expect(typeof e.msg).toBe('string');
      expect(['config', 'pipeline', 'source', 'exporter', 'delivery', 'telemetry', 'cli']).toContain(e.component);
      expect(Object.keys(e).slice(0, 4)).toEqual(['level', 'time', 'msg', 'component']);
    }
    // rejected input: warn, with its origin and reason code
    const rejected = entries.filter((e) => /: rejected: /.test(e.msg as string));
    expect(rejected[0]).toMatchObject({
      level: 'warn',
      component: 'pipeline',
      origin: `stdin:${samples.length + 1}`,
      reason: 'malformed_json',
    });
    // the exporter's lines name it
    expect(entries.find((e) => /^otlp: retrying/.test(e.msg as string))).toMatchObject({
      level: 'warn',
      component: 'delivery',
      exporter: 'otlp',
      state: 'retrying',
    });
    expect(entries.find((e) => /OTEL_EXPORTER_OTLP_LOGS_ENDPOINT ignored/.test(e.msg as string))).toMatchObject({
      level: 'warn',
      component: 'exporter',
      exporter: 'otlp_env',
    });
    // the closing lines
    expect(entries.find((e) => /^received \d+, mapped/.test(e.msg as string))).toMatchObject({
      level: 'info',
      component: 'pipeline',
      received: samples.length + BAD,
      rejected: BAD,
    });
    expect(entries.find((e) => /^otlp: entered /.test(e.msg as string))).toMatchObject({
      level: 'info',
      exporter: 'otlp',
    });
    // stdout: the console exporter's ECS documents, one per mapped event, no log line among them
    const out = r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toHaveLength(samples.length);
    for (const d of out) {
      expect(d['@timestamp']).toBeDefined();
      expect(d.msg).toBeUndefined();
    }
  });

  it('a flood of rejections: 5 lines in full, then one summary line with the count (rate-limited per client)', () => {
    const entries = parseAll(run({ args: ['--log-format', 'json'] }).lines);
    const full = entries.filter((e) => /: rejected: /.test(e.msg as string));
    expect(full).toHaveLength(5);
    const summary = entries.filter((e) => /^rejected input from stdin: /.test(e.msg as string));
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({ level: 'warn', component: 'pipeline', client: 'stdin', repeated: BAD - 5 });
    expect(summary[0].msg).toMatch(/^rejected input from stdin: 15 more not logged one by one \(malformed_json×15\)/);
  });

  it('a secret in a URL (config or environment) never reaches a log line, in either format', () => {
    for (const args of [
      ['--log-format', 'json'],
      ['--log-format', 'text'],
      ['--log-level', 'debug'],
    ]) {
      const r = run({ args });
      // the lines that carry the URLs were written (else this proves nothing)
      expect(r.stderr).toMatch(
        /OTEL_EXPORTER_OTLP_LOGS_ENDPOINT ignored: not a URL: \\?"htp:\/\/\*\*\*@not a host\/v1\/logs/,
      );
      expect(r.stderr).toMatch(/otlp: retrying/);
      // debug lines only at --log-level debug
      expect(/Z DEBUG tracee-exporter: config /.test(r.stderr)).toBe(args.includes('debug'));
      for (const secret of [CONFIG_SECRET, ENV_SECRET]) {
        expect(r.stderr).not.toContain(secret);
        expect(r.stdout).not.toContain(secret);
      }
    }
  });

  it('text (the default): "<time> <LEVEL> tracee-exporter: <message>"; --log-format wins over the config', () => {
    for (const r of [run(), run({ log: 'log: { format: json }', args: ['--log-format', 'text'] })]) {
      expect(r.lines.length).toBeGreaterThan(5);
      for (const l of r.lines)
        expect(l).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (DEBUG|INFO |WARN |ERROR) tracee-exporter: /);
      expect(r.stderr).toMatch(/Z WARN {2}tracee-exporter: stdin:\d+: rejected: malformed JSON/);
      expect(r.stderr).toMatch(/Z INFO {2}tracee-exporter: received \d+, mapped \d+, rejected 20/);
    }
  });

  it('level filtering: log.level warn drops the info lines; --log-level error keeps only errors; TRACEE_EXPORTER_LOG__* set the key', () => {
    const warn = parseAll(run({ log: 'log: { format: json, level: warn }' }).lines);
    expect(warn.length).toBeGreaterThan(0);
    expect(warn.every((e) => e.level === 'warn' || e.level === 'error')).toBe(true);
    expect(warn.some((e) => /^received /.test(e.msg as string))).toBe(false);
    const error = run({ args: ['--log-level', 'error', '--log-format', 'json'] });
    expect(parseAll(error.lines).every((e) => e.level === 'error')).toBe(true);
    const fromEnv = run({ env: { TRACEE_EXPORTER_LOG__FORMAT: 'json', TRACEE_EXPORTER_LOG__LEVEL: 'warn' } });
    const envEntries = parseAll(fromEnv.lines);
    expect(envEntries.length).toBeGreaterThan(0);
    expect(envEntries.every((e) => e.level !== 'info')).toBe(true);
  });

  it('an error loading the config is one JSON line with --log-format json (exit 2); a bad log: setting is a config error', () => {
    const bad = run({ config: 'version: 1\nexporters: [{ type: nope }]\n', args: ['--log-format', 'json'] });
    expect(bad.status).toBe(2);
    expect(bad.lines).toHaveLength(1);
    expect(JSON.parse(bad.lines[0])).toMatchObject({ level: 'error', component: 'cli' });
    const fromEnv = run({
      config: 'version: 1\nexporters: [{ type: nope }]\n',
      env: { TRACEE_EXPORTER_LOG__FORMAT: 'json' },
    });
    expect(fromEnv.status).toBe(2);
    expect(JSON.parse(fromEnv.lines[0])).toMatchObject({ level: 'error', component: 'cli' });
    const badLog = run({ log: 'log: { format: yaml }' });
    expect(badLog.status).toBe(2);
    expect(badLog.stderr).toMatch(
      /ERROR tracee-exporter: .*config\.yaml:\d+(:\d+)?: log\.format: .*allowed values: text, json/,
    );
    const badFlag = spawnSync(process.execPath, [BIN, 'run', '--log-format', 'xml'], { encoding: 'utf8' });
    expect(badFlag.status).not.toBe(0);
    expect(badFlag.stderr).toMatch(/--log-format.*xml.*Allowed choices are text, json/s);
  });
});
