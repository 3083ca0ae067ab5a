// Per-exporter filters: the compiled predicate on real Tracee samples, and a whole pipeline run
// with several exporters, each with its own filter (what each receives, the counts, /metrics).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../../src/config/run-config.ts';
import { loadMappingTables } from '../../../src/mapping/load.ts';
import type { TraceeEvent } from '../../../src/model/event.ts';
import { decodeText } from '../../../src/normalize/decode.ts';
import { compileFilter, nameMatcher, type ExporterFilterConfig } from '../../../src/mapping/event-filter.ts';
import { createPipeline } from '../../../src/pipeline/pipeline.ts';
import { createTelemetry } from '../../../src/telemetry/index.ts';
import { parsePromText, sumOf } from '../../helpers/prom-text.ts';
import { ROOT, sharedSamples, structuredSamples, testMapper } from '../../helpers/samples.ts';

const lookups = loadMappingTables().lookups;
const mapper = testMapper();

/** Every real sample (shared fixtures, first 20 lines of each stream, structured forms), decoded. */
const EVENTS: Array<{ rel: string; ev: TraceeEvent }> = [...sharedSamples(20), ...structuredSamples()].flatMap((s) =>
  s.records.map((r) => {
    const d = decodeText(r);
    if (!d.ok) throw new Error(`${s.rel}: ${d.reason}`);
    return { rel: s.rel, ev: d.event };
  }),
);
const byFileExact = (rel: string): TraceeEvent => EVENTS.find((e) => e.rel === rel)!.ev;
const pass = (cfg: ExporterFilterConfig) => {
  const f = compileFilter(cfg, lookups)!;
  return EVENTS.filter((e) => f(e.ev)).map((e) => e.rel);
};

describe('compileFilter', () => {
  it('no filter or an empty one lets everything through without a predicate', () => {
    expect(compileFilter(undefined, lookups)).toBeUndefined();
    expect(compileFilter({}, lookups)).toBeUndefined();
    expect(compileFilter({ exclude_event_names: [] }, lookups)).toBeUndefined();
  });

  it('detections_only keeps exactly the events the mapper makes alerts (threat metadata or a built-in signature name)', () => {
    const f = compileFilter({ detections_only: true }, lookups)!;
    const alerts = EVENTS.filter((e) => mapper.toEcs(e.ev).kind === 'alert').map((e) => e.rel);
    expect(EVENTS.filter((e) => f(e.ev)).map((e) => e.rel)).toEqual(alerts);
    // the real detections among the samples, in their three shapes of detection
    expect(alerts).toEqual(
      expect.arrayContaining([
        'edge-cases/tracee-rules-finding-rawjson-golden.json', // tracee-rules finding
        'legacy/v0.13-v0.17/signature-custom-golang.json', // custom signature: metadata without Severity
        'legacy/v0.8-v0.12/signature-anti_debugging-TRC-102.json', // ≤ v0.12: signature Name as event name
        'legacy/v0.8-v0.12/signature-fileless_execution-k8s.json', // no metadata: known by its event name
        'structured/anti_debugging.proto3-camel.json',
      ]),
    );
    expect(alerts.length).toBeLessThan(EVENTS.length / 4);
  });

  it('min_severity: detections at or above the level (number or name, any case); events without a severity never pass', () => {
    // anti_debugging LOW(1), fileless_execution HIGH(3) from lookups/signatures.yaml, stdio finding 3
    const atLeastHigh = pass({ min_severity: 'high' });
    expect(atLeastHigh).toEqual(pass({ min_severity: 3 }));
    expect(atLeastHigh).toEqual(pass({ min_severity: 'HIGH' }));
    expect(atLeastHigh).toContain('legacy/v0.8-v0.12/signature-fileless_execution-k8s.json');
    expect(atLeastHigh).toContain('edge-cases/tracee-rules-finding-rawjson-golden.json');
    expect(atLeastHigh).not.toContain('legacy/v0.8-v0.12/signature-anti_debugging-TRC-102.json');
    const atLeastLow = pass({ min_severity: 'low' });
    expect(atLeastLow).toContain('legacy/v0.8-v0.12/signature-anti_debugging-TRC-102.json');
    expect(atLeastLow).toContain('structured/anti_debugging.proto3-camel.json');
    // a custom signature without Severity has no level: not even "info" lets it through
    const atLeastInfo = pass({ min_severity: 0 });
    expect(atLeastInfo).not.toContain('legacy/v0.13-v0.17/signature-custom-golang.json');
    expect(atLeastInfo.every((rel) => mapper.toEcs(byFileExact(rel)).kind === 'alert')).toBe(true);
    expect(() => compileFilter({ min_severity: 'severe' }, lookups, 'exporters[1].filter')).toThrow(
      /exporters\[1\]\.filter\.min_severity: expected one of 0\/info, 1\/low, 2\/medium, 3\/high, 4\/critical, got "severe"/,
    );
    expect(() => compileFilter({ min_severity: 7 }, lookups)).toThrow(/min_severity/);
  });

  it('event_names with * globs, exclude_event_names winning over them', () => {
    expect(new Set(pass({ event_names: ['net_packet_dns*'] }).map((r) => byFileExact(r).name))).toEqual(
      new Set(['net_packet_dns', 'net_packet_dns_request', 'net_packet_dns_response']),
    );
    expect(
      new Set(
        pass({ event_names: ['net_packet_*'], exclude_event_names: ['*dns*', 'net_packet_http'] }).map(
          (r) => byFileExact(r).name,
        ),
      ),
    ).toEqual(
      new Set([
        'net_packet_http_response',
        'net_packet_icmp',
        'net_packet_ipv4',
        'net_packet_ipv6',
        'net_packet_tcp',
        'net_packet_udp',
      ]),
    );
    expect(pass({ event_names: ['execve', 'security_file_open'] }).length).toBe(
      EVENTS.filter((e) => e.ev.name === 'execve' || e.ev.name === 'security_file_open').length,
    );
    const m = nameMatcher(['a.b*', 'x(y)'], 'w'); // regex characters are literal
    expect([m('a.bc'), m('aXbc'), m('x(y)'), m('xy')]).toEqual([true, false, true, false]);
  });

  it('policies: any matched policy listed; an event without named policies does not pass', () => {
    expect(pass({ policies: ['execve_event', 'other'] })).toEqual(['legacy/v0.13-v0.17/execve-minikube-policy.json']);
    expect(pass({ policies: ['other'] })).toEqual([]);
  });

  it('conditions combine with AND', () => {
    expect(pass({ detections_only: true, event_names: ['fileless_*'], min_severity: 'medium' })).toEqual([
      'legacy/v0.8-v0.12/signature-fileless_execution-k8s.json',
    ]);
    expect(pass({ detections_only: true, event_names: ['execve'] })).toEqual([]);
  });
});

