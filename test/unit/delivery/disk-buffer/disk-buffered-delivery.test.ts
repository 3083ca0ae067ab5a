import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDelivery } from '../../../../src/delivery/delivery.ts';
import { createDiskBufferedDelivery } from '../../../../src/delivery/disk-buffer/index.ts';
import type { AckResult } from '../../../../src/delivery/types.ts';
import { PUSHED } from '../../../../src/delivery/delivery.ts';
import { createFakeExporter, fakeManualExporter, fakeOkExporter } from '../../../helpers/fake-exporter.ts';
import { ackedIn, item, openBuffer, revive, segmentFiles, tmpDir, until } from '../../../helpers/disk-buffer-setup.ts';

const down = () => createFakeExporter('fake-down', () => ({ status: 'retryable', reason: 'HTTP 503' }));

describe('disk-buffered delivery: healthy path', () => {
  it('persists, acks the pushed item "persisted" once, delivers from the record in hand, deletes acknowledged segments', async () => {
    const dir = tmpDir();
    const ex = fakeOkExporter();
    const { buffer } = await openBuffer(dir, ex, { segmentBytes: 2048 });
    buffer.start();
    const acks = new Map<number, AckResult[]>();
    for (let n = 0; n < 200; n++) await buffer.push(item(n, acks));
    expect([...acks.values()].every((a) => a.length === 1 && a[0] === 'persisted')).toBe(true);
    expect(acks.size).toBe(200);
    await buffer.flush();
    expect(new Set(ex.accepted).size).toBe(200);
    const st = buffer.bufferStats();
    expect(st.replayedFromDisk).toBe(0); // the fast path: nothing was read back from disk
    expect(st.events).toBe(0);
    await until(() => segmentFiles(dir).length === 1); // only the active segment is left
    const report = await buffer.shutdown(1000);
    expect(report).toMatchObject({ drained: true, pending: [], buffered: 0 });
    expect(ackedIn(dir)).toBe(200);
    expect(segmentFiles(dir)).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);
  });

  it('rolls over to a new segment past segmentBytes', async () => {
    const dir = tmpDir();
    const { buffer } = await openBuffer(dir, down(), { segmentBytes: 1024 });
    for (let n = 0; n < 50; n++) await buffer.push(item(n, undefined, 100));
    const files = segmentFiles(dir);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files.slice(0, -1)) expect(fs.statSync(path.join(dir, f)).size).toBeLessThanOrEqual(1024);
    // names are the first record id of each segment, ascending
    const firsts = files.map((f) => Number(f.slice(0, 16)));
    expect(firsts[0]).toBe(0);
    expect([...firsts].sort((a, b) => a - b)).toEqual(firsts);
    const report = await buffer.shutdown(50);
    expect(report.buffered).toBe(50);
    expect(report.pending).toEqual([]);
  });
});

