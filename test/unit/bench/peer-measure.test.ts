// The pure parts of the peer bench (bench/peer-measure.ts): a wrong /proc field or an inverted ratio
// would print a plausible, wrong comparison with the Collector. No timing here.

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  cpuSecondsFromStat,
  oursRunConfig,
  peakRssMbFromStatus,
  peerCollectorConfig,
  peerJson,
  peerRatios,
  restamp,
  spread,
} from '../../../bench/peer-measure.ts';
import { loadRunConfig } from '../../../src/config/run-config.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A real /proc/<pid>/stat line shape (fields 1..52), with a command name holding ') (' and spaces;
// utime (14) = 1234, stime (15) = 266 ticks.
const STAT =
  '4242 (otel col) (x) S 1 4242 4242 0 -1 4194560 9000 0 0 0 1234 266 0 0 20 0 12 0 555 2000000000 50000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0';

describe('peer bench: /proc parsing', () => {
  it('reads utime + stime (fields 14, 15) after the last ")" of the command name', () => {
    expect(cpuSecondsFromStat(STAT, 100)).toBeCloseTo(15, 10);
    expect(cpuSecondsFromStat(STAT, 1000)).toBeCloseTo(1.5, 10);
  });

  it('refuses a line without a command name or without the time fields', () => {
    expect(() => cpuSecondsFromStat('4242 S 1', 100)).toThrow(/command name/);
    expect(() => cpuSecondsFromStat('4242 (x) S 1 2', 100)).toThrow(/utime/);
  });

  it('reads VmHWM (peak RSS) in MB, not VmRSS', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1000000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n';
    expect(peakRssMbFromStatus(status)).toBe(200);
    expect(peakRssMbFromStatus('Name:\tkthreadd\n')).toBeUndefined();
  });
});

describe('peer bench: ratio math', () => {
  it('gives min/median/max, the median of an even count as the mean of the middle two', () => {
    expect(spread([3, 1, 2])).toEqual({ min: 1, median: 2, max: 3 });
    expect(spread([4, 1, 3, 2])).toEqual({ min: 1, median: 2.5, max: 4 });
    expect(() => spread([])).toThrow();
  });

  it('takes ratios within each pair (ours over peer), then medians', () => {
    const pairs = [
      {
        ours: { events: 1000, seconds: 10, cpuSeconds: 6, peakRssMb: 500 },
        peer: { events: 1000, seconds: 20, cpuSeconds: 10, peakRssMb: 200 },
      },
      // a loaded pair: both slower; the within-pair ratio stays comparable
      {
        ours: { events: 1000, seconds: 40, cpuSeconds: 8, peakRssMb: 520 },
        peer: { events: 1000, seconds: 50, cpuSeconds: 10, peakRssMb: 210 },
      },
      {
        ours: { events: 1000, seconds: 10, cpuSeconds: 5, peakRssMb: 540 },
        peer: { events: 1000, seconds: 10, cpuSeconds: 10, peakRssMb: 190 },
      },
    ];
    const r = peerRatios(pairs);
    expect(r.cpuPerEvent).toEqual({ min: 0.5, median: 0.6, max: 0.8 });
    expect(r.eventsPerSec.min).toBeCloseTo(1, 10);
    expect(r.eventsPerSec.median).toBeCloseTo(1.25, 10);
    expect(r.eventsPerSec.max).toBeCloseTo(2, 10);
    expect(r.rssMb.ours.median).toBe(520);
    expect(r.rssMb.peer.median).toBe(200);
    expect(r.cpuSecondsPer100k.peer.median).toBeCloseTo(1000, 6);
    expect(peerJson(1000, r)).toEqual({
      peer: { events: 1000, cpu_per_event_ratio: 0.6, rss_mb: { ours: 520, peer: 200 }, events_per_s_ratio: 1.25 },
    });
  });
});

