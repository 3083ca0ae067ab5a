// Hostile input, generated deterministically from a seed: NDJSON lines that must each end counted
// (mapped, or rejected with a reason and their origin) and never crash or pollute the process.
// Every 10th line (0, 10, 20…) is a real sample; the others cycle through the attack kinds below.
// Each line says whether it is a valid Tracee event (mapped) or must be rejected, by construction:
// hostile-but-valid lines (a `__proto__` key or `1e400` inside an otherwise valid event) count as valid.

import { decodeText } from '../../src/normalize/decode.ts';
import { seeded } from './random.ts';
import { sharedSamples, testMapper } from './samples.ts';

export interface AdversarialLine {
  /** The raw bytes, no newline (may be invalid UTF-8). */
  bytes: Buffer;
  valid: boolean;
  kind: string;
}

/** The real single-line samples that decode and map (classic and structured shapes). */
export function validSampleLines(): string[] {
  const mapper = testMapper();
  const out: string[] = [];
  for (const s of sharedSamples(50)) {
    for (const r of s.records) {
      const line = r.trim();
      if (line.includes('\n') || !line.startsWith('{')) continue;
      const d = decodeText(line);
      if (!d.ok) continue;
      try {
        mapper.toEcsJson(d.event);
        mapper.toOtel(d.event);
      } catch {
        continue;
      }
      out.push(line);
    }
  }
  return out;
}

/** A classic sample to mutate: a flat object of the classic JSON fields. */
function classicBase(samples: string[]): Record<string, unknown> {
  const line = samples.find((l) => l.includes('"eventName"') && l.includes('"args"'));
  if (line === undefined) throw new Error('no classic sample');
  return JSON.parse(line) as Record<string, unknown>;
}

/** Every known classic field with a value of a type it must never have. */
const WRONG_TYPES: Array<[string, unknown]> = [
  ['eventName', 42],
  ['eventName', ''],
  ['eventName', { x: 1 }],
  ['eventName', ['a']],
  ['eventName', true],
  ['timestamp', 'yesterday'],
  ['timestamp', { s: 1 }],
  ['timestamp', 1.5],
  ['timestamp', [1]],
  ['timestamp', true],
  ['args', { name: 'a', value: 1 }],
  ['args', 'args'],
  ['args', 7],
  ['args', [1, 2]],
  ['args', [{ value: 1 }]],
  ['args', [{ name: 5, value: 1 }]],
  ['args', [{ name: 'x', type: 9, value: 1 }]],
  ['processId', { x: 1 }],
  ['processId', 'abc'],
  ['processId', 1.25],
  ['threadId', true],
  ['hostProcessId', [1]],
  ['hostThreadId', 'x1'],
  ['parentProcessId', {}],
  ['hostParentProcessId', 'nope'],
  ['userId', [0]],
  ['processName', 7],
  ['processName', { n: 1 }],
  ['executable', 'bin'],
  ['executable', { path: 3 }],
  ['threadStartTime', 'soon'],
  ['processEntityId', 'id'],
  ['threadEntityId', {}],
  ['parentEntityId', true],
  ['syscall', 12],
  ['contextFlags', 3],
  ['contextFlags', { isCompat: 'yes' }],
  ['stackAddresses', 'x'],
  ['stackAddresses', ['a']],
  ['matchedPolicies', 'p'],
  ['matchedPolicies', [1]],
  ['container', 'c'],
  ['kubernetes', 5],
  ['metadata', 'm'],
  ['metadata', { Version: 1 }],
  ['metadata', { Tags: 'x' }],
];

/** Keys that would reach a prototype if copied with plain assignment. */
const PROTO_BAD = [
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"prototype":{"polluted":"yes"}}',
  '{"__proto__":null,"name":"x"}',
];

const NUMBERS_BAD = [
  '1e400',
  '-0',
  '123456789012345678901234567890',
  '-1e-400',
  'NaN',
  'Infinity',
  '0x10',
  '01',
  '1.',
  '.5',
];
const SHAPES_BAD = [
  '{}',
  '[]',
  '[1,2,3]',
  'null',
  'true',
  '"a string"',
  '[{}]',
  '{"": ""}',
  '{"name":"x"}',
  '{"args":[]}',
];

export interface GenerateOptions {
  lines: number;
  seed: number;
  /** How many ~5 MB lines (at the given positions). */
  hugeLineAt?: number[];
  /** How many lines nested 100k deep (at the given positions). */
  deepLineAt?: number[];
}

