import { describe, expect, it } from 'vitest';
import { Watermark } from '../../../src/sources/files/watermark.ts';
import { readRecords } from '../../../src/sources/read-records.ts';

async function* stream(chunks: Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}

describe('Watermark (committed offset of records that settle out of order)', () => {
  it('commits the end of the longest settled prefix only', () => {
    const wm = new Watermark({ offset: 100, line: 4 });
    const t = [110, 125, 140, 160].map((end, i) => wm.issue(end, 5 + i));
    expect(wm.committed()).toEqual({ offset: 100, line: 4 });
    wm.settle(t[1]);
    wm.settle(t[3]);
    expect(wm.committed()).toEqual({ offset: 100, line: 4 }); // the first is still out
    wm.settle(t[0]);
    expect(wm.committed()).toEqual({ offset: 125, line: 6 }); // 0 and 1 settled; 2 is not
    wm.settle(t[0]); // a repeated ack changes nothing
    expect(wm.unsettled()).toBe(2);
    wm.settle(t[2]);
    expect(wm.committed()).toEqual({ offset: 160, line: 8 });
    expect(wm.unsettled()).toBe(0);
  });

  it('stays right across compaction with a random settle order', () => {
    const wm = new Watermark({ offset: 0, line: 0 });
    const n = 10_000;
    const tickets = Array.from({ length: n }, (_, i) => wm.issue((i + 1) * 10, i + 1));
    // settle in a shuffled order; after each, committed = the end of the settled prefix
    const order = tickets.map((t) => t);
    let seed = 7;
    for (let i = order.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const j = seed % (i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const settled = new Array<boolean>(n).fill(false);
    let prefix = 0;
    for (let k = 0; k < n; k++) {
      wm.settle(order[k]);
      settled[order[k]] = true;
      while (prefix < n && settled[prefix]) prefix++;
      if (k % 97 === 0 || k === n - 1) expect(wm.committed().offset).toBe(prefix * 10);
    }
    expect(wm.committed()).toEqual({ offset: n * 10, line: n });
  });
});

describe('readRecords byte positions', () => {
  it('gives each record the offset after its newline, from a resume offset and line, across chunk borders', async () => {
    const text = 'aa\n\nbbbb\r\ncc'; // a blank line, CRLF, an unfinished last line
    const chunks = [Buffer.from(text.slice(0, 4)), Buffer.from(text.slice(4, 9)), Buffer.from(text.slice(9))];
    const acks: Array<[number, number]> = [];
    const out = [];
    for await (const r of readRecords(stream(chunks), 'f', {
      startOffset: 1000,
      startLine: 10,
      ackFor: (end, line) => {
        acks.push([end, line]);
        return () => {};
      },
    }))
      out.push(r);
    expect(out.map((r) => [r.kind === 'text' ? r.text : r.kind, r.end, r.origin.line])).toEqual([
      ['aa', 1003, 11],
      ['bbbb', 1010, 13],
      ['cc', 1012, 14],
    ]);
    expect(acks).toEqual([
      [1003, 11],
      [1010, 13],
      [1012, 14],
    ]);
    expect(typeof out[0].ack).toBe('function');
  });

  it('leaves an unfinished last line out when asked (the file was truncated under it)', async () => {
    const out = [];
    for await (const r of readRecords(stream([Buffer.from('x\ny')]), 'f', { keepUnfinishedLine: () => false }))
      out.push(r);
    expect(out.map((r) => r.end)).toEqual([2]);
  });
});
