// A run with a `grpc` source, end to end through createPipeline: the samples streamed by an
// in-process TraceeService (plus one undecodable message and one event without a name) are counted
// as received / mapped / rejected per source, delivered by a console exporter, and the two bad
// messages are dead-lettered with an origin naming the stream message. The server then closes the
// stream and comes back: the source reconnects and the pipeline keeps going until stop().

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../../src/config/run-config.ts';
import { parseRunConfig } from '../../../src/config/run-config.ts';
import { createPipeline } from '../../../src/pipeline/pipeline.ts';
import { createTelemetry, progressLine } from '../../../src/telemetry/index.ts';
import { decodeText } from '../../../src/normalize/decode.ts';
import { testMapper } from '../../helpers/samples.ts';
import { parsePromText, sumOf } from '../../helpers/prom-text.ts';
import { grpcSamples } from '../../helpers/tracee-grpc-samples.ts';
import { startTraceeGrpcServer, type TraceeGrpcTestServer } from '../../helpers/tracee-grpc-test-server.ts';

const samples = grpcSamples(2);
const mapper = testMapper();
const P = 'tracee_exporter_';
let server: TraceeGrpcTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('pipeline with a grpc source', () => {
  it('counts received / mapped / rejected, delivers, dead-letters bad messages with their origin, survives a stream end', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-run-'));
    const noName = { ...samples[0].structured };
    delete noName.name;
    server = await startTraceeGrpcServer(`unix://${path.join(dir, 'tracee.sock')}`, async (call) => {
      if (call.number === 1) {
        for (const s of samples.slice(0, 10)) await call.send(s.structured);
        await call.send(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
        await call.send(noName);
        call.end(); // Tracee closes the stream: the source reconnects
      } else {
        for (const s of samples.slice(10)) await call.send(s.structured);
      }
    });
    const config: RunConfig = {
      version: 1,
      sources: [
        {
          type: 'grpc',
          address: server.address,
          policies: ['default'],
          reconnect_initial_ms: 20,
          reconnect_max_ms: 100,
        },
      ],
      dead_letter: { path: path.join(dir, 'dl.ndjson') },
      exporters: [
        { type: 'console', format: 'ecs', path: path.join(dir, 'ecs.ndjson'), delivery: { flush_interval_ms: 10 } },
      ],
    };
    const telemetry = createTelemetry();
    const logs: string[] = [];
    const p = createPipeline(
      config,
      { stdin: Readable.from([]), log: (l) => logs.push(l) },
      { shutdownTimeoutMs: 5000, telemetry },
    );
    const running = p.run();
    const total = samples.length + 2;
    await until(() => telemetry.snapshot().received >= total);
    // the second stream is up (it stays open): connected, one reconnect, nothing said by the progress line
    await until(() => telemetry.snapshot().grpc[0]?.connected === true);
    const up = parsePromText(await telemetry.metrics());
    expect(sumOf(up, `${P}grpc_connected`, { address: server.address })).toBe(1);
    expect(sumOf(up, `${P}grpc_reconnects_total`, { address: server.address })).toBe(1);
    expect(progressLine(telemetry.snapshot(), 0, 1000)).not.toContain('grpc');
    p.stop();
    const summary = await running;

    expect(summary).toMatchObject({ received: total, mapped: samples.length, rejected: 2, sourceErrors: 0 });
    expect(summary.exporters[0].stats.delivered).toBe(samples.length);
    const docs = fs
      .readFileSync(path.join(dir, 'ecs.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const actionOf = (text: string) => {
      const d = decodeText(text);
      return d.ok ? JSON.parse(mapper.toEcsJson(d.event).json!).event.action : d.reason;
    };
    expect(docs.map((d) => d.event.action)).toEqual(samples.map((s) => actionOf(s.structuredText)));
    const source = `grpc ${server.address}`;
    const dl = fs
      .readFileSync(path.join(dir, 'dl.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(dl).toEqual([
      expect.objectContaining({
        exporter: 'input',
        origin: { source, line: 11, detail: 'connection 1, message 11' },
        input: 'base64:Cv////8P',
        reason: expect.stringMatching(/not a StreamEventsResponse/),
      }),
      expect.objectContaining({
        exporter: 'input',
        origin: { source, line: 12, detail: 'connection 1, message 12' },
        reason: expect.stringMatching(/name/),
      }),
    ]);
    expect(server.requests).toEqual([
      { policies: ['default'], mask: undefined },
      { policies: ['default'], mask: undefined },
    ]);
    expect(logs).toContain(
      `${source}: stream ended (OK) after 12 message(s); reconnecting. Events Tracee emits until the stream is back are lost (no resume)`,
    );
    expect(logs.some((l) => l.startsWith(`${source}: reconnected after`))).toBe(true);

    const m = parsePromText(await telemetry.metrics());
    expect(sumOf(m, `${P}events_received_total`, { source })).toBe(total);
    expect(sumOf(m, `${P}events_mapped_total`, { source })).toBe(samples.length);
    expect(sumOf(m, `${P}events_rejected_total`, { source, reason: 'malformed_protobuf' })).toBe(1);
    expect(sumOf(m, `${P}events_rejected_total`, { source })).toBe(2);
    // stopped: the stream is down
    expect(sumOf(m, `${P}grpc_connected`, { address: server.address })).toBe(0);
    expect(m.filter((s) => s.name === `${P}grpc_connected`)).toHaveLength(1);
  });

  it('config: a grpc source needs an address; policies, mask and reconnect timings are accepted', () => {
    const ok = parseRunConfig(
      `version: 1
sources:
  - type: grpc
    address: unix:///var/run/tracee.sock
    policies: [default]
    mask: [name, timestamp, workload.process.pid]
    reconnect_initial_ms: 250
    reconnect_max_ms: 10000
exporters: [{ type: console }]
`,
      'c.yaml',
      {},
    );
    expect(ok.sources![0]).toEqual({
      type: 'grpc',
      address: 'unix:///var/run/tracee.sock',
      policies: ['default'],
      mask: ['name', 'timestamp', 'workload.process.pid'],
      reconnect_initial_ms: 250,
      reconnect_max_ms: 10000,
    });
    expect(() =>
      parseRunConfig('version: 1\nsources: [{ type: grpc }]\nexporters: [{ type: console }]\n', 'c.yaml', {}),
    ).toThrow(/c\.yaml:2:\d+: sources\[0\]: must have required property 'address'/);
    expect(() =>
      parseRunConfig(
        'version: 1\nsources: [{ type: grpc, address: "tracee.sock" }]\nexporters: [{ type: console }]\n',
        'c.yaml',
        {},
      ),
    ).toThrow(/sources\[0\]\.address: must match pattern/);
    for (const a of ['unix:/var/run/tracee.sock', 'tcp:4466', '127.0.0.1:4466', 'tracee:4466', '[::1]:4466']) {
      expect(
        (
          parseRunConfig(
            `version: 1\nsources: [{ type: grpc, address: "${a}" }]\nexporters: [{ type: console }]\n`,
            'c.yaml',
            {},
          ).sources![0] as { address?: string }
        ).address,
      ).toBe(a);
    }
  });
});
