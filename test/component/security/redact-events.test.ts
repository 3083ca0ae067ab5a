// Sensitive event fields (mappings/redact.yaml) on real Tracee HTTP samples and two derived ones
// (test/fixtures/security/PROVENANCE.md): with the default setting no cookie, credential or token
// reaches the ECS document or the OTel record (tracee.data included), the header keys stay with
// the marker as value, and what is not sensitive is untouched. Then through the CLI: `run` with two
// exporters, one `redact: none`, shows it is per exporter.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../../src/normalize/decode.ts';
import {
  loadRedactTable,
  redactEvent,
  redactKey,
  redactPlan,
  redactUrl,
  withRedaction,
} from '../../../src/mapping/redact.ts';
import { otlpJsonResourceLogs } from '../../../src/exporters/otlp-http/otlp-json.ts';
import { ROOT, testMapper } from '../../helpers/samples.ts';

const FIX = path.join(ROOT, 'test/fixtures/security');
const BIN = path.join(ROOT, 'bin/tracee-exporter.js');
const table = loadRedactTable();
const M = '[REDACTED]';

function event(file: string) {
  const d = decodeText(fs.readFileSync(path.join(FIX, file), 'utf8').trim());
  if (!d.ok) throw new Error(`${file}: ${d.reason}`);
  return d.event;
}
const base = testMapper();
const mapper = withRedaction(base, redactPlan('default', table, 'test'));
const both = (file: string) => {
  const ev = event(file);
  return {
    ecs: JSON.stringify(mapper.toEcs(ev).doc),
    ecsJson: mapper.toEcsJson(ev).json,
    otel: JSON.stringify(otlpJsonResourceLogs(mapper.toOtel(ev))),
    raw: JSON.stringify(base.toEcs(ev).doc),
  };
};

