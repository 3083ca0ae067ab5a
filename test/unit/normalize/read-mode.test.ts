// Issue #18 point 5: whole-document input is recognised by content (first non-space character, a
// value that does not close on its first line), not by a first line that is a lone "{"; every
// rejection says which mode was used. On real Tracee lines (test/fixtures/classic, the shared
// fixtures) laid out as users do: pretty-printed with the first key on the first line, `jq .`
// output of several events, and NDJSON whose first line is a real malformed line.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runMap } from '../../../src/cli/map-command.ts';
import { DOCUMENT_MODE, LINES_MODE, startsDocument, topLevelValues } from '../../../src/sources/read-records.ts';
import { ROOT, SHARED_FIXTURES, testMapper } from '../../helpers/samples.ts';

const mapper = testMapper();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'read-mode-'));
const OPENAT = fs.readFileSync(path.join(ROOT, 'test/fixtures/classic/openat-creat-mode438.v0.8.json'), 'utf8').trim();
const READS = fs
  .readFileSync(path.join(ROOT, 'test/fixtures/classic/read-fd-path.v0.9.ndjson'), 'utf8')
  .trim()
  .split('\n');
const BROKEN = fs
  .readFileSync(path.join(SHARED_FIXTURES, 'malformed/fileless_execution-missing-quote.json'), 'utf8')
  .trim();

/** A real line pretty-printed with two-space indents, keeping its numbers' text (big integers exact). */
function pretty(line: string): string {
  return line.replace(/,"/g, ',\n  "').replace(/^\{/, '{ ').replace(/\}$/, '\n}');
}

async function map(name: string, text: string) {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) =>
    new Writable({
      write(c, _e, cb) {
        f(String(c));
        cb();
      },
    });
  const summary = await runMap({
    to: 'ecs',
    input: file,
    mapper,
    out: sink((s) => {
      out += s;
    }),
    err: sink((s) => {
      err += s;
    }),
  });
  return {
    summary,
    docs: out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
    err,
    file,
  };
}

describe('whole-document input by content', () => {
  it('a pretty-printed event whose first line holds its first key: one event, no rejection', async () => {
    const text = pretty(OPENAT);
    expect(text.split('\n')[0]).toBe('{ "timestamp":1657321167356729582,');
    const r = await map('first-key.json', text);
    expect(r.summary).toEqual({ mapped: 1, rejected: 0 });
    expect(r.docs[0]['@timestamp']).toBe('2022-07-08T22:59:27.356729582Z');
    expect(r.docs[0].file.mode).toBe('666');
  });

  it('`jq .`-style output: several pretty-printed events one after another', async () => {
    const r = await map('jq.json', [OPENAT, ...READS].map(pretty).join('\n'));
    expect(r.summary).toEqual({ mapped: 3, rejected: 0 });
    expect(r.docs.map((d) => d.file.path)).toEqual(['/tmp/testing.txt', '/etc/locale.alias', '/etc/passwd']);
  });

  it('NDJSON whose first line is broken mid-line (its braces never close, but no line could complete it): read by line, one rejection, the rest mapped', async () => {
    expect(startsDocument(BROKEN)).toBe(false); // its unbalanced quote leaves the braces open, but JSON fails before the line's end
    const r = await map('broken-first.ndjson', [BROKEN, ...READS].join('\n') + '\n');
    expect(r.summary).toEqual({ mapped: 2, rejected: 1 });
    expect(r.err).toContain(`${r.file}:1: rejected: malformed JSON`);
    expect(r.err).toContain(LINES_MODE);
    expect(r.docs.map((d) => d.file.path)).toEqual(['/etc/locale.alias', '/etc/passwd']);
  });

  it('a cut first line (an object never closed) followed by NDJSON: the lines are read one by one', async () => {
    const cut = READS[0].slice(0, 200);
    const r = await map('cut-first.ndjson', [cut, ...READS].join('\n') + '\n');
    expect(r.summary).toEqual({ mapped: 2, rejected: 1 });
    expect(r.err).toContain(`${r.file}:1: rejected: malformed JSON`);
    expect(r.docs.map((d) => d.file.path)).toEqual(['/etc/locale.alias', '/etc/passwd']);
  });

  it('NDJSON: a bad later line is rejected as a line, saying the input was read as NDJSON', async () => {
    const r = await map('bad-later.ndjson', [READS[0], BROKEN, READS[1]].join('\n'));
    expect(r.summary).toEqual({ mapped: 2, rejected: 1 });
    expect(r.err).toContain(`${r.file}:2: rejected: malformed JSON`);
    expect(r.err).toContain(`(${LINES_MODE})`);
  });

  it('a broken pretty-printed event: one rejection at its first line, saying it was read whole', async () => {
    const text = pretty(OPENAT).replace('"eventName":"openat"', '"eventName":openat"');
    const r = await map('broken-pretty.json', `${text}\n${pretty(READS[0])}\n`);
    expect(r.summary.mapped).toBe(1);
    expect(r.summary.rejected).toBeGreaterThanOrEqual(1);
    expect(r.err).toContain(`${r.file}:1: rejected: malformed JSON document`);
    expect(r.err).toContain(DOCUMENT_MODE);
  });

  it('first-line decision: "{" with its value closed is a line; "[" and an open "{" start documents', () => {
    expect(startsDocument(READS[0])).toBe(false);
    expect(startsDocument('  {')).toBe(true);
    expect(startsDocument('{ "timestamp": 1,')).toBe(true);
    expect(startsDocument('[')).toBe(true);
    expect(startsDocument('{"a":"}"}')).toBe(false); // braces in strings do not count
    expect(startsDocument('{"a":"\\"}"}')).toBe(false); // nor escaped quotes
    expect(startsDocument('not json')).toBe(false);
    expect(startsDocument('{not json 0-0')).toBe(false); // a bad NDJSON line: JSON stops before its end
    expect(startsDocument('{"a": 1,')).toBe(true); // JSON stops only at its end: more lines may complete it
  });

  it('a flood of bad NDJSON lines that open a brace: every line is its own rejection, not one document', async () => {
    const lines = Array.from({ length: 50 }, (_v, i) => `{not json ${i}`);
    const r = await map('bad-flood.ndjson', [...lines, READS[0]].join('\n') + '\n');
    expect(r.summary).toEqual({ mapped: 1, rejected: 50 });
    expect(r.err).toContain(`${r.file}:50: rejected: malformed JSON`);
  });

  it('topLevelValues: values with their first lines; text that is no object runs to its line end', () => {
    expect(topLevelValues('{\n "a": 1\n}\n\n[1,\n2]\nnope\n{"b":"x\n}')).toEqual([
      { text: '{\n "a": 1\n}', line: 1 },
      { text: '[1,\n2]', line: 5 },
      { text: 'nope', line: 7 },
      { text: '{"b":"x', line: 8 }, // a raw newline inside a string ends the (malformed) value
      { text: '}', line: 9 },
    ]);
  });
});
