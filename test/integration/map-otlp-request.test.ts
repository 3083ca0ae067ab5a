// `map --to otlp-json-request` lines are POSTable as is: each line of the real binary's output,
// sent unchanged as the body of POST /v1/logs to the real OpenTelemetry Collector, comes out of it
// with the event's own timestamp and name. Tagged with a unique --node-name (Resource host.name).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  assertCollectorRunning,
  COLLECTOR_OTLP_HTTP_URL,
  recordsWithResourceAttribute,
  uniqueTestId,
  waitForCollectorOutput,
} from '../helpers/collector.ts';
import { ROOT } from '../helpers/samples.ts';

describe('map --to otlp-json-request into the real collector', () => {
  beforeAll(async () => {
    await assertCollectorRunning();
  });

  it('every line is a request the collector accepts as is', async () => {
    const node = uniqueTestId('map-request');
    const input = ['openat-creat-mode438.v0.8.json', 'read-fd-path.v0.9.ndjson']
      .map((f) => fs.readFileSync(path.join(ROOT, 'test/fixtures/classic', f), 'utf8').trim())
      .join('\n');
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'bin/tracee-exporter.js'), 'map', '--to', 'otlp-json-request', '--node-name', node, '-'],
      { input, encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      const res = await fetch(`${COLLECTOR_OTLP_HTTP_URL}/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: line,
      });
      expect(res.status, await res.text()).toBe(200);
    }
    const found = await waitForCollectorOutput((out) => recordsWithResourceAttribute('host.name', node, out), {
      count: 3,
      timeoutMs: 10_000,
    });
    expect(found).toHaveLength(3);
    expect(found.map((f) => f.record.eventName).sort()).toEqual(['tracee.openat', 'tracee.read', 'tracee.read']);
    expect(found.map((f) => f.record.timeUnixNano)).toContain('1657321167356729582');
  });
});
