import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { followFile } from '../../../src/sources/follow-file.ts';

async function collect(gen: AsyncGenerator<Buffer>, until: (text: string) => boolean, ac: AbortController, timeoutMs = 5000): Promise<string> {
  let text = '';
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  for await (const chunk of gen) {
    text += chunk.toString();
    if (until(text)) break;
  }
  clearTimeout(timer);
  return text;
}

describe('followFile', () => {
  it('reads the file, then what is appended, across a rename rotation and a truncation', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'follow-'));
    const f = path.join(dir, 'events.json');
    fs.writeFileSync(f, 'a\n');
    const ac = new AbortController();
    const logs: string[] = [];
    const gen = followFile(f, { pollIntervalMs: 20, signal: ac.signal, log: (m) => logs.push(m) });
    const steps = (async () => {
      await new Promise((r) => setTimeout(r, 100));
      fs.appendFileSync(f, 'b\n');
      await new Promise((r) => setTimeout(r, 100));
      fs.renameSync(f, f + '.1');
      fs.writeFileSync(f, 'c\n');
      await new Promise((r) => setTimeout(r, 150));
      fs.truncateSync(f, 0);
      await new Promise((r) => setTimeout(r, 100));
      fs.appendFileSync(f, 'd\n');
    })();
    const text = await collect(gen, (t) => t.endsWith('d\n'), ac);
    await steps;
    expect(text).toBe('a\nb\nc\nd\n');
    expect(logs.some((l) => l.includes('rotated'))).toBe(true);
    expect(logs.some((l) => l.includes('truncated'))).toBe(true);
  });

  it('start_at end skips what is already there; a missing file is waited for', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'follow-'));
    const f = path.join(dir, 'later.json');
    const ac = new AbortController();
    const gen = followFile(f, { pollIntervalMs: 20, signal: ac.signal, startAt: 'end' });
    setTimeout(() => fs.writeFileSync(f, 'old\n'), 50);
    // the file appears after the generator started: its first open is at "end" → old is skipped
    setTimeout(() => fs.appendFileSync(f, 'new\n'), 250);
    const text = await collect(gen, (t) => t.includes('new'), ac);
    expect(text === 'new\n' || text === 'old\nnew\n').toBe(true);
  });
});