export function generateAdversarialLines(opts: GenerateOptions): AdversarialLine[] {
  const rnd = seeded(opts.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const samples = validSampleLines();
  const base = classicBase(samples);
  const huge = new Set(opts.hugeLineAt ?? []);
  const deep = new Set(opts.deepLineAt ?? []);
  const out: AdversarialLine[] = [];
  const text = (s: string, valid: boolean, kind: string): AdversarialLine => ({
    bytes: Buffer.from(s, 'utf8'),
    valid,
    kind,
  });

  const kinds: Array<() => AdversarialLine> = [
    () => {
      // truncated: cut before the closing brace
      const s = pick(samples);
      return text(s.slice(0, 1 + Math.floor(rnd() * (s.length - 2))), false, 'truncated');
    },
    () => {
      // a known field with a wrong type
      const [field, value] = pick(WRONG_TYPES);
      return text(JSON.stringify({ ...base, [field]: value }), false, `wrong_type:${field}`);
    },
    () => {
      // invalid UTF-8 inside an otherwise valid event
      const b = Buffer.from(pick(samples), 'utf8');
      const at = 1 + Math.floor(rnd() * (b.length - 2));
      const bad = pick([
        [0xff],
        [0xc3],
        [0xc0, 0xaf],
        [0xed, 0xa0, 0x80],
        [0xf8, 0x88, 0x80, 0x80, 0x80],
        [0xe2, 0x82],
      ]);
      return {
        bytes: Buffer.concat([b.subarray(0, at), Buffer.from(bad), b.subarray(at)]),
        valid: false,
        kind: 'invalid_utf8',
      };
    },
    () => text(pick(PROTO_BAD), false, 'proto_keys'),
    () => {
      // prototype keys inside a valid event: mapped, and nothing polluted
      const s = JSON.stringify(base);
      const inject = pick([
        '"__proto__":{"polluted":"yes"},',
        '"constructor":{"prototype":{"polluted":"yes"}},',
        '"prototype":{"polluted":"yes"},',
      ]);
      return text(`{${inject}${s.slice(1)}`, true, 'proto_keys_in_valid_event');
    },
    () => {
      // argument names and values an object-building mapper could trip on
      const name = pick(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty']);
      const value = pick([
        '{"polluted":"yes"}',
        '1e400',
        '-0',
        '123456789012345678901234567890',
        '[]',
        '{}',
        'null',
        '"\\u0000"',
      ]);
      const s = JSON.stringify({ ...base, args: [{ name: 'placeholder', type: 'int', value: 0 }] });
      return text(
        s.replace(
          '{"name":"placeholder","type":"int","value":0}',
          `{"name":${JSON.stringify(name)},"type":"const char*","value":${value}}`,
        ),
        true,
        `hostile_arg:${name}`,
      );
    },
    () => text(pick(NUMBERS_BAD), false, 'number'),
    () =>
      text(
        JSON.stringify({ ...base, timestamp: 0 }).replace(
          '"timestamp":0',
          `"timestamp":${pick(['1e400', '1.5', '123456789012345678901234567890', '-1e400', '-5', '18446744073709551616'])}`,
        ),
        false,
        'bad_timestamp_number',
      ),
    () => text(pick(SHAPES_BAD), false, 'shape'),
  ];

  for (let i = 0; i < opts.lines; i++) {
    if (huge.has(i)) {
      // ~5 MB: a real event whose argument is huge, or plain garbage; both over the 4 MiB line limit
      const big = 'A'.repeat(5 * 1024 * 1024);
      out.push(
        text(
          rnd() < 0.5 ? JSON.stringify({ ...base, args: [{ name: 'blob', type: 'const char*', value: big }] }) : big,
          false,
          'huge',
        ),
      );
    } else if (deep.has(i)) {
      const n = 100_000;
      if (rnd() < 0.5) out.push(text('['.repeat(n) + ']'.repeat(n), false, 'deep_array'));
      else
        out.push(
          text(
            `{"eventName":"x","timestamp":1,"args":[{"name":"a","value":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}]}`,
            false,
            'deep_event',
          ),
        );
    } else if (i % 10 === 0) {
      out.push(text(samples[(i / 10) % samples.length], true, 'sample'));
    } else {
      out.push(kinds[Math.floor(rnd() * kinds.length)]());
    }
  }
  return out;
}
