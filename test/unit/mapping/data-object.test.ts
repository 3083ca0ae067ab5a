// tracee.data (the event's arguments as one object, src/mapping/transforms/event.ts dataObject /
// dataObjectJson): every argument an own member, in argument order, whatever its name; the OTel
// attribute and the ECS JSON text agree.

import { describe, expect, it } from 'vitest';
import { decodeText } from '../../../src/normalize/decode.ts';
import type { TraceeEvent } from '../../../src/model/event.ts';
import { testMapper } from '../../helpers/samples.ts';

function classic(args: Array<{ name: string; type: string; value: unknown }>): TraceeEvent {
  const text = JSON.stringify({
    timestamp: 1700000000000000000,
    processId: 5,
    threadId: 5,
    hostProcessId: 5,
    hostThreadId: 5,
    processName: 'sh',
    eventName: 'openat',
    args,
  }).replace('1700000000000000000', '1700000000123456789');
  const d = decodeText(text);
  if (!d.ok) throw new Error(d.reason);
  return d.event;
}

describe('tracee.data', () => {
  const mapper = testMapper();

  it('holds every argument as an own member, in order (OTel attribute = ECS text)', () => {
    const ev = classic([
      { name: 'dirfd', type: 'int', value: -100 },
      { name: 'pathname', type: 'const char*', value: '/etc/passwd' },
      { name: 'flags', type: 'int', value: 0 },
    ]);
    const data = mapper.toOtel(ev).attributes['tracee.data'] as Record<string, unknown>;
    expect(Object.keys(data)).toEqual(['dirfd', 'pathname', 'flags']);
    const ecs = JSON.parse(mapper.toEcsJson(ev).json) as { tracee: { data: unknown } };
    expect(ecs.tracee.data).toEqual(data);
    expect(JSON.stringify(ecs.tracee.data)).toBe(JSON.stringify(data));
  });

  it('an argument named "__proto__" is an own member, not the object\'s prototype', () => {
    const ev = classic([
      { name: 'a', type: 'int', value: 1 },
      { name: '__proto__', type: 'const char*', value: 'x' },
      { name: 'constructor', type: 'int', value: 2 },
    ]);
    const data = mapper.toOtel(ev).attributes['tracee.data'] as Record<string, unknown>;
    expect(Object.keys(data)).toEqual(['a', '__proto__', 'constructor']);
    expect(Object.hasOwn(data, '__proto__')).toBe(true);
    expect(data.__proto__).toBe('x');
    expect(JSON.stringify(data)).toBe('{"a":1,"__proto__":"x","constructor":2}');
    const ecs = JSON.parse(mapper.toEcsJson(ev).json) as { tracee: { data: Record<string, unknown> } };
    expect(Object.keys(ecs.tracee.data)).toEqual(['a', '__proto__', 'constructor']);
  });
});
