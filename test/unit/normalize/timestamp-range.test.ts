// Times outside [0, 2^63) ns are rejected at decode (wrong_type), not left to crash the ECS date
// formatting later (a RangeError once reported as "nested too deeply") or to overflow OTLP fixed64.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../../src/normalize/decode.ts';
import { ROOT, testMapper } from '../../helpers/samples.ts';

const LINE = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8').split('\n')[0];

describe('decode: epoch nanosecond range', () => {
  it.each([
    '-5',
    '9223372036854775808',
    '18446744073709551616',
    '123456789012345678901234567890',
    '8640000000000000000000',
  ])('classic timestamp %s → wrong_type', (v) => {
    const d = decodeText(LINE.replace(/"timestamp":\d+/, `"timestamp":${v}`));
    expect(d).toMatchObject({
      ok: false,
      code: 'wrong_type',
      reason: expect.stringContaining('field "timestamp": expected epoch nanoseconds in [0, 2^63)'),
    });
  });

  it('classic threadStartTime out of range → wrong_type', () => {
    const d = decodeText(LINE.replace(/"threadStartTime":\d+/, '"threadStartTime":99999999999999999999'));
    expect(d).toMatchObject({ ok: false, code: 'wrong_type', reason: expect.stringContaining('threadStartTime') });
  });

  it('the largest int64 still decodes and maps (2262-04-11)', () => {
    const d = decodeText(LINE.replace(/"timestamp":\d+/, '"timestamp":9223372036854775807'));
    if (!d.ok) throw new Error(d.reason);
    expect(JSON.parse(testMapper().toEcsJson(d.event).json!)['@timestamp']).toBe('2262-04-11T23:47:16.854775807Z');
  });

  it('structured: an integer timestamp past 2^63 → wrong_type', () => {
    const d = decodeText(
      JSON.stringify({ name: 'x', timestamp: 'PLACEHOLDER', workload: {} }).replace(
        '"PLACEHOLDER"',
        '18446744073709551616',
      ),
    );
    expect(d).toMatchObject({ ok: false, code: 'wrong_type', reason: expect.stringContaining('timestamp') });
  });
});
