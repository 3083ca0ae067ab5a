// Issue #18 point 6: one policy for control characters and invalid UTF-16 (src/normalize/text-policy.ts),
// applied when an event is decoded, so ECS and OTLP carry the same text. On the real v0.8 openat
// line (test/fixtures/classic) with its pathname replaced by hostile text, in the classic shape, in
// the structured shape, and as an already parsed value (gRPC / document input).

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeText, decodeValue } from '../../../src/normalize/decode.ts';
import { toStructuredJson } from '../../../src/normalize/print-structured.ts';
import { cleanText, cleanValue, mayNeedCleaning } from '../../../src/normalize/text-policy.ts';
import { otlpJsonResourceLogs } from '../../../src/exporters/otlp-http/otlp-json.ts';
import type { TraceeEvent } from '../../../src/model/event.ts';
import { ROOT, testMapper } from '../../helpers/samples.ts';

const mapper = testMapper();
const OPENAT = fs.readFileSync(path.join(ROOT, 'test/fixtures/classic/openat-creat-mode438.v0.8.json'), 'utf8').trim();
// as JSON escapes in the line: ESC [31m … ESC [0m, NUL, a C1 CSI, DEL, a lone high surrogate, a valid pair, TAB
const HOSTILE_JSON = '/tmp/\\u001b[31mred\\u001b[0m\\u0000x\\u009b\\u007f\\ud800y\\ud83d\\ude00\\tz';
const EXPECTED = '/tmp/\\u001b[31mred\\u001b[0m\\u0000x\\u009b\\u007f\uFFFDy\u{1F600}\tz';

function decoded(text: string): TraceeEvent {
  const r = decodeText(text);
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

/** file.path in the ECS JSON text, the ECS object, the OTel attribute and the OTLP/JSON request. */
function outputs(ev: TraceeEvent) {
  const json = JSON.parse(mapper.toEcsJson(ev).json) as Record<string, any>;
  const obj = mapper.toEcs(ev).doc as Record<string, any>;
  const otel = mapper.toOtel(ev);
  const otlp = otlpJsonResourceLogs(otel) as {
    scopeLogs: Array<{ logRecords: Array<{ attributes: Array<{ key: string; value: { stringValue?: string } }> }> }>;
  };
  const otlpPath = otlp.scopeLogs[0].logRecords[0].attributes.find((a) => a.key === 'file.path')?.value.stringValue;
  return {
    ecsJson: json.file.path,
    ecsObject: obj.file.path,
    otel: otel.attributes['file.path'],
    otlp: otlpPath,
    message: json.message,
    body: otel.body,
  };
}

describe('text policy: the same text in ECS and OTLP', () => {
  const line = OPENAT.replace('"value":"/tmp/testing.txt"', `"value":"${HOSTILE_JSON}"`);

  it('classic line: lone surrogate → U+FFFD, controls → visible \\u escapes, TAB and pairs kept; identical everywhere', () => {
    const o = outputs(decoded(line));
    expect(o.ecsJson).toBe(EXPECTED);
    expect(o.ecsObject).toBe(EXPECTED);
    expect(o.otel).toBe(EXPECTED);
    expect(o.otlp).toBe(EXPECTED);
    expect(o.message).toBe(o.body);
    expect(o.message).toContain(EXPECTED);
    expect(EXPECTED).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(EXPECTED.isWellFormed()).toBe(true);
  });

  it('the structured shape and already parsed values get the same text', () => {
    const viaStructured = decoded(
      JSON.stringify(toStructuredJson(decoded(line)), (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
    );
    expect(outputs(viaStructured).otel).toBe(EXPECTED);
    const parsed = JSON.parse(line.replace(/("timestamp"|"threadStartTime"):(\d+)/g, '$1:"$2"')) as unknown;
    const r = decodeValue(parsed);
    if (!r.ok) throw new Error(r.reason);
    expect(outputs(r.event).ecsJson).toBe(EXPECTED);
  });

  it('argument names (object keys) too; the real line without such characters is not walked', () => {
    expect(mayNeedCleaning(OPENAT)).toBe(false);
    for (const [text, hit] of [
      ['"\\u0070"', false],
      ['"\\u007f"', true],
      ['"\\u001B"', true],
      ['"\\uD800"', true],
      ['"\\udfff"', true],
      ['"\\ue000"', false],
      ['"\\u00a0"', false],
      ['"\\u0085"', true],
      ['"é"', false],
      ['"\u0085"', true],
      ['"😀"', true],
    ] as const)
      expect(mayNeedCleaning(text), text).toBe(hit);
    expect(mayNeedCleaning(line)).toBe(true);
    const v = cleanValue({ 'a\u001bb': ['x\u0000', { k: '\udc00' }], n: 1, ok: 'plain' }) as Record<string, unknown>;
    expect(v).toEqual({ 'a\\u001bb': ['x\\u0000', { k: '\uFFFD' }], n: 1, ok: 'plain' });
    expect(Object.keys(v)).toEqual(['a\\u001bb', 'n', 'ok']);
    expect(cleanText('\u0001123456789012345678')).toBe('\u0001123456789012345678'); // a marked big integer
    expect(cleanText('line1\nline2\r\n\ttab')).toBe('line1\nline2\r\n\ttab');
    expect(cleanText('\u0085')).toBe('\\u0085');
  });

  it('deep nesting costs no stack', () => {
    let deep: unknown = 'x\u0007';
    for (let k = 0; k < 200000; k++) deep = [deep];
    expect(() => cleanValue(deep)).not.toThrow();
  });
});
