import { describe, expect, it } from 'vitest';
import { createInterner, INTERN_MAX_LENGTH } from '../../../src/util/intern.ts';

describe('createInterner', () => {
  it('gives back an equal string for any string, joined or sliced, and holds one per distinct value', () => {
    const intern = createInterner();
    const names = ['net_packet_dns', 'execve', '__proto__', '123', '007', '', 'é✓ 😀', 'constructor', 'toString'];
    for (const n of names) {
      const joined = `tracee.${n}`;
      expect(intern(joined)).toBe(joined);
      expect(intern(`tracee.${n}`.slice(0))).toBe(joined);
    }
    expect(intern.held).toBe(names.length);
    // looking a value up again adds nothing
    for (const n of names) intern(`tracee.${n}`);
    expect(intern.held).toBe(names.length);
  });

  it('holds at most `max` strings: an endless stream of new values stays bounded and correct', () => {
    const intern = createInterner(8);
    for (let i = 0; i < 1000; i++) {
      const v = `event-${i}`;
      expect(intern(v)).toBe(v);
      expect(intern.held).toBeLessThanOrEqual(8);
    }
    expect(intern.held).toBeGreaterThan(0);
  });

  it('holds no string longer than INTERN_MAX_LENGTH (an event name comes from input: a 4 MiB name is not kept)', () => {
    const intern = createInterner(8);
    const long = `tracee.${'x'.repeat(INTERN_MAX_LENGTH)}`;
    expect(intern(long)).toBe(long);
    expect(intern('x'.repeat(4 * 1024 * 1024))).toHaveLength(4 * 1024 * 1024);
    expect(intern.held).toBe(0);
    expect(intern('x'.repeat(INTERN_MAX_LENGTH))).toHaveLength(INTERN_MAX_LENGTH);
    expect(intern.held).toBe(1);
  });
});
