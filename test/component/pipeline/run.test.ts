// `tracee-exporter run` as a user runs it: a child process with a config file.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactingMappers } from '../../../src/mapping/redact.ts';
import { decodeText } from '../../../src/normalize/decode.ts';
import { ROOT, testMapper } from '../../helpers/samples.ts';

const bigintText = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

const BIN = path.join(ROOT, 'bin/tracee-exporter.js');
const samples = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8');

function run(config: string, input: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'run-'));
  const cfg = path.join(dir, 'config.yaml');
  fs.writeFileSync(cfg, config.replaceAll('$DIR', dir));
  const r = spawnSync(process.execPath, [BIN, 'run', '--config', cfg, '--shutdown-timeout', '5000'], {
    input,
    encoding: 'utf8',
    env: { ...process.env, NODE_NAME: 'run-node' },
  });
  return { ...r, dir };
}

describe('tracee-exporter run', () => {
  it('stdin → console (ECS) and a file (OTLP/JSON); bad lines dead-lettered with origin and input; exit 1', () => {
    const input = samples + 'not json\n{"foo":1}\n';
    const r = run(
      `version: 1
sources: [{ type: stdin }]
dead_letter: { path: $DIR/dl.ndjson }
exporters:
  - { type: console, format: ecs }
  - { type: console, name: archive, format: otlp-json, path: $DIR/otlp.ndjson }
`,
      input,
    );
    const n = samples.trim().split('\n').length;
    expect(r.status).toBe(1);
    const ecs = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(ecs.length).toBe(n);
    expect(ecs.every((d) => d.host.name === 'run-node')).toBe(true);
    expect(fs.readFileSync(path.join(r.dir, 'otlp.ndjson'), 'utf8').trim().split('\n').length).toBe(n);
    const dl = fs
      .readFileSync(path.join(r.dir, 'dl.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(dl).toEqual([
      expect.objectContaining({
        exporter: 'input',
        origin: { source: 'stdin', line: n + 1 },
        input: 'not json',
        reason: expect.stringMatching(/malformed JSON/),
      }),
      expect.objectContaining({
        exporter: 'input',
        origin: { source: 'stdin', line: n + 2 },
        input: '{"foo":1}',
        reason: expect.stringMatching(/not a Tracee event/),
      }),
    ]);
    expect(r.stderr).toContain(`received ${n + 2}, mapped ${n}, rejected 2\n`);
    expect(r.stderr).toContain(
      `console: entered ${n} = delivered ${n} + duplicates 0 + dead-lettered 0 + dropped 0 + buffered 0 + unsettled 0 + filtered 0`,
    );
  });

  it('exit 0 when every event is delivered; a config error is reported with its line, exit 2', () => {
    const ok = run('version: 1\nexporters: [{ type: console, path: $DIR/out.ndjson }]\n', samples);
    expect(ok.status).toBe(0);
    const bad = run('version: 1\nexporters:\n  - type: console\n    format: xml\n', samples);
    expect(bad.status).toBe(2);
    // the schema now knows the console options: the error names the line, the key and the allowed values
    expect(bad.stderr).toMatch(/config\.yaml:4:\d+: exporters\[0\]\.format: .*allowed values: ecs, otlp-json/);
  });

  it('an unreachable destination: retried, then written to the dead letter at the shutdown deadline, exit 1', () => {
    const r = run(
      `version: 1
dead_letter: { path: $DIR/dl.ndjson }
exporters:
  - type: otlp_http
    endpoint: http://127.0.0.1:9
    delivery: { initial_backoff_ms: 50, max_backoff_ms: 200, flush_interval_ms: 50 }
`,
      samples,
    );
    const n = samples.trim().split('\n').length;
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/otlp_http: retrying/);
    expect(r.stderr).toContain(`${n} event(s) not delivered before the shutdown deadline`);
    const dl = fs.readFileSync(path.join(r.dir, 'dl.ndjson'), 'utf8').trim().split('\n');
    expect(dl.length).toBe(n);
    expect(JSON.parse(dl[0])).toMatchObject({
      exporter: 'otlp_http',
      reason: 'shutdown_deadline: not delivered before the shutdown deadline',
    });
    // the queue held each record as its OTLP bytes: the dead letter still writes the record itself
    // the exporter's mapper: the default redaction applies
    const mapper = redactingMappers()(testMapper(), undefined, 'exporters[0]');
    for (const line of dl) {
      const e = JSON.parse(line) as { record: Record<string, unknown>; input: string };
      expect(Object.keys(e.record).slice(0, 7)).toEqual([
        'resource',
        'timeUnixNano',
        'observedTimeUnixNano',
        'severityNumber',
        'severityText',
        'eventName',
        'attributes',
      ]);
      const dec = decodeText(e.input);
      if (!dec.ok) throw new Error(dec.reason);
      const expected = JSON.parse(JSON.stringify(mapper.toOtel(dec.event), bigintText)) as Record<string, unknown>;
      expect(e.record.attributes).toEqual(expected.attributes);
      expect(e.record.body).toEqual(expected.body);
      expect(e.record.timeUnixNano).toBe(expected.timeUnixNano);
    }
  });
});
