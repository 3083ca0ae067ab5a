// The forward source through the real pipeline (createPipeline): the Fluent Node client sends the
// real samples as Tracee does; the console exporter writes the ECS documents to a temp file; they
// equal the documents of the same events read from a JSON file. Bad input ends in the dead letter
// with its origin; /metrics counts connections, messages and events; the run config accepts the
// source and checks it.

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { encode } from '@msgpack/msgpack';
import { FluentClient } from '@fluent-org/logger';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRunConfig, type RunConfig } from '../../../src/config/run-config.ts';
import { createPipeline, type RunSummary } from '../../../src/pipeline/pipeline.ts';
import { createTelemetry } from '../../../src/telemetry/index.ts';
import { sharedSamples } from '../../helpers/samples.ts';

const SAMPLES: string[] = sharedSamples(10)
  .flatMap((s) => s.records)
  .map((r) => r.replace(/\s*\n\s*/g, ' '));

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'forward-run-'));
}
const lines = (f: string) =>
  fs.existsSync(f)
    ? fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
/** The ECS document without the time the mapper saw it (the only field that differs between two runs). */
function stable(doc: Record<string, any>): Record<string, any> {
  const d = structuredClone(doc);
  delete d.event?.created;
  return d;
}

async function run(
  sources: RunConfig['sources'],
  feed: (info: Awaited<ReturnType<ReturnType<typeof createPipeline>['ready']>>) => Promise<void>,
  stdin: string[] = [],
) {
  const dir = tmp();
  const out = path.join(dir, 'out.ndjson');
  const dl = path.join(dir, 'dl.ndjson');
  const logs: string[] = [];
  const telemetry = createTelemetry();
  const p = createPipeline(
    {
      version: 1,
      node: { name: 'forward-node' },
      sources,
      dead_letter: { path: dl },
      exporters: [{ type: 'console', path: out, delivery: { flush_interval_ms: 5 } }],
    },
    { stdin: Readable.from(stdin), log: (l) => logs.push(l) },
    { shutdownTimeoutMs: 5_000, telemetry },
  );
  const done = p.run();
  let stopped: Promise<RunSummary> | undefined;
  const stop = () => (stopped ??= (p.stop(), done));
  cleanups.push(stop);
  await feed(await p.ready());
  const metrics = await telemetry.metrics();
  // stdin ends by itself (stop() would cut it); a listening source runs until stop()
  const summary = sources?.every((s) => s.type === 'stdin') ? await done : await stop();
  return {
    summary,
    logs,
    metrics,
    docs: lines(out).map((l) => JSON.parse(l)),
    deadLetter: lines(dl).map((l) => JSON.parse(l)),
  };
}

