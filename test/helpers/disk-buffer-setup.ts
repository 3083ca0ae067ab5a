// Wires a disk-buffered delivery around a real in-memory delivery and a fake exporter, with a
// recorded log, drops and corrupt counts. Items carry input text `{"n":N}`; revive rebuilds `eN`.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDelivery } from '../../src/delivery/delivery.ts';
import { parseAckFile } from '../../src/delivery/disk-buffer/ack-file.ts';
import { openDiskBufferedDelivery, type DiskBufferOptions } from '../../src/delivery/disk-buffer/index.ts';
import type { AckResult, DeliveryItem, DeliveryOptions } from '../../src/delivery/types.ts';
import type { EcsRecord } from '../../src/model/records.ts';
import type { FakeExporter } from './fake-exporter.ts';

export const tmpDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'disk-buffer-'));

export function item(n: number, acks?: Map<number, AckResult[]>, pad = 0): DeliveryItem<EcsRecord> {
  const it: DeliveryItem<EcsRecord> = {
    record: { id: `e${n}`, kind: 'event', doc: { n } },
    origin: { source: 'test', line: n },
    input: JSON.stringify({ n, pad: 'p'.repeat(pad) }),
  };
  if (acks)
    it.ack = (r) => {
      const a = acks.get(n);
      if (a) a.push(r);
      else acks.set(n, [r]);
    };
  return it;
}

export const revive = (input: string) => {
  const v = JSON.parse(input) as { n?: unknown };
  if (typeof v.n !== 'number') return { ok: false as const, reason: 'no n' };
  return { ok: true as const, record: { id: `e${v.n}`, kind: 'event' as const, doc: { n: v.n } } };
};

/** A buffer opened (recovered) around a real in-memory delivery; not started. */
export async function openBuffer(
  dir: string,
  exporter: FakeExporter,
  o: Partial<DiskBufferOptions> = {},
  d: DeliveryOptions<EcsRecord> = {},
) {
  const logs: string[] = [];
  const drops: [string, number][] = [];
  const corrupt: [number, string][] = [];
  const inner = createDelivery(exporter, {
    flushIntervalMs: 5,
    initialBackoffMs: 5,
    maxBackoffMs: 20,
    maxBatchItems: 50,
    ...d,
  });
  const buffer = await openDiskBufferedDelivery(
    inner,
    revive,
    {
      dir,
      maxBytes: 1024 * 1024,
      whenFull: 'block',
      fsync: 'interval',
      fsyncIntervalMs: 50,
      checkpointIntervalMs: 20,
      ...o,
    },
    {
      log: (m) => logs.push(m),
      onDrop: (reason, count) => drops.push([reason, count]),
      onCorrupt: (count, reason) => corrupt.push([count, reason]),
    },
  );
  return { buffer, inner, logs, drops, corrupt };
}

/** The acknowledged position saved in the directory's ack.json (0 while there is none). */
export function ackedIn(dir: string): number {
  const file = path.join(dir, 'ack.json');
  if (!fs.existsSync(file)) return 0;
  return parseAckFile({ path: file, text: fs.readFileSync(file, 'utf8') });
}

export const segmentFiles = (dir: string): string[] =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .sort();

export async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
