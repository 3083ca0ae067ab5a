// The source state metrics: per followed file the committed offset and the lag (read at scrape
// time; a file no longer listed loses its series), and per gRPC source whether its stream is up
// and how often it came back; the progress line names a stream that is down.

import { describe, expect, it } from 'vitest';
import { createTelemetry, progressLine, type FileReading } from '../../../src/telemetry/index.ts';
import { parsePromText, type PromSample } from '../../helpers/prom-text.ts';

const P = 'tracee_exporter_';
const pick = (m: PromSample[], name: string) => m.filter((s) => s.name === P + name).map((s) => [s.labels, s.value]);

describe('file source metrics', () => {
  it('committed offset and lag per followed file, read at each scrape; a file let go loses its series', async () => {
    const t = createTelemetry();
    let files: FileReading[] = [
      { path: '/var/log/tracee/a.json', committedOffset: 1000, size: 1500 },
      { path: '/var/log/tracee/b.json', committedOffset: 20, size: 20 },
    ];
    let reads = 0;
    t.files(async () => {
      reads++;
      return files;
    });
    let m = parsePromText(await t.metrics());
    expect(reads).toBe(1); // one read per scrape, shared by both gauges
    expect(pick(m, 'file_committed_offset_bytes')).toEqual([
      [{ path: '/var/log/tracee/a.json' }, 1000],
      [{ path: '/var/log/tracee/b.json' }, 20],
    ]);
    expect(pick(m, 'file_lag_bytes')).toEqual([
      [{ path: '/var/log/tracee/a.json' }, 500],
      [{ path: '/var/log/tracee/b.json' }, 0],
    ]);

    files = [{ path: '/var/log/tracee/a.json', committedOffset: 1500, size: 1400 }]; // truncated under us: no negative lag
    m = parsePromText(await t.metrics());
    expect(pick(m, 'file_committed_offset_bytes')).toEqual([[{ path: '/var/log/tracee/a.json' }, 1500]]);
    expect(pick(m, 'file_lag_bytes')).toEqual([[{ path: '/var/log/tracee/a.json' }, 0]]);
  });

  it('a reading that fails leaves that source out of the scrape, the rest is served', async () => {
    const t = createTelemetry();
    t.files(async () => {
      throw new Error('EBADF');
    });
    t.files(async () => [{ path: 'ok.json', committedOffset: 1, size: 3 }]);
    const m = parsePromText(await t.metrics());
    expect(pick(m, 'file_lag_bytes')).toEqual([[{ path: 'ok.json' }, 2]]);
  });
});

describe('gRPC source metrics', () => {
  it('connected 1/0 and reconnects: only a stream established again after one was lost counts', async () => {
    const t = createTelemetry();
    const g = t.grpc('unix:///var/run/tracee.sock');
    const read = async () => {
      const m = parsePromText(await t.metrics());
      return [pick(m, 'grpc_connected'), pick(m, 'grpc_reconnects_total')];
    };
    const where = { address: 'unix:///var/run/tracee.sock' };
    expect(await read()).toEqual([[[where, 0]], [[where, 0]]]);
    g.connected();
    g.connected(); // repeated: ignored
    expect(await read()).toEqual([[[where, 1]], [[where, 0]]]);
    g.disconnected();
    g.disconnected();
    expect(await read()).toEqual([[[where, 0]], [[where, 0]]]);
    g.connected();
    expect(await read()).toEqual([[[where, 1]], [[where, 1]]]);
  });

  it('the progress line names a stream that is down and for how long; nothing while it is up', () => {
    let now = 0;
    const t = createTelemetry({ now: () => now });
    const g = t.grpc('unix:///var/run/tracee.sock');
    now = 5_000;
    expect(progressLine(t.snapshot(), 0, 1000)).toBe(
      'progress: received 0 (+0.0/s), mapped 0, rejected 0; grpc unix:///var/run/tracee.sock: not connected for 5 s (events Tracee emits meanwhile are lost)',
    );
    g.connected();
    now = 60_000;
    expect(progressLine(t.snapshot(), 0, 1000)).toBe('progress: received 0 (+0.0/s), mapped 0, rejected 0');
    g.disconnected();
    now = 72_000;
    expect(progressLine(t.snapshot(), 0, 1000)).toBe(
      'progress: received 0 (+0.0/s), mapped 0, rejected 0; grpc unix:///var/run/tracee.sock: disconnected for 12 s (events Tracee emits meanwhile are lost)',
    );
  });
});
