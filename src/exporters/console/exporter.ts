// Console / NDJSON file exporter: one JSON line per event (ECS document or OTLP/JSON ResourceLogs)
// to stdout or a file. Useful to see what would be shipped, and as a local archive.

import fs from 'node:fs';
import type { Exporter, ExportItem, ExportTarget, SendOutcome } from '../../model/exporter.ts';
import type { EcsRecord, OtelRecord } from '../../model/records.ts';
import { ecsNdjsonBytes } from '../../model/ecs-bytes.ts';
import { otlpJsonResourceLogs } from '../otlp-http/otlp-json.ts';
import { openPrivateFileSync } from '../../util/private-file.ts';

export interface ConsoleExporterOptions {
  name?: string;
  /** `ecs` (default) or `otlp-json`. */
  format?: 'ecs' | 'otlp-json';
  /** `stdout` (default), `stderr` or a file path (appended). */
  path?: string;
}

export function createConsoleExporter(o: ConsoleExporterOptions = {}): Exporter {
  const format = o.format ?? 'ecs';
  if (format !== 'ecs' && format !== 'otlp-json')
    throw new Error(`exporters.console.format: expected ecs or otlp-json, got ${JSON.stringify(format)}`);
  const target: ExportTarget = format === 'ecs' ? 'ecs' : 'otel';
  const dest = o.path ?? 'stdout';
  let stream: NodeJS.WritableStream | undefined;
  // a file of events is private like the dead letter: 0600, never through a symlink
  const open = () =>
    (stream ??=
      dest === 'stdout'
        ? process.stdout
        : dest === 'stderr'
          ? process.stderr
          : fs.createWriteStream(dest, { fd: openPrivateFileSync(dest, 'append') }));
  // ECS: the records' bytes copied into one buffer (a queued record carries its JSON as bytes)
  const body =
    format === 'ecs'
      ? (batch: readonly ExportItem[]) => ecsNdjsonBytes(batch.map((i) => i.record as EcsRecord))
      : (batch: readonly ExportItem[]) => {
          let text = '';
          for (const item of batch) text += `${JSON.stringify(otlpJsonResourceLogs(item.record as OtelRecord))}\n`;
          return text;
        };
  return {
    name: o.name ?? 'console',
    target,
    async start() {
      open();
    },
    async send(batch: readonly ExportItem[]): Promise<SendOutcome> {
      const out = open();
      const chunk = body(batch);
      try {
        await new Promise<void>((resolve, reject) => out.write(chunk, (err) => (err ? reject(err) : resolve())));
        return { status: 'ok' };
      } catch (err) {
        return { status: 'retryable', reason: `write to ${dest} failed: ${(err as Error).message}` };
      }
    },
    async shutdown() {
      if (stream && dest !== 'stdout' && dest !== 'stderr')
        await new Promise<void>((r) => (stream as fs.WriteStream).end(r));
    },
  };
}