describe('filters in a pipeline run', () => {
  const SAMPLES = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').trim().split('\n');

  it('several exporters, each its own filter: each file holds exactly its events; filtered counts in the summary and /metrics', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'filter-run-'));
    const out = (n: string) => path.join(dir, `${n}.ndjson`);
    const config: RunConfig = {
      version: 1,
      sources: [{ type: 'stdin' }],
      exporters: [
        { type: 'console', name: 'all', path: out('all') },
        { type: 'console', name: 'detections', path: out('detections'), filter: { detections_only: true } },
        {
          type: 'console',
          name: 'net-otel',
          format: 'otlp-json',
          path: out('net-otel'),
          filter: { event_names: ['net_packet_*'], exclude_event_names: ['net_packet_tcp'] },
        },
        { type: 'console', name: 'nothing', path: out('nothing'), filter: { policies: ['no-such-policy'] } },
      ],
    };
    const telemetry = createTelemetry();
    const p = createPipeline(
      config,
      { stdin: Readable.from([SAMPLES.join('\n') + '\n']), log: () => {} },
      { shutdownTimeoutMs: 5000, telemetry },
    );
    const summary = await p.run();
    const read = (n: string) =>
      fs.existsSync(out(n))
        ? fs
            .readFileSync(out(n), 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : [];

    const all = read('all');
    expect(all.length).toBe(SAMPLES.length);
    // examples/events/README.md: lines 5 and 6 are the two detections
    const detections = read('detections');
    expect(detections.map((d) => d.event.action)).toEqual(['anti_debugging', 'fileless_execution']);
    expect(detections.map((d) => d.event.id)).toEqual(
      all.filter((d) => d.event.kind === 'alert').map((d) => d.event.id),
    );
    const net = read('net-otel').map((r) => r.scopeLogs[0].logRecords[0].eventName);
    expect(net).toEqual(['tracee.net_packet_dns', 'tracee.net_packet_http']);
    expect(read('nothing')).toEqual([]);

    expect(summary.mapped).toBe(SAMPLES.length);
    expect(summary.filteredOut).toBe(0);
    const filtered = Object.fromEntries(summary.exporters.map((e) => [e.name, e.filtered]));
    expect(filtered).toEqual({
      all: 0,
      detections: SAMPLES.length - 2,
      'net-otel': SAMPLES.length - 2,
      nothing: SAMPLES.length,
    });
    const delivered = Object.fromEntries(summary.exporters.map((e) => [e.name, e.stats.delivered]));
    expect(delivered).toEqual({ all: SAMPLES.length, detections: 2, 'net-otel': 2, nothing: 0 });
    const m = parsePromText(await telemetry.metrics());
    for (const e of summary.exporters)
      expect(sumOf(m, 'tracee_exporter_events_filtered_total', { exporter: e.name }), e.name).toBe(e.filtered);
  });

  it('an event no exporter wants is not mapped: counted as filtered out, accepted, nothing rejected', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'filter-run-'));
    const config: RunConfig = {
      version: 1,
      exporters: [
        { type: 'console', name: 'a', path: path.join(dir, 'a.ndjson'), filter: { detections_only: true } },
        {
          type: 'console',
          name: 'b',
          format: 'otlp-json',
          path: path.join(dir, 'b.ndjson'),
          filter: { min_severity: 'high' },
        },
      ],
    };
    const p = createPipeline(
      config,
      { stdin: Readable.from([SAMPLES.join('\n') + '\n']), log: () => {} },
      { shutdownTimeoutMs: 5000 },
    );
    const summary = await p.run();
    // anti_debugging (LOW) goes to a only; fileless_execution (HIGH) to both; the 6 others to none
    expect(summary).toMatchObject({
      received: SAMPLES.length,
      mapped: 2,
      rejected: 0,
      filteredOut: SAMPLES.length - 2,
    });
    expect(summary.exporters.map((e) => [e.name, e.stats.delivered, e.filtered])).toEqual([
      ['a', 2, 6],
      ['b', 1, 7],
    ]);
  });

  it('a bad filter is a config error naming the exporter', () => {
    const config: RunConfig = {
      version: 1,
      exporters: [{ type: 'console' }, { type: 'console', filter: { min_severity: 'urgent' as never } }],
    };
    expect(() => createPipeline(config, { stdin: Readable.from([]), log: () => {} })).toThrow(
      /exporters\[1\]\.filter\.min_severity/,
    );
  });
});