describe('redaction of sensitive event fields (default table)', () => {
  it('a redacted event keeps the id of the event it came from (event.id / log.record.uid do not depend on redact:)', () => {
    for (const f of ['net_packet_http-headers.json', 'net_packet_http_response-headers.json']) {
      const ev = event(f);
      expect(redactEvent(ev, redactPlan('default', table, 'test')!), `${f}: redaction changed something`).not.toBe(ev);
      const idOf = (doc: unknown) => (doc as { event: { id: string } }).event.id;
      const id = idOf(base.toEcs(ev).doc);
      expect(idOf(mapper.toEcs(ev).doc), f).toBe(id);
      expect(mapper.toOtel(ev).attributes['log.record.uid'], f).toBe(id);
    }
  });

  it('real Tracee samples: every Set-Cookie value is gone from ECS (tracee.data) and OTel; the header key stays', () => {
    for (const f of ['net_packet_http-headers.json', 'net_packet_http_response-headers.json']) {
      const o = both(f);
      const rawHttp = JSON.parse(o.raw).tracee.data;
      const cookies: string[] = (rawHttp.proto_http ?? rawHttp.http_response).headers['Set-Cookie'];
      expect(cookies, `${f}: the real sample carries three cookies`).toHaveLength(3);
      for (const c of cookies) {
        const value = c.split(';')[0]; // NAME=VALUE
        expect(value.length).toBeGreaterThan(10);
        for (const out of [o.ecs, o.ecsJson, o.otel]) expect(out, f).not.toContain(value);
      }
      const doc = JSON.parse(o.ecs);
      const http = doc.tracee.data.proto_http ?? doc.tracee.data.http_response;
      expect(http.headers['Set-Cookie']).toEqual([M, M, M]);
      // not sensitive: untouched
      expect(http.headers.Server).toEqual(['gws']);
      expect(o.otel).toContain('"key":"Set-Cookie","value":{"arrayValue":{"values":[{"stringValue":"[REDACTED]"}');
    }
  });

  it('derived requests: Cookie, Authorization, Proxy-Authorization, URL user info and token parameters replaced, in both targets', () => {
    for (const f of ['net_packet_http-request-credentials.json', 'net_packet_http_request-credentials.json']) {
      const o = both(f);
      expect(o.raw).toMatch(/-REQ-/);
      // the only -REQ- left is X-Api-Key: not in the default table
      for (const out of [o.ecs, o.ecsJson, o.otel])
        expect((out.match(/[\w.-]*-REQ-[\w.-]*/g) ?? []).filter((s) => !s.startsWith('apikey-REQ'))).toEqual([]);
    }
    const doc = JSON.parse(both('net_packet_http-request-credentials.json').ecs);
    const h = doc.tracee.data.proto_http;
    expect(h.headers).toMatchObject({
      Cookie: [M],
      Authorization: [M],
      'Proxy-Authorization': [M],
      'User-Agent': ['curl/8.2.1'],
      'X-Api-Key': ['apikey-REQ-1234'],
    });
    expect(h.headers.Referer).toEqual([`https://${M}@shop.example.com/login?next=/account&token=${M}`]);
    expect(h.uri_path).toBe(`/account/orders?page=2&access_token=${M}&X-Amz-Signature=${M}`);
    // the mapped fields from those values: url.path comes from uri_path, the user agent stays
    expect(doc.url.path).toBe(`/account/orders?page=2&access_token=${M}&X-Amz-Signature=${M}`);
    expect(doc.user_agent.original).toBe('curl/8.2.1');
    const req = JSON.parse(both('net_packet_http_request-credentials.json').ecs).tracee.data.http_request;
    expect(req.headers).toMatchObject({ cookie: [M], authorization: [M], 'Content-Type': ['application/json'] });
    expect(req.uri_path).toBe(`/v1/upload?sig=${M}&keep=1`);
  });

  it('per exporter: none keeps everything, a list adds header names, unknown words are refused; plans share a key', () => {
    const ev = event('net_packet_http-request-credentials.json');
    expect(redactPlan('none', table, 'x')).toBeUndefined();
    expect(redactEvent(ev, redactPlan(['cookie'], table, 'x')!)).not.toBe(ev);
    const plus = redactPlan(['default', 'X-Api-Key'], table, 'x')!;
    const hdr = (
      redactEvent(ev, plus).data.find((d) => d.name === 'proto_http')!.value as { headers: Record<string, string[]> }
    ).headers;
    expect(hdr['X-Api-Key']).toEqual([M]);
    const onlyCookie = redactPlan(['cookie'], table, 'x')!;
    const hc = redactEvent(ev, onlyCookie).data.find((d) => d.name === 'proto_http')!.value as {
      headers: Record<string, string[]>;
      uri_path: string;
    };
    expect(hc.headers.Cookie).toEqual([M]);
    expect(hc.headers.Authorization).toEqual(['Bearer bearer-REQ-c0ffee']);
    expect(hc.uri_path).toContain('access_token=tok-REQ-4f9a2c');
    // the input event is never changed (other exporters map the same object)
    expect(JSON.stringify(ev, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).toContain('sess-REQ-9b1d77');
    expect(redactKey(redactPlan('default', table, 'x'))).toBe(redactKey(redactPlan([...table.default], table, 'x')));
    expect(() => redactPlan(['no such thing!'], table, 'exporters[0]')).toThrow(
      /exporters\[0\]\.redact: "no such thing!" is neither an entry/,
    );
    expect(() => redactPlan(['none', 'cookie'], table, 'e')).toThrow(/cannot be part of a list/);
    // an event without an HTTP message is passed through as the same object (no cost)
    const other = decodeText(
      fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').split('\n')[0],
    );
    if (other.ok && !other.event.data.some((d) => d.name === 'proto_http'))
      expect(redactEvent(other.event, plus)).toBe(other.event);
    expect(redactUrl('https://u:p@h/x?a=1&Access_Token=t', plus)).toBe(`https://${M}@h/x?a=1&Access_Token=${M}`);
  });

  it("v1beta1 headers ({ header: [...] }) and a detection's triggering event are redacted too", () => {
    const plan = redactPlan('default', table, 'x')!;
    const http = {
      method: 'GET',
      uri_path: '/a?token=t1&x=2',
      headers: { Cookie: { header: ['sid=s1'] }, Accept: { header: ['*/*'] } },
    };
    const ev = {
      timestamp: 1n,
      name: 'http_sig',
      workload: {},
      data: [{ name: 'http_request', kind: 'http_request' as const, value: http }],
      detected_from: {
        name: 'net_packet_http_request',
        data: [{ name: 'http_request', kind: 'http_request' as const, value: http }],
      },
    };
    const out = redactEvent(ev, plan);
    for (const v of [out.data[0].value, out.detected_from!.data![0].value] as Array<typeof http>) {
      expect(v.headers.Cookie).toEqual({ header: [M] });
      expect(v.headers.Accept).toEqual({ header: ['*/*'] });
      expect(v.uri_path).toBe(`/a?token=${M}&x=2`);
    }
    expect(http.headers.Cookie.header).toEqual(['sid=s1']);
  });

  it('the CLI: default redacts for one exporter, redact: none ships verbatim to the other; config check validates redact', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redact-run-'));
    try {
      const cfg = path.join(dir, 'cfg.yaml');
      fs.writeFileSync(
        cfg,
        `version: 1
sources: [{ type: stdin }]
exporters:
  - { type: console, name: siem, format: ecs, path: ${dir}/siem.ndjson }
  - { type: console, name: otel, format: otlp-json, path: ${dir}/otel.ndjson }
  - { type: console, name: forensics, format: ecs, path: ${dir}/raw.ndjson, redact: none }
`,
      );
      const input =
        ['net_packet_http-request-credentials.json', 'net_packet_http-headers.json']
          .map((f) => fs.readFileSync(path.join(FIX, f), 'utf8').trim())
          .join('\n') + '\n';
      const r = spawnSync(process.execPath, [BIN, 'run', '--config', cfg], {
        input,
        encoding: 'utf8',
        env: { ...process.env, NODE_NAME: 'n' },
      });
      expect(r.status, r.stderr).toBe(0);
      for (const f of ['siem.ndjson', 'otel.ndjson']) {
        const text = fs.readFileSync(path.join(dir, f), 'utf8');
        expect(text.trim().split('\n')).toHaveLength(2);
        expect(text).not.toMatch(/sess-REQ|csrf-REQ|bearer-REQ|referer-REQ|tok-REQ|AEC=Ackid/);
        expect(text).toContain(M);
      }
      expect(fs.readFileSync(path.join(dir, 'raw.ndjson'), 'utf8')).toMatch(/sess-REQ-9b1d77.*\n.*AEC=Ackid/);
      const check = spawnSync(process.execPath, [BIN, 'config', 'check', cfg], { encoding: 'utf8' });
      expect(check.status, check.stderr).toBe(0);
      fs.writeFileSync(cfg, 'version: 1\nexporters: [{ type: console, redact: [cookie, "bad header"] }]\n');
      const bad = spawnSync(process.execPath, [BIN, 'config', 'check', cfg], { encoding: 'utf8' });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/exporters\[0\]\.redact/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('map --to event redacts by default like every other output; --redact none prints the event verbatim', () => {
    const file = path.join(FIX, 'net_packet_http-request-credentials.json');
    const map = (...args: string[]) => {
      const r = spawnSync(process.execPath, [BIN, 'map', ...args, file], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    for (const out of [map('--to', 'event'), map('--to', 'event', '--redact', 'default')]) {
      expect(out).not.toMatch(/sess-REQ|csrf-REQ|bearer-REQ|referer-REQ|tok-REQ/);
      const http = JSON.parse(out).data.find((d: { name: string }) => d.name === 'proto_http');
      expect(JSON.stringify(http)).toContain(M);
    }
    // the same redaction as the ECS output of the same command
    expect(map('--to', 'ecs')).not.toMatch(/sess-REQ|bearer-REQ/);
    const raw = map('--to', 'event', '--redact', 'none');
    expect(raw).toMatch(/sess-REQ-9b1d77/);
    expect(raw).toMatch(/bearer-REQ-c0ffee/);
    expect(raw).not.toContain(M);
    // a list redacts only what it names
    const cookieOnly = map('--to', 'event', '--redact', 'cookie');
    expect(cookieOnly).not.toMatch(/sess-REQ/);
    expect(cookieOnly).toMatch(/bearer-REQ-c0ffee/);
  });
});
