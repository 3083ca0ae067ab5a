// readRecordBatches: what ingest takes from a pull source. Lines come in a batch per chunk read;
// whole-document input (pretty-printed events one after another, an array) in a batch per top-level
// value, parsed only when its batch is asked for.

import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BATCH_BYTES, type InputRecord, readRecordBatches, readRecords } from '../../../src/sources/read-records.ts';

/** An event with an exact ns timestamp (past 2^53, as Tracee writes it), on one line or pretty-printed. */
const line = (i: number) => `{"eventName":"open","timestamp":170000000000000000${i},"args":[]}`;
const pretty = (i: number) => `{\n  "eventName": "open",\n  "timestamp": 170000000000000000${i},\n  "args": []\n}`;

async function batchesOf(chunks: string[]): Promise<InputRecord[][]> {
  const out: InputRecord[][] = [];
  for await (const b of readRecordBatches(Readable.from(chunks.map((c) => Buffer.from(c))), 'test')) out.push(b);
  return out;
}

describe('readRecordBatches', () => {
  it('lines: one batch per chunk, holding the lines that end in it, with their lines and ends', async () => {
    const l = line;
    const batches = await batchesOf([`${l(1)}\n${l(2)}\n${l(3).slice(0, 10)}`, `${l(3).slice(10)}\n${l(4)}`]);
    expect(batches.map((b) => b.map((r) => r.origin.line))).toEqual([[1, 2], [3], [4]]);
    expect(batches.flat().every((r) => r.kind === 'text')).toBe(true);
    expect(batches[0][1].end).toBe(l(1).length + 1 + l(2).length + 1);
  });

  it('a chunk over BATCH_BYTES (a file source reads 256 KiB) comes in a batch per BATCH_BYTES of it, no line cut or lost', async () => {
    // lines with a 3-byte character, so that pieces end inside lines and inside characters
    const lines = Array.from(
      { length: 2000 },
      (_, i) => `{"eventName":"open","i":${i},"path":"/tmp/€${'x'.repeat(i % 300)}"}`,
    );
    const chunk = Buffer.from(lines.map((l) => `${l}\n`).join(''));
    expect(chunk.length).toBeGreaterThan(4 * BATCH_BYTES);
    const batches: InputRecord[][] = [];
    for await (const b of readRecordBatches(Readable.from([chunk]), 'test')) batches.push(b);
    expect(batches.length).toBe(Math.ceil(chunk.length / BATCH_BYTES));
    const all = batches.flat();
    expect(all.map((r) => (r.kind === 'text' ? r.text : r.kind))).toEqual(lines);
    expect(all.map((r) => r.origin.line)).toEqual(lines.map((_l, i) => i + 1));
    expect(all.at(-1)!.end).toBe(chunk.length);
    // each batch holds the lines that end in its piece of the chunk
    for (let k = 0; k < batches.length; k++) {
      for (const r of batches[k]) {
        expect(r.end!).toBeGreaterThan(k * BATCH_BYTES);
        expect(r.end!).toBeLessThanOrEqual((k + 1) * BATCH_BYTES);
      }
    }
  });

  it('lines cut from chunks at random places read as each line decoded alone: invalid UTF-8, BOM, CR, blank lines', async () => {
    // The reference: the whole input split at its newlines, each line decoded by a fatal decoder
    // (which leaves out one byte-order mark at its start). Lines are cut from a chunk by offset
    // once all its lines were found valid UTF-8; this checks that path against per-line decoding.
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const pieces: Buffer[] = [
      Buffer.from('{"eventName":"open","path":"/tmp/€ü𝄞"}'),
      Buffer.from('{"eventName":"x"}\r'),
      Buffer.from('\ufeff{"eventName":"bom"}'),
      Buffer.from('\ufeff\ufeff{"eventName":"two boms"}'),
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // invalid UTF-8
      Buffer.from([0x7b, 0x22, 0xe2, 0x82, 0x22, 0x7d]), // a cut 3-byte character
      Buffer.from('   '),
      Buffer.from(''),
      Buffer.from(`{"eventName":"long","x":"${'y'.repeat(3000)}"}`),
    ];
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 40; round++) {
      const lines = Array.from({ length: 30 + rnd(60) }, () => pieces[rnd(pieces.length)]);
      lines[0] = pieces[0]; // the first line decides NDJSON (not a document)
      const input = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
      const expected: Array<string | number> = [];
      lines.forEach((l, i) => {
        let text: string;
        try {
          text = decoder.decode(l);
        } catch {
          expected.push(i + 1);
          return;
        }
        if (text.endsWith('\r')) text = text.slice(0, -1);
        if (text.trim() !== '') expected.push(text);
      });
      const chunks: Buffer[] = [];
      for (let at = 0; at < input.length; ) {
        const size = 1 + rnd(round % 2 === 0 ? 200 : 9000);
        chunks.push(input.subarray(at, at + size));
        at += size;
      }
      const got: Array<string | number> = [];
      for await (const b of readRecordBatches(Readable.from(chunks), 'test'))
        for (const r of b)
          got.push(
            r.kind === 'text' ? r.text : r.kind === 'error' && r.code === 'invalid_utf8' ? r.origin.line! : r.kind,
          );
      expect(got).toEqual(expected);
    }
  });

  it('pretty-printed documents one after another: a batch per document, each parsed when asked for', async () => {
    const text = [1, 2, 3].map(pretty).join('\n');
    const gen = readRecordBatches(Readable.from([Buffer.from(text)]), 'test');
    const first = await gen.next();
    expect((first.value as InputRecord[]).map((r) => r.kind)).toEqual(['value']);
    const rest: InputRecord[][] = [];
    for await (const b of gen) rest.push(b);
    expect(rest.map((b) => b.length)).toEqual([1, 1]);
    const all = [first.value as InputRecord[], ...rest].flat();
    expect(all.map((r) => (r.kind === 'value' ? (r.value as { timestamp: unknown }).timestamp : r.kind))).toEqual([
      1_700_000_000_000_000_001n,
      1_700_000_000_000_000_002n,
      1_700_000_000_000_000_003n,
    ]);
  });

  it('a JSON array: one batch of its elements; readRecords gives the same records one by one', async () => {
    const text = `[\n${[1, 2, 3].map(pretty).join(',\n')}\n]`;
    const batches = await batchesOf([text]);
    expect(batches.map((b) => b.length)).toEqual([3]);
    const flat: InputRecord[] = [];
    for await (const r of readRecords(Readable.from([Buffer.from(text)]), 'test')) flat.push(r);
    expect(flat.map((r) => r.origin)).toEqual(batches[0].map((r) => r.origin));
  });
});