describe('disk-buffered delivery: restart and replay', () => {
  it('events not delivered before shutdown stay buffered and are replayed (from disk) at the next start', async () => {
    const dir = tmpDir();
    const first = await openBuffer(dir, down(), { segmentBytes: 4096 });
    first.buffer.start();
    for (let n = 0; n < 300; n++) await first.buffer.push(item(n));
    const report = await first.buffer.shutdown(100);
    expect(report).toMatchObject({ drained: false, pending: [], buffered: 300 });

    const ex = fakeOkExporter();
    const second = await openBuffer(dir, ex);
    expect(second.logs.join('\n')).toMatch(/300 buffered event\(s\) to replay/);
    second.buffer.start();
    await second.buffer.flush();
    expect(ex.accepted.sort()).toEqual(Array.from({ length: 300 }, (_, n) => `e${n}`).sort());
    expect(second.buffer.bufferStats().replayedFromDisk).toBe(300);
    // new pushes after the replay
    await second.buffer.push(item(300));
    await second.buffer.flush();
    expect(ex.accepted).toContain('e300');
    expect(await second.buffer.shutdown(1000)).toMatchObject({ drained: true, buffered: 0 });
    expect(segmentFiles(dir)).toEqual([]);
  });

  it('only records after the acknowledged position are replayed (a snapshot of the directory = a crash)', async () => {
    const dir = tmpDir();
    let up = true;
    const ex1 = createFakeExporter('fake-switch', () =>
      up ? { status: 'ok' } : { status: 'retryable', reason: 'HTTP 503' },
    );
    const first = await openBuffer(dir, ex1);
    first.buffer.start();
    for (let n = 0; n < 40; n++) await first.buffer.push(item(n));
    await first.buffer.flush();
    await until(() => ackedIn(dir) === 40);
    up = false;
    for (let n = 40; n < 50; n++) await first.buffer.push(item(n));
    // the directory as a kill -9 leaves it: segments + checkpoint + a lock of a dead process
    const crashed = tmpDir();
    fs.cpSync(dir, crashed, { recursive: true });
    fs.writeFileSync(path.join(crashed, 'lock'), '999999999\n');
    const ex = fakeOkExporter();
    const second = await openBuffer(crashed, ex);
    expect(second.logs.join('\n')).toMatch(/10 buffered event\(s\) to replay/);
    second.buffer.start();
    await second.buffer.flush();
    expect(ex.accepted.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `e${40 + i}`).sort());
    await second.buffer.shutdown(1000);
    await first.buffer.shutdown(10);
  });

  it('fsync always: concurrent pushes share fsyncs (group commit) and all resolve once written', async () => {
    const dir = tmpDir();
    const { buffer } = await openBuffer(dir, down(), { fsync: 'always' });
    await Promise.all(Array.from({ length: 100 }, (_, n) => buffer.push(item(n))));
    expect(buffer.bufferStats()).toMatchObject({ persisted: 100, events: 100 });
    const report = await buffer.shutdown(10);
    expect(report.buffered).toBe(100);
  });

  it('a torn tail (partial write at a crash) is counted, logged and cut; every whole record is replayed', async () => {
    const dir = tmpDir();
    const first = await openBuffer(dir, down());
    for (let n = 0; n < 20; n++) await first.buffer.push(item(n));
    await first.buffer.shutdown(10);
    const [seg] = segmentFiles(dir);
    const file = path.join(dir, seg);
    const whole = fs.statSync(file).size;
    // half of one more frame: a header announcing 100 bytes and 30 of them
    const torn = Buffer.alloc(38);
    torn.writeUInt32LE(100, 0);
    fs.appendFileSync(file, torn);
    const ex = fakeOkExporter();
    const second = await openBuffer(dir, ex);
    expect(second.corrupt).toEqual([
      [1, expect.stringMatching(/torn record at the end \(partial write\) at byte \d+, 38 byte\(s\) cut/)],
    ]);
    expect(second.logs.join('\n')).toMatch(/skipped 1 damaged record/);
    expect(fs.statSync(file).size).toBe(whole);
    second.buffer.start();
    await second.buffer.flush();
    expect(ex.accepted.length).toBe(20);
    expect(second.buffer.bufferStats().corrupt).toBe(1);
    await second.buffer.shutdown(1000);
  });

  it('a record with a bad checksum is counted, logged and skipped; the others are replayed', async () => {
    const dir = tmpDir();
    const first = await openBuffer(dir, down());
    for (let n = 0; n < 10; n++) await first.buffer.push(item(n));
    await first.buffer.shutdown(10);
    const file = path.join(dir, segmentFiles(dir)[0]);
    const buf = fs.readFileSync(file);
    // flip a byte inside the 4th record's payload
    let pos = 0;
    for (let k = 0; k < 3; k++) pos += 8 + buf.readUInt32LE(pos);
    buf[pos + 8 + 5] ^= 0xff;
    fs.writeFileSync(file, buf);
    const ex = fakeOkExporter();
    const second = await openBuffer(dir, ex);
    second.buffer.start();
    await second.buffer.flush();
    expect(ex.accepted.sort()).toEqual(['e0', 'e1', 'e2', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
    expect(second.corrupt).toEqual([[1, expect.stringMatching(/checksum mismatch in record 3/)]]);
    await second.buffer.shutdown(1000);
    expect(ackedIn(dir)).toBe(10);
  });

  it('a record that cannot be rebuilt (revive fails) is counted with its origin and skipped', async () => {
    const dir = tmpDir();
    const first = await openBuffer(dir, down());
    await first.buffer.push(item(0));
    await first.buffer.push({
      record: { id: 'x', kind: 'event', doc: {} },
      origin: { source: 'test', line: 99 },
      input: '{"no":"n"}',
    });
    await first.buffer.shutdown(10);
    const ex = fakeOkExporter();
    const second = await openBuffer(dir, ex);
    second.buffer.start();
    await second.buffer.flush();
    expect(ex.accepted).toEqual(['e0']);
    expect(second.corrupt).toEqual([
      [1, expect.stringMatching(/record 1 \(test:99\): cannot rebuild the record: no n/)],
    ]);
    await second.buffer.shutdown(1000);
  });

  it('items without input text (mapped records) survive a restart as they were', async () => {
    const dir = tmpDir();
    const first = await openBuffer(dir, down());
    await first.buffer.push({
      record: { id: 'doc-1', kind: 'alert', doc: { a: { b: [1, 'x'] } }, json: '{"a":{"b":[1,"x"]}}' },
      origin: { source: 'webhook', line: 2, detail: 'req 7' },
    });
    await first.buffer.shutdown(10);
    const seen: unknown[] = [];
    const ex = createFakeExporter('fake-seen', (batch) => {
      for (const i of batch) seen.push({ id: i.record.id, kind: i.record.kind, doc: i.record.doc, origin: i.origin });
      return { status: 'ok' };
    });
    const second = await openBuffer(dir, ex);
    second.buffer.start();
    await second.buffer.flush();
    expect(seen).toEqual([
      {
        id: 'doc-1',
        kind: 'alert',
        doc: { a: { b: [1, 'x'] } },
        origin: { source: 'webhook', line: 2, detail: 'req 7' },
      },
    ]);
    await second.buffer.shutdown(1000);
  });

  it('a second buffer on the same directory is refused while the first is open', async () => {
    const dir = tmpDir();
    const first = await openBuffer(dir, down());
    await expect(openBuffer(dir, down())).rejects.toThrow(/in use by process/);
    await first.buffer.shutdown(10);
    await (await openBuffer(dir, down())).buffer.shutdown(10);
  });
});

describe('disk-buffered delivery: acks in any order', () => {
  it('the checkpoint only moves over a contiguous run of acknowledged records', async () => {
    const dir = tmpDir();
    const ex = fakeManualExporter();
    const { buffer } = await openBuffer(dir, ex, {}, { maxBatchItems: 5, concurrency: 2 });
    buffer.start();
    for (let n = 0; n < 10; n++) await buffer.push(item(n));
    await until(() => ex.waiting === 2);
    // batches 0..4 and 5..9 are in flight; the first fails (retried later), the second is delivered
    expect(ex.calls.map((c) => c.ids[0])).toEqual(['e0', 'e5']);
    ex.answer({ status: 'retryable', reason: 'HTTP 503' });
    ex.answer({ status: 'ok' });
    await new Promise((r) => setTimeout(r, 80));
    expect(buffer.bufferStats().events).toBe(10); // 5..9 acked, but 0..4 are not
    expect(ackedIn(dir)).toBe(0);
    await until(() => ex.waiting === 1);
    ex.answer({ status: 'ok' });
    await buffer.flush();
    await until(() => ackedIn(dir) === 10);
    await buffer.shutdown(1000);
  });
});

describe('disk-buffered delivery: size cap', () => {
  it('block: a push waits for room (backpressure) until acknowledged segments are deleted', async () => {
    const dir = tmpDir();
    const ex = fakeManualExporter();
    const { buffer } = await openBuffer(
      dir,
      ex,
      { maxBytes: 4096, segmentBytes: 1024 },
      { maxBatchItems: 1000, flushIntervalMs: 1 },
    );
    buffer.start();
    let n = 0;
    let blockedAt = -1;
    for (; n < 100; n++) {
      const p = buffer.push(item(n, undefined, 100));
      const done = await Promise.race([p.then(() => true), new Promise((r) => setTimeout(() => r(false), 50))]);
      if (!done) {
        blockedAt = n;
        break;
      }
    }
    expect(blockedAt).toBeGreaterThan(10);
    expect(buffer.bufferStats().bytes).toBeLessThanOrEqual(4096);
    expect(buffer.stats().waitingPushes).toBe(1);
    // the destination answers: records are acked, segments deleted, the push goes through
    while (ex.waiting > 0) ex.answer({ status: 'ok' });
    await until(() => buffer.stats().waitingPushes === 0);
    await until(() => {
      if (ex.waiting > 0) ex.answer({ status: 'ok' });
      return buffer.bufferStats().events === 0;
    });
    expect(new Set(ex.accepted).size).toBe(blockedAt + 1);
    expect(buffer.bufferStats().droppedOldest).toBe(0);
    await buffer.shutdown(1000);
  });

  it('drop_oldest: whole oldest segments go, every dropped event counted (buffer_full_drop_oldest) and logged', async () => {
    const dir = tmpDir();
    const { buffer, drops, logs } = await openBuffer(dir, down(), {
      maxBytes: 4096,
      segmentBytes: 1024,
      whenFull: 'drop_oldest',
      windowItems: 5,
    });
    buffer.start();
    const total = 200;
    for (let n = 0; n < total; n++) await buffer.push(item(n, undefined, 100)); // never blocks
    expect(buffer.bufferStats().bytes).toBeLessThanOrEqual(4096);
    const dropped = drops.reduce((s, [, c]) => s + c, 0);
    expect(drops.every(([r]) => r === 'buffer_full_drop_oldest')).toBe(true);
    expect(dropped).toBeGreaterThan(100);
    expect(logs.some((l) => /dropped the oldest \d+ buffered event\(s\) \(buffer_full_drop_oldest\)/.test(l))).toBe(
      true,
    );
    expect(buffer.stats().dropped.buffer_full_drop_oldest).toBe(dropped);
    const report = await buffer.shutdown(20);
    const droppedAll = drops.reduce((s, [, c]) => s + c, 0); // + records of dropped segments still in memory
    // nothing is lost silently: dropped + still buffered = pushed
    expect(droppedAll + report.buffered!).toBe(total);
    // the buffered ones are the newest, and they are replayed
    const ex = fakeOkExporter();
    const next = await openBuffer(dir, ex);
    next.buffer.start();
    await next.buffer.flush();
    expect(ex.accepted.length).toBe(report.buffered);
    expect(ex.accepted).toContain(`e${total - 1}`);
    await next.buffer.shutdown(1000);
  });
});

describe('disk-buffered delivery: bounded memory', () => {
  it('during an outage records stay on disk: at most windowItems are held in memory; all are delivered after', async () => {
    const dir = tmpDir();
    let up = false;
    const ex = createFakeExporter('fake-switch', () =>
      up ? { status: 'ok' } : { status: 'retryable', reason: 'HTTP 503' },
    );
    const { buffer } = await openBuffer(
      dir,
      ex,
      { windowItems: 20, segmentBytes: 4096 },
      { maxQueueItems: 20, maxBatchItems: 10 },
    );
    buffer.start();
    for (let n = 0; n < 1000; n++) await buffer.push(item(n, undefined, 50));
    await new Promise((r) => setTimeout(r, 50));
    const st = buffer.bufferStats();
    expect(st.events).toBe(1000);
    expect(st.inMemory).toBeLessThanOrEqual(20);
    expect(buffer.stats().queuedItems + buffer.stats().inFlightItems).toBeLessThanOrEqual(20);
    up = true;
    await buffer.flush();
    expect(new Set(ex.accepted).size).toBe(1000);
    expect(buffer.bufferStats().replayedFromDisk).toBeGreaterThan(900); // read back from disk, not kept in memory
    await buffer.shutdown(1000);
  });

  it('a record larger than one read chunk (1 MiB) is replayed whole', async () => {
    const dir = tmpDir();
    const first = await openBuffer(dir, down(), { maxBytes: 8 * 1024 * 1024 });
    await first.buffer.push(item(1, undefined, 1_500_000));
    await first.buffer.push(item(2));
    await first.buffer.shutdown(10);
    const ex = fakeOkExporter();
    const second = await openBuffer(dir, ex, { maxBytes: 8 * 1024 * 1024 });
    second.buffer.start();
    await second.buffer.flush();
    expect(ex.accepted).toEqual(['e1', 'e2']);
    expect(second.corrupt).toEqual([]);
    await second.buffer.shutdown(1000);
  });
});

describe('disk-buffered delivery: damage inside a segment', () => {
  it('an impossible length (zeroed bytes) makes the rest of that segment unreadable: its records are counted, the next segments replayed', async () => {
    const dir = tmpDir();
    const first = await openBuffer(dir, down(), { segmentBytes: 1024 });
    for (let n = 0; n < 30; n++) await first.buffer.push(item(n, undefined, 100));
    await first.buffer.shutdown(10);
    const [seg0, seg1] = segmentFiles(dir);
    const inFirst = Number(seg1.slice(0, 16)) - Number(seg0.slice(0, 16));
    const file = path.join(dir, seg0);
    const buf = fs.readFileSync(file);
    let pos = 0;
    for (let k = 0; k < 2; k++) pos += 8 + buf.readUInt32LE(pos);
    buf.fill(0, pos); // records 2.. of the first segment: zeros (same file size)
    fs.writeFileSync(file, buf);
    const ex = fakeOkExporter();
    const second = await openBuffer(dir, ex, { segmentBytes: 1024 });
    second.buffer.start();
    await second.buffer.flush();
    const lost = inFirst - 2;
    expect(lost).toBeGreaterThan(0);
    expect(second.corrupt).toEqual([[lost, expect.stringMatching(/impossible record length 0 at byte \d+/)]]);
    expect(ex.accepted.length).toBe(30 - lost);
    expect(ex.accepted).toContain('e0');
    expect(ex.accepted).toContain('e29');
    await second.buffer.shutdown(1000);
    expect(ackedIn(dir)).toBe(30);
  });
});

describe('disk-buffered delivery: open()', () => {
  const options = (dir: string) => ({
    dir,
    maxBytes: 1024 * 1024,
    whenFull: 'block' as const,
    fsync: 'interval' as const,
    fsyncIntervalMs: 50,
  });

  it('creating one touches no file; a push before open() is refused, a push while it opens waits for it', async () => {
    const dir = path.join(tmpDir(), 'not-yet');
    const ex = fakeOkExporter();
    const buffer = createDiskBufferedDelivery(createDelivery(ex, { flushIntervalMs: 5 }), revive, options(dir), {
      log: () => {},
    });
    expect(fs.existsSync(dir)).toBe(false);
    expect(buffer.stats().buffer).toMatchObject({ events: 0, segments: 0 });
    await expect(buffer.push(item(0))).rejects.toThrow(/is not open/);
    const opening = Promise.all([buffer.open(), buffer.open()]); // one recovery: a second one would find the lock taken
    const pushed = buffer.push(item(1));
    buffer.start(); // before the open finished: starts once it has
    await opening;
    await pushed;
    await buffer.flush();
    expect(ex.accepted).toEqual(['e1']);
    expect(await buffer.shutdown(1000)).toMatchObject({ drained: true, buffered: 0 });
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);
  });

  it('a buffer shut down before it was opened never opens (no lock taken)', async () => {
    const dir = tmpDir();
    const buffer = createDiskBufferedDelivery(createDelivery(down()), revive, options(dir), { log: () => {} });
    expect(await buffer.shutdown(10)).toMatchObject({ pending: [], buffered: 0 });
    await expect(buffer.open()).rejects.toThrow(/is shut down/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('disk-buffered delivery: what a push answers', () => {
  it('written at once (room, no fsync awaited): the shared settled PUSHED, the item acked "persisted" and fed before it returns', async () => {
    const dir = tmpDir();
    const ex = fakeOkExporter();
    const { buffer } = await openBuffer(dir, ex);
    buffer.start();
    const acks = new Map<number, AckResult[]>();
    const answer = buffer.push(item(0, acks));
    expect(answer).toBe(PUSHED);
    expect(acks.get(0)).toEqual(['persisted']);
    expect(buffer.bufferStats()).toMatchObject({ persisted: 1 });
    await buffer.flush();
    expect(ex.accepted).toEqual(['e0']);
    await buffer.shutdown(1000);
  });

  it('fsync always, a push waiting for room, a push after shutdown: a promise of its own (pending, or rejected)', async () => {
    const always = await openBuffer(tmpDir(), fakeOkExporter(), { fsync: 'always' });
    const synced = always.buffer.push(item(0));
    expect(synced).not.toBe(PUSHED);
    await synced;
    await always.buffer.shutdown(1000);
    const after = always.buffer.push(item(1));
    expect(after).not.toBe(PUSHED);
    await expect(after).rejects.toThrow(/shut down/);

    const full = await openBuffer(tmpDir(), down(), { maxBytes: 2048, segmentBytes: 1024 });
    let waiting: Promise<void> | undefined;
    for (let n = 0; n < 100 && waiting === undefined; n++) {
      const p = full.buffer.push(item(n, undefined, 100));
      if (p !== PUSHED) waiting = p;
    }
    expect(waiting).toBeDefined();
    expect(full.buffer.stats().waitingPushes).toBe(1);
    await full.buffer.shutdown(10);
    await expect(waiting).rejects.toThrow();
  });
});

describe('disk-buffered delivery: flush does not wait for the batch interval', () => {
  it('flush and shutdown send the partial batch at once, live and replayed records alike (flush interval 1 hour)', async () => {
    const dir = tmpDir();
    const first = await openBuffer(dir, down(), {}, { flushIntervalMs: 3_600_000 });
    for (let n = 0; n < 5; n++) await first.buffer.push(item(n));
    await first.buffer.shutdown(10); // down: the 5 stay buffered for the next start

    const ex = fakeOkExporter();
    const second = await openBuffer(dir, ex, {}, { flushIntervalMs: 3_600_000, maxBatchItems: 1000 });
    second.buffer.start();
    for (let n = 5; n < 8; n++) await second.buffer.push(item(n));
    await second.buffer.flush(); // without hurrying the inner delivery this waits an hour
    expect(ex.accepted.sort()).toEqual(Array.from({ length: 8 }, (_, n) => `e${n}`).sort());
    await second.buffer.push(item(8));
    expect(await second.buffer.shutdown(60_000)).toMatchObject({ drained: true, buffered: 0 });
    expect(ex.accepted).toContain('e8');
  });
});
