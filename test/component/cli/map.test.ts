// `tracee-exporter map` run as a user would: a child process on the real binary.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ROOT, SHARED_FIXTURES, sharedSamples, structuredSamples } from '../../helpers/samples.ts';
import { formatRfc3339Ns } from '../../../src/util/time.ts';

const BIN = path.join(ROOT, 'bin/tracee-exporter.js');

function run(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NODE_NAME: 'cli-node' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stdout.split('\n').filter(Boolean) };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-map-'));
const write = (name: string, data: string | Buffer) => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, data);
  return p;
};

describe('tracee-exporter map', () => {
  // one-line events (the pretty-printed finding golden is read as a document in its own test)
  const all = sharedSamples(Infinity)
    .flatMap((s) => s.records.map((r) => r.trim()))
    .filter((r) => !r.includes('\n'));

  it('--to ecs: one document per event, in input order, summary on stderr, exit 0', () => {
    const r = run(['map', '--to', 'ecs', '--node-name', 'cli-node', '-'], all.join('\n') + '\n');
    expect(r.code).toBe(0);
    expect(r.lines.length).toBe(all.length);
    // input order: the i-th document carries the i-th input's timestamp
    for (const [i, l] of r.lines.entries()) {
      expect(JSON.parse(l)['@timestamp'], `line ${i + 1}`).toBe(
        formatRfc3339Ns(BigInt(all[i].match(/"timestamp":(\d+)/)![1])),
      );
    }
    expect(JSON.parse(r.lines[0]).host.name).toBe('cli-node');
    expect(r.err.trim().split('\n').at(-1)).toBe(`mapped ${all.length}, rejected 0`);
  });

  it('--to otlp-json: one OTLP/JSON ResourceLogs per event with exact ns timestamps', () => {
    const line = fs.readFileSync(path.join(SHARED_FIXTURES, 'legacy/v0.18-v0.24/net_packet_dns-query.json'), 'utf8');
    const r = run(['map', '--to', 'otlp-json', '--node-name', 'cli-node', write('one.json', line)]);
    expect(r.code).toBe(0);
    const rl = JSON.parse(r.lines[0]);
    const rec = rl.scopeLogs[0].logRecords[0];
    expect(rec.timeUnixNano).toBe('1696259024822467299');
    expect(rec.eventName).toBe('tracee.net_packet_dns');
    expect(rl.scopeLogs[0].scope.name).toBe('tracee-exporter');
    expect(rl.resource.attributes).toContainEqual({ key: 'host.name', value: { stringValue: 'cli-node' } });
  });

  it('the node comes from --node-name only: nothing from this machine or its environment (NODE_NAME is set here)', () => {
    const line = fs.readFileSync(path.join(SHARED_FIXTURES, 'legacy/v0.18-v0.24/net_packet_dns-query.json'), 'utf8');
    const doc = JSON.parse(run(['map', '--to', 'ecs', '-'], line).lines[0]);
    expect(doc.host).toEqual({ os: { type: 'linux' } });
    expect(doc.observer.hostname).toBeUndefined();
    expect(JSON.stringify(doc)).not.toContain(os.hostname());
    const rl = JSON.parse(run(['map', '--to', 'otlp-json', '-'], line).lines[0]);
    const keys = rl.resource.attributes.map((a: { key: string }) => a.key);
    expect(keys).not.toContain('host.name');
    expect(keys).not.toContain('host.arch');
    const named = JSON.parse(
      run(['map', '--to', 'ecs', '--node-name', 'node-7', '--cluster-name', 'prod', '-'], line).lines[0],
    );
    expect(named.host).toEqual({ name: 'node-7', hostname: 'node-7', os: { type: 'linux' } });
    expect(named.observer.hostname).toBe('node-7');
    expect(named.orchestrator.cluster.name).toBe('prod');
  });

  it('--to otlp-json-request: one whole ExportLogsServiceRequest per line, the otlp-json ResourceLogs inside', () => {
    const lines = all.slice(0, 3);
    const req = run(['map', '--to', 'otlp-json-request', '--node-name', 'n1', '-'], lines.join('\n'));
    const rl = run(['map', '--to', 'otlp-json', '--node-name', 'n1', '-'], lines.join('\n'));
    expect(req.code).toBe(0);
    expect(req.lines.length).toBe(3);
    req.lines.forEach((l, k) => {
      const body = JSON.parse(l);
      expect(Object.keys(body)).toEqual(['resourceLogs']);
      // the same ResourceLogs but for the time each run observed the event
      const observedless = (t: string) => t.replace(/"observedTimeUnixNano":"\d+"/g, '');
      expect(observedless(JSON.stringify(body.resourceLogs))).toBe(observedless(`[${rl.lines[k]}]`));
    });
  });

  it('--to event: the structured schema, validating against the published JSON Schema', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'mappings/schema/tracee-event.schema.json'), 'utf8'));
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
    const inputs = [...all, ...structuredSamples().map((s) => JSON.stringify(JSON.parse(s.records[0])))];
    const r = run(['map', '--to', 'event'], inputs.join('\n'));
    expect(r.code).toBe(0);
    expect(r.lines.length).toBe(inputs.length);
    for (const l of r.lines) {
      const ok = validate(JSON.parse(l));
      expect(ok, JSON.stringify(validate.errors)).toBe(true);
    }
    const first = JSON.parse(
      run(['map', '--to', 'event', path.join(SHARED_FIXTURES, 'legacy/v0.8-v0.12/sched_process_exec-exec-hash.json')])
        .lines[0],
    );
    expect(Object.keys(first).slice(0, 3)).toEqual(['timestamp', 'name', 'workload']);
    expect(first.data.find((d: { name: string }) => d.name === 'ctime')).toEqual({
      name: 'ctime',
      u_int64: '1653730234432691496',
    });
    expect(first.data.find((d: { name: string }) => d.name === 'argv')).toEqual({
      name: 'argv',
      str_array: { value: ['exa', '--color=auto'] },
    });
  });

  it('a structured event printed with --to event decodes back to the same mapping', () => {
    // --redact none: the event round-trips with its values (map redacts every output by default)
    const src = path.join(SHARED_FIXTURES, 'legacy/v0.18-v0.24/net_packet_http-headers.json');
    const structured = run(['map', '--to', 'event', '--redact', 'none', src]).lines[0];
    const viaStructured = JSON.parse(run(['map', '--to', 'ecs', '--redact', 'none'], structured).lines[0]);
    const direct = JSON.parse(run(['map', '--to', 'ecs', '--redact', 'none', src]).lines[0]);
    for (const f of ['source', 'destination', 'http', 'url', 'process', 'network'])
      expect(viaStructured[f], f).toEqual(direct[f]);
    expect(viaStructured.event.id).toBe(direct.event.id);
  });

  it('bad lines: reported with source, line and reason; the rest goes on; exit 1', () => {
    const good = all[0];
    const input = [good, '{"timestamp":1,', '[1,2]', '{"foo":1}', '{"timestamp":1,"eventName":7}', '', good].join('\n');
    const file = write('mixed.ndjson', input);
    const r = run(['map', file]);
    expect(r.code).toBe(1);
    expect(r.lines.length).toBe(2);
    expect(r.err).toContain(`${file}:2: rejected: malformed JSON`);
    expect(r.err).toContain(`${file}:3: rejected: expected a JSON object, got an array`);
    expect(r.err).toContain(`${file}:4: rejected: not a Tracee event`);
    expect(r.err).toContain(`${file}:5: rejected: field "eventName"`);
    expect(r.err.trim().split('\n').at(-1)).toBe('mapped 2, rejected 4');
  });

  it('a pretty-printed event and a JSON array of events are read whole', () => {
    const pretty = write('pretty.json', JSON.stringify(JSON.parse(structuredSamples()[0].records[0]), null, 2));
    expect(run(['map', pretty]).lines.length).toBe(1);
    const finding = run(['map', path.join(SHARED_FIXTURES, 'edge-cases/tracee-rules-finding-rawjson-golden.json')]);
    expect(finding.code).toBe(0);
    expect(JSON.parse(finding.lines[0]).event.kind).toBe('alert');
    const arr = write('array.json', '[\n' + all.slice(0, 3).join(',\n') + ',\n{"nope":1}\n]\n');
    const r = run(['map', arr]);
    expect(r.lines.length).toBe(3);
    expect(r.err).toContain(`${arr}:4 (array element 4): rejected: not a Tracee event`);
  });

  it('hostile input: huge lines, deep nesting, __proto__ keys, invalid UTF-8 — no crash, all counted', () => {
    const good = all[0];
    const huge =
      '{"timestamp":1,"eventName":"x","args":[{"name":"a","type":"string","value":"' +
      'A'.repeat(5 * 1024 * 1024) +
      '"}]}';
    const deep =
      '{"timestamp":1,"eventName":"x","args":[{"name":"a","type":"unknown","value":' +
      '['.repeat(100000) +
      ']'.repeat(100000) +
      '}]}';
    const proto =
      '{"timestamp":1,"eventName":"x","__proto__":{"admin":true},"args":[{"name":"constructor","type":"int","value":1}]}';
    const bad = Buffer.concat([
      Buffer.from(good + '\n' + huge + '\n' + deep + '\n' + proto + '\n'),
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]),
      Buffer.from(good + '\n'),
    ]);
    const r = run(['map', '-'], bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain('stdin:2: rejected: line longer than');
    expect(r.err).toContain('stdin:5: rejected: line is not valid UTF-8');
    const last = r.err.trim().split('\n').at(-1)!;
    const [, mapped, rejected] = last.match(/mapped (\d+), rejected (\d+)/)!.map(Number);
    expect(mapped + rejected).toBe(6);
    expect(mapped).toBeGreaterThanOrEqual(3); // good, proto, good (+ deep if V8 parses it)
  });

  it('--help teaches by example', () => {
    const r = run(['map', '--help']);
    expect(r.out).toContain('Examples:');
    expect(r.out).toContain('--to <target>');
  });
});