describe('peer bench: --vs <ref> (a base build in every pair)', () => {
  const run = (seconds: number, cpuSeconds: number, peakRssMb = 100) => ({
    events: 1000,
    seconds,
    cpuSeconds,
    peakRssMb,
  });

  it('takes ours over the base and the base over the peer within each pair, then medians', () => {
    const pairs = [
      { base: run(10, 5, 130), ours: run(8, 4), peer: run(20, 10) },
      // a loaded round: all slower, the within-pair ratios stay comparable
      { base: run(20, 10, 140), ours: run(20, 9), peer: run(40, 20) },
      { base: run(10, 4, 135), ours: run(5, 4), peer: run(10, 10) },
    ];
    const r = peerRatios(pairs);
    expect(r.vsBase?.cpuPerEvent.min).toBeCloseTo(0.8, 10);
    expect(r.vsBase?.cpuPerEvent.median).toBeCloseTo(0.9, 10);
    expect(r.vsBase?.cpuPerEvent.max).toBeCloseTo(1, 10);
    expect(r.vsBase?.eventsPerSec.median).toBeCloseTo(1.25, 10);
    expect(r.vsBase?.baseCpuPerEvent).toEqual({ min: 0.4, median: 0.5, max: 0.5 });
    expect(r.vsBase?.rssMb.median).toBe(135);
    expect(peerJson(1000, r, { ref: 'main~3', commit: 'abc' }).vs).toEqual({
      ref: 'main~3',
      commit: 'abc',
      cpu_per_event_ratio: 0.9,
      events_per_s_ratio: 1.25,
      base_cpu_per_event_ratio_to_peer: 0.5,
      base_rss_mb: 135,
    });
  });

  it('without a base there is no comparison, and a base in some pairs only is an error', () => {
    expect(peerRatios([{ ours: run(1, 1), peer: run(1, 2) }]).vsBase).toBeUndefined();
    expect(
      peerJson(1000, peerRatios([{ ours: run(1, 1), peer: run(1, 2) }]), { ref: 'x', commit: 'y' }).vs,
    ).toBeUndefined();
    expect(() =>
      peerRatios([
        { ours: run(1, 1), peer: run(1, 2) },
        { base: run(1, 1), ours: run(1, 1), peer: run(1, 2) },
      ]),
    ).toThrow(/some pairs only/);
  });
});

describe('peer bench: configurations', () => {
  it('the Collector reads the file from the beginning, parses JSON with exact ns timestamps, renames, and sends OTLP/HTTP protobuf+gzip', () => {
    const c = parse(peerCollectorConfig('/tmp/in put.ndjson', 'http://127.0.0.1:1234'));
    expect(c.receivers.file_log.include).toEqual(['/tmp/in put.ndjson']);
    expect(c.receivers.file_log.start_at).toBe('beginning');
    expect(c.receivers.file_log.operators[0]).toMatchObject({
      type: 'json_parser',
      parse_ints: true,
      timestamp: { parse_from: 'attributes.timestamp', layout_type: 'epoch', layout: 'ns' },
    });
    const st: string[] = c.processors.transform.log_statements[0].statements;
    expect(st).toContain('set(log.attributes["process.pid"], log.attributes["hostProcessId"])');
    expect(st).toContain('delete_key(log.attributes, "hostProcessId")');
    expect(st.filter((s) => s.startsWith('set('))).toHaveLength(6);
    expect(st.filter((s) => s.startsWith('delete_key('))).toHaveLength(6);
    expect(c.exporters.otlp_http).toEqual({
      endpoint: 'http://127.0.0.1:1234',
      compression: 'gzip',
      encoding: 'proto',
    });
    expect(c.service.pipelines.logs).toEqual({
      receivers: ['file_log'],
      processors: ['transform', 'batch'],
      exporters: ['otlp_http'],
    });
  });

  it('our side is a valid run configuration: one file source without follow, one otlp_http exporter', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peer-measure-'));
    try {
      const file = path.join(dir, 'ours.json');
      fs.writeFileSync(file, JSON.stringify(oursRunConfig('/tmp/input.ndjson', 'http://127.0.0.1:1234')));
      const c = loadRunConfig(file);
      expect(c.sources).toEqual([expect.objectContaining({ type: 'file', path: '/tmp/input.ndjson' })]);
      expect((c.sources![0] as { follow?: boolean }).follow).not.toBe(true);
      expect(c.exporters).toEqual([
        expect.objectContaining({ type: 'otlp_http', endpoint: 'http://127.0.0.1:1234', compression: 'gzip' }),
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('re-stamps round r by r ns, exactly (beyond 2^53), and leaves round 0 alone', () => {
    const line = '{"timestamp":1700000000123456789,"eventName":"net_packet_dns"}';
    expect(restamp(line, 0)).toBe(line);
    expect(restamp(line, 3)).toBe('{"timestamp":1700000000123456792,"eventName":"net_packet_dns"}');
    expect(restamp('{"x":1}', 2)).toBe('{"x":1}');
  });
});
