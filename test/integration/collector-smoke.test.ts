// Smoke test of the real OpenTelemetry Collector (scripts/services/collector.sh start): one
// hand-written OTLP/JSON log record POSTed with fetch (no project code) must come out of the
// collector's file exporter as one JSON line in collector-out/logs.jsonl.

import { beforeAll, describe, expect, it } from 'vitest';
import {
  anyValueToJs,
  assertCollectorRunning,
  attributeMap,
  collectorOutputFile,
  postOtlpJsonLogs,
  recordsWithResourceAttribute,
  uniqueTestId,
  waitForCollectorOutput,
} from '../helpers/collector.ts';

describe('OpenTelemetry Collector smoke test', () => {
  beforeAll(async () => {
    await assertCollectorRunning();
  });

  it('writes a POSTed OTLP/JSON log record to logs.jsonl', async () => {
    const runId = uniqueTestId('collector-smoke');
    const body = {
      resourceLogs: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 'collector-smoke-test' } },
              { key: 'test.run.id', value: { stringValue: runId } },
            ],
          },
          scopeLogs: [
            {
              scope: { name: 'collector-smoke', version: '1' },
              logRecords: [
                {
                  timeUnixNano: '1764325800123456789',
                  observedTimeUnixNano: '1764325800223456789',
                  severityNumber: 13,
                  severityText: 'WARN',
                  eventName: 'tracee.security_file_open',
                  body: { stringValue: `smoke ${runId}` },
                  attributes: [
                    { key: 'process.pid', value: { intValue: '4242' } },
                    { key: 'tracee.big', value: { intValue: '9007199254740993' } },
                    { key: 'tracee.ok', value: { boolValue: true } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };

    // Another test file may restart the shared collector (which truncates the file): if our line
    // is not there after a while, send again, within the 10 s budget.
    const deadline = Date.now() + 10_000;
    let found: ReturnType<typeof recordsWithResourceAttribute> = [];
    while (found.length === 0 && Date.now() < deadline) {
      let status = 0;
      try {
        ({ status } = await postOtlpJsonLogs(body));
      } catch {
        status = 0; // connection refused during a restart: retry
      }
      if (status !== 200) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      found = await waitForCollectorOutput((lines) => recordsWithResourceAttribute('test.run.id', runId, lines), {
        timeoutMs: Math.min(5_000, Math.max(0, deadline - Date.now())),
      });
    }

    expect(found, `record ${runId} not found in ${collectorOutputFile()} within 10 s`).toHaveLength(1);
    const { line, resourceLogs, scopeLogs, record } = found[0];
    // One request -> one line with our one ResourceLogs.
    expect(line.resourceLogs).toHaveLength(1);
    expect(anyValueToJs(attributeMap(resourceLogs.resource.attributes)['service.name'])).toBe('collector-smoke-test');
    expect(scopeLogs.scope).toMatchObject({ name: 'collector-smoke', version: '1' });
    // 64-bit integers stay strings in OTLP/JSON, exactly as sent (no precision loss).
    expect(record.timeUnixNano).toBe('1764325800123456789');
    expect(record.observedTimeUnixNano).toBe('1764325800223456789');
    expect(record.severityNumber).toBe(13);
    expect(record.severityText).toBe('WARN');
    expect(record.eventName).toBe('tracee.security_file_open');
    expect(anyValueToJs(record.body)).toBe(`smoke ${runId}`);
    const attrs = attributeMap(record.attributes);
    expect(attrs['process.pid']).toEqual({ intValue: '4242' });
    expect(attrs['tracee.big']).toEqual({ intValue: '9007199254740993' });
    expect(attrs['tracee.ok']).toEqual({ boolValue: true });
  });
});
