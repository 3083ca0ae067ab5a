import { describe, expect, it } from 'vitest';
import { parseLossless, reviveBigDeep } from '../../../src/util/lossless-json.ts';
import { formatRfc3339Nano, formatRfc3339Ns, parseRfc3339Ns } from '../../../src/util/time.ts';

const final = (text: string) => {
  const r = parseLossless(text);
  return r.marked ? reviveBigDeep(r.value) : r.value;
};

describe('parseLossless', () => {
  it('keeps integers above 2^53 exactly, where JSON.parse rounds them', () => {
    const text = '{"timestamp":1680119087787203746,"cgroupId":18446744073709551615,"small":42}';
    expect((JSON.parse(text) as { timestamp: number }).timestamp).not.toBe(1680119087787203746n);
    expect(final(text)).toEqual({ timestamp: 1680119087787203746n, cgroupId: 18446744073709551615n, small: 42 });
  });

  it('keeps negative big integers and big integers inside arrays and nested objects', () => {
    expect(final('{"a":[-9223372036854775808,1],"b":{"c":[{"d":9007199254740993}]}}')).toEqual({
      a: [-9223372036854775808n, 1],
      b: { c: [{ d: 9007199254740993n }] },
    });
  });

  it('leaves digits inside strings alone, including after escaped quotes', () => {
    const text = '{"s":"x\\",12345678901234567890,\\"","t":"\\\\","u":12345678901234567890}';
    expect(final(text)).toEqual({ s: 'x",12345678901234567890,"', t: '\\', u: 12345678901234567890n });
  });

  it('does not touch fractions, exponents or safe integers', () => {
    expect(final('[1.12345678901234567890, 1e12345678901234567, 9007199254740991, 1234567890123456]')).toEqual([
      1.1234567890123457,
      Infinity,
      9007199254740991,
      1234567890123456,
    ]);
  });

  it('tells big from safe at the 16-digit boundary by the digits, either sign, at the top level and nested', () => {
    const values = [
      '9007199254740991',
      '9007199254740992',
      '-9007199254740991',
      '-9007199254740992',
      '1000000000000000',
      '9999999999999999',
      '10000000000000000',
      '-18446744073709551615',
    ];
    for (const v of values) {
      const exact = Number.isSafeInteger(Number(v)) ? Number(v) : BigInt(v);
      expect(final(`{"t":${v},"a":[]}`)).toEqual({ t: exact, a: [] });
      expect(final(`{"a":[{"t":${v}}]}`)).toEqual({ a: [{ t: exact }] });
    }
  });

  it('a number with leading zeros stays malformed JSON, however many digits', () => {
    for (const v of ['0000000000000001', '00000000000000000001', '-00000000000000000001'])
      expect(() => parseLossless(`{"t":${v}}`)).toThrow(SyntaxError);
  });

  it('the same top-level big keys event after event, and others between them, each keep their own value', () => {
    for (let i = 0; i < 20; i++) {
      const key = i % 3 === 0 ? `k${i}` : 'timestamp';
      expect(final(`{"${key}":${1700000000000000000n + BigInt(i)},"x":{}}`)).toEqual({
        [key]: 1700000000000000000n + BigInt(i),
        x: {},
      });
    }
  });

  it('is exact even when the text already contains the marker character', () => {
    expect(final('{"a":"\\u0001123","b":12345678901234567890}')).toEqual({ a: '\u0001123', b: 12345678901234567890n });
  });

  it('throws SyntaxError on malformed JSON like JSON.parse', () => {
    expect(() => parseLossless('{"a":1')).toThrow(SyntaxError);
    expect(() => parseLossless('{"a":12345678901234567890')).toThrow(SyntaxError);
  });

  // The exact answer, from JSON.parse's source text access (slow: a reviver call per value).
  const oracle = (text: string) =>
    JSON.parse(text, (_k, v, ctx?: { source?: string }) =>
      typeof v === 'number' && !Number.isSafeInteger(v) && ctx?.source !== undefined && /^-?\d+$/.test(ctx.source)
        ? BigInt(ctx.source)
        : v,
    );

  it('reads top-level big integers before any nested value without rewriting the text (the classic event case)', () => {
    const text =
      '{"timestamp":3399592757030861661,"threadStartTime":3399592752921209981,"pid":7,"args":[{"name":"x","value":1}]}';
    const r = parseLossless(text);
    expect(r.marked).toBe(false); // final values: the reader need not revive anything
    expect(r.bigCount).toBe(2);
    expect(r.value).toEqual(oracle(text));
  });

  it('agrees with JSON.parse on every case the top-level fast path must hand over or get right', () => {
    const cases = [
      '{ "t" : 12345678901234567890 , "u":-12345678901234567890}', // whitespace, negative
      '{"t":12345678901234567890,"t":5}', // repeated key: the last wins
      '{"t":5,"t":12345678901234567890}',
      '{"t":12345678901234567890,"t":12345678901234567891}', // both round to one double
      '{"a\\"b":12345678901234567890}', // escaped quote in the key
      '{"a\\"t":12345678901234567890,"t":12345678901234567890}', // ... whose tail is another key
      '{"a\\\\\\"t":12345678901234567890,"t":12345678901234567890}',
      '{"a\\\\":12345678901234567890}', // escaped backslash in the key
      '{"__proto__":12345678901234567890}',
      '{"a":{},"t":12345678901234567890}', // after a nested value
      '{"s":"{[","t":12345678901234567890}', // brackets inside a string
      '{"s":"12345678901234567890","t":12345678901234567890,"a":[1]}',
      '[12345678901234567890]',
      ' {"t":12345678901234567890}',
    ];
    for (const text of cases) {
      const r = parseLossless(text);
      expect(r.marked ? reviveBigDeep(r.value) : r.value, text).toEqual(oracle(text));
      if (text.includes('__proto__')) expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
    }
  });

  it('creates own "__proto__" keys, never prototypes', () => {
    const v = final('{"__proto__":{"polluted":true},"n":12345678901234567890}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(v, '__proto__')).toBe(true);
  });
});

describe('nanosecond times', () => {
  it('formats and parses RFC 3339 with nanoseconds exactly', () => {
    const ns = 1680119087787203746n;
    expect(formatRfc3339Ns(ns)).toBe('2023-03-29T19:44:47.787203746Z');
    expect(parseRfc3339Ns('2023-03-29T19:44:47.787203746Z')).toBe(ns);
    expect(parseRfc3339Ns('2023-03-29T21:44:47.787203746+02:00')).toBe(ns);
    expect(parseRfc3339Ns('2023-03-29T19:44:47Z')).toBe(1680119087000000000n);
    expect(formatRfc3339Nano(1696259024820530450n)).toBe('2023-10-02T15:03:44.82053045Z');
    expect(parseRfc3339Ns('not a time')).toBeUndefined();
  });
});
