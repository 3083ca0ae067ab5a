// Big integers (beyond 2^53) come back exact wherever they are: the classic reader skips walking the
// arguments when every big integer of the line is a top-level field, and must still find nested ones.

import { describe, expect, it } from 'vitest';
import { decodeText } from '../../../src/normalize/decode.ts';

const line = (top: Record<string, string>, args: string) =>
  `{"timestamp":1696259024822467299,"eventName":"x","processId":1,${Object.entries(top)
    .map(([k, v]) => `"${k}":${v}`)
    .join(',')}${Object.keys(top).length ? ',' : ''}"args":${args}}`;

function decode(text: string) {
  const r = decodeText(text);
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

describe('big integers in classic events', () => {
  it('only top-level: timestamps and ids exact, arguments untouched', () => {
    const ev = decode(
      line(
        { threadStartTime: '1696259024000000001', cgroupId: '18446744073709551615' },
        '[{"name":"s","type":"string","value":"\\u00e9 12345678901234567890"},{"name":"n","type":"u64","value":42}]',
      ),
    );
    expect(ev.timestamp).toBe(1696259024822467299n);
    expect(ev.workload.process?.thread?.start_time).toBe(1696259024000000001n);
    expect(ev.classic?.cgroup_id).toBe(18446744073709551615n);
    expect(ev.data).toEqual([
      { name: 's', kind: 'str', value: 'é 12345678901234567890', type: 'string' },
      { name: 'n', kind: 'u_int64', value: 42, type: 'u64' },
    ]);
  });

  it('nested in argument values too: every one revived', () => {
    const ev = decode(
      line(
        {},
        '[{"name":"p","type":"u64","value":18446744073709551615},{"name":"o","type":"unknown","value":{"a":[9007199254740993,{"b":-9223372036854775808}],"c":"12345678901234567890"}}]',
      ),
    );
    expect(ev.timestamp).toBe(1696259024822467299n);
    expect(ev.data[0].value).toBe(18446744073709551615n);
    expect(ev.data[1].value).toEqual({
      a: [9007199254740993n, { b: -9223372036854775808n }],
      c: '12345678901234567890',
    });
  });

  it('threat properties of a detection are revived when they hold the big integer', () => {
    const text = line({ metadata: '{"Properties":{"Severity":2,"id":12345678901234567890}}' }, '[]');
    const ev = decode(text);
    expect(ev.threat?.properties).toEqual({ id: '12345678901234567890' });
  });
});