describe('forward source in the pipeline', () => {
  it('events sent by a Fluent client with acks become the same ECS documents as the same events from JSON', async () => {
    const viaForward = await run([{ type: 'forward', listen: '127.0.0.1:0', tag: 'tracee' }], async (info) => {
      expect(info.forwards).toHaveLength(1);
      const port = Number(new URL(info.forwards![0].address).port);
      const c = new FluentClient('tracee', {
        eventMode: 'PackedForward',
        ack: { ackTimeout: 10_000 },
        socket: { host: '127.0.0.1', port, disableReconnect: true },
      });
      cleanups.push(() => c.disconnect().catch(() => undefined));
      await c.connect();
      await Promise.all(SAMPLES.map((s) => c.emit({ event: s }))); // acked: every event is in the exporter queue
      await c.disconnect();
    });
    const viaStdin = await run(
      [{ type: 'stdin' }],
      async () => undefined,
      SAMPLES.map((s) => s + '\n'),
    );
    expect(viaForward.summary).toMatchObject({ received: SAMPLES.length, sourceErrors: 0 });
    expect(viaForward.summary.mapped).toBe(viaStdin.summary.mapped);
    expect(viaForward.summary.mapped).toBeGreaterThan(SAMPLES.length - 3);
    expect(viaForward.docs.map(stable)).toEqual(viaStdin.docs.map(stable));
    expect(viaForward.metrics).toMatch(
      /tracee_exporter_forward_events_total\{listen="127\.0\.0\.1:\d+",result="accepted"\} \d+/,
    );
    expect(viaForward.metrics).toMatch(
      /tracee_exporter_forward_connections_total\{listen="127\.0\.0\.1:\d+",result="accepted"\} 1/,
    );
    expect(viaForward.metrics).toMatch(/tracee_exporter_forward_acks_total\{listen="127\.0\.0\.1:\d+"\} [1-9]/);
    expect(viaForward.metrics).toMatch(/tracee_exporter_events_received_total\{source="forward"\} \d+/);
    expect(
      viaForward.logs.some((l) =>
        /^forward tcp:\/\/127\.0\.0\.1:\d+: closed after 1 connection\(s\) \((client_closed|shutdown)×1\); messages packed_forward×\d+; acks \d+; events accepted \d+/.test(
          l,
        ),
      ),
    ).toBe(true);
  });

  it('bad records and a broken connection end in the dead letter with their origin; good events still pass', async () => {
    const r = await run([{ type: 'forward', listen: '127.0.0.1:0' }], async (info) => {
      const port = Number(new URL(info.forwards![0].address).port);
      const send = (bytes: Buffer) =>
        new Promise<void>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => s.end(bytes));
          s.on('error', () => undefined);
          s.on('close', () => resolve());
          s.resume();
        });
      await send(
        Buffer.concat([
          Buffer.from(encode(['tracee', 1, { event: SAMPLES[0] }])),
          Buffer.from(encode(['tracee', 1, { message: 'not an event' }])),
        ]),
      );
      await send(Buffer.from([0x94, 0xa6, 0x74, 0x72, 0x61])); // truncated
    });
    expect(r.summary).toMatchObject({ received: 3, mapped: 1, rejected: 2 });
    expect(r.docs).toHaveLength(1);
    expect(r.deadLetter).toEqual([
      expect.objectContaining({
        exporter: 'input',
        reason: expect.stringMatching(/no "event" key/),
        input: '{"message":"not an event"}',
        origin: { source: 'forward', line: 2, detail: expect.stringMatching(/^127\.0\.0\.1:\d+ #1 tag tracee$/) },
      }),
      expect.objectContaining({
        exporter: 'input',
        reason: expect.stringMatching(/middle of a message \(5 bytes received\)/),
        input: Buffer.from([0x94, 0xa6, 0x74, 0x72, 0x61]).toString('base64'),
        origin: expect.objectContaining({
          source: 'forward',
          detail: expect.stringMatching(/#2, message after entry 0$/),
        }),
      }),
    ]);
    expect(r.metrics).toMatch(/tracee_exporter_events_rejected_total\{source="forward",reason="malformed_msgpack"\} 1/);
    expect(r.metrics).toMatch(/tracee_exporter_events_rejected_total\{source="forward",reason="wrong_type"\} 1/);
  });

  it('a forward source that cannot listen stops the run with a source error', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
    const port = (blocker.address() as net.AddressInfo).port;
    const r = await run([{ type: 'forward', listen: `127.0.0.1:${port}` }], async () => undefined);
    expect(r.summary.sourceErrors).toBe(1);
    expect(r.logs).toContain(`sources[0]: cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
  });
});

describe('run config: type forward', () => {
  it('accepts the forward keys and checks users against shared_key', () => {
    const ok = parseRunConfig(
      `version: 1
sources:
  - type: forward
    listen: 0.0.0.0:24224
    tag: tracee
    max_message_bytes: 1048576
    max_connections: 8
    idle_timeout_ms: 60000
    shared_key: k
    users: [{ username: tracee, password: pw }]
exporters: [{ type: console }]
`,
      'x.yaml',
    );
    expect(ok.sources![0]).toMatchObject({
      type: 'forward',
      tag: 'tracee',
      users: [{ username: 'tracee', password: 'pw' }],
    });
    expect(() =>
      parseRunConfig(
        `version: 1
sources:
  - type: forward
    users: [{ username: tracee, password: pw }]
exporters: [{ type: console }]
`,
        'x.yaml',
      ),
    ).toThrow(/x\.yaml:\d+:\d+: sources\[0\]: .*shared_key/);
    // webhook keys mean nothing here: refused rather than silently ignored
    expect(() =>
      parseRunConfig(
        `version: 1
sources:
  - type: forward
    auth: { bearer_token: x }
exporters: [{ type: console }]
`,
        'x.yaml',
      ),
    ).toThrow(/x\.yaml:\d+:\d+: sources\[0\]\.auth: /);
  });
});
