// `workers: N`: `run` with worker threads gives what `workers: 0` gives — the same ECS file bytes,
// the same OTLP records in the same order — bad lines rejected with their file and line, and a
// worker thread that dies mid-run loses and doubles nothing.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../../src/config/run-config.ts';
import { createPipeline } from '../../../src/pipeline/pipeline.ts';
import { createTelemetry } from '../../../src/telemetry/index.ts';
import { FakeOtlpHttpServer } from '../../helpers/fake-otlp-http-server.ts';
import { decodeLogsRequest } from '../../helpers/otlp-proto-decode.ts';
import { ROOT, TEST_NODE } from '../../helpers/samples.ts';
import { planRoutes, type PlanRoute } from '../../../src/pipeline/ingest-routes.ts';
import { WorkerPool, type PoolOptions } from '../../../src/pipeline/workers/pool.ts';
import type { Chunk } from '../../../src/pipeline/workers/chunks.ts';
import type { WorkerSetup } from '../../../src/pipeline/workers/setup.ts';
import type { Mapper } from '../../../src/mapping/compile.ts';
import { EcsBytesRecord } from '../../../src/model/ecs-bytes.ts';
import type { EcsRecord } from '../../../src/model/records.ts';
import { compileMappers } from '../../../src/pipeline/mappers.ts';
import { processRecord } from '../../../src/pipeline/process-record.ts';

const BIN = path.join(ROOT, 'bin/tracee-exporter.js');
const EVENTS = 3000;
/** Malformed lines, at these 1-based lines of the input (in different chunks of 256). */
const BAD_AT = [1, 700, 2001, EVENTS + 4];

let dir: string;
let input: string;
let lines: string[];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workers-'));
  const all = zlib
    .gunzipSync(fs.readFileSync(path.join(ROOT, 'test/data/tracee-net_packet_dns-24010.ndjson.gz')))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, EVENTS);
  lines = [...all];
  for (const at of BAD_AT) lines.splice(at - 1, 0, `{"broken": line ${at}`);
  input = path.join(dir, 'input.ndjson');
  fs.writeFileSync(input, `${lines.join('\n')}\n`, { mode: 0o600 });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function runWith(workers: number, exporter: string, tag: string) {
  const cfg = path.join(dir, `${tag}.yaml`);
  fs.writeFileSync(
    cfg,
    `version: 1
workers: ${workers}
data_dir: ${dir}/data-${tag}
node: { name: workers-node }
sources: [{ type: file, path: ${input} }]
dead_letter: { path: ${dir}/dl-${tag}.ndjson }
exporters:
  - ${exporter}
`,
  );
  // not spawnSync: the OTLP sink answers from this process
  const child = spawn(process.execPath, [BIN, 'run', '--config', cfg, '--shutdown-timeout', '20000'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise<{ status: number | null; stderr: string }>((resolve) =>
    child.on('close', (status) => resolve({ status, stderr })),
  );
}

/** The dead letter's rejections: where each came from. */
function rejectedAt(tag: string): string[] {
  return fs
    .readFileSync(path.join(dir, `dl-${tag}.ndjson`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { origin: { source: string; line: number }; input: string })
    .map((d) => `${d.origin.source}:${d.origin.line} ${d.input}`);
}

/** event.created is the mapping time (differs between runs): left out, everything else byte for byte. */
const unstamped = (text: string) => text.replace(/"created":"[^"]*"/g, '"created":"-"');

describe('run with workers: 2', () => {
  it('ECS to a file: the same bytes as workers: 0 (event.created aside); bad lines rejected with file and line', async () => {
    const out: Record<string, string> = {};
    for (const w of [0, 2]) {
      const r = await runWith(w, `{ type: console, format: ecs, path: ${dir}/ecs-${w}.ndjson }`, `ecs-${w}`);
      expect(r.status, r.stderr).toBe(1); // rejected input: exit 1
      expect(r.stderr).not.toMatch(/worker thread/);
      expect(r.stderr).toMatch(`received ${EVENTS + BAD_AT.length}, mapped ${EVENTS}, rejected ${BAD_AT.length}`);
      out[w] = fs.readFileSync(path.join(dir, `ecs-${w}.ndjson`), 'utf8');
    }
    expect(out[0].split('\n').length).toBe(EVENTS + 1);
    expect(out[0]).toMatch(/"created":"/);
    expect(unstamped(out[2]) === unstamped(out[0])).toBe(true);
    const want = BAD_AT.map((at) => `${input}:${at} {"broken": line ${at}`);
    expect(rejectedAt('ecs-0')).toEqual(want);
    expect(rejectedAt('ecs-2')).toEqual(want);
  });

  it('OTLP to a fake sink: the same records, in the same order, as workers: 0', async () => {
    const records: Record<number, string[]> = {};
    for (const w of [0, 2]) {
      const sink = await FakeOtlpHttpServer.start();
      try {
        const r = await runWith(
          w,
          `{ type: otlp_http, endpoint: "${sink.baseUrl}", protocol: http/protobuf, compression: none, delivery: { concurrency: 1 } }`,
          `otlp-${w}`,
        );
        expect(r.status, r.stderr).toBe(1);
        expect(r.stderr).not.toMatch(/worker thread/);
      } finally {
        await sink.close();
      }
      records[w] = sink.requests.flatMap((req) =>
        decodeLogsRequest(req.body).resourceLogs.flatMap((rl) =>
          (rl.scopeLogs as Array<{ logRecords: Array<Record<string, unknown>> }>).flatMap((sl) =>
            sl.logRecords.map((lr) => {
              const { observedTimeUnixNano: _o, ...rest } = lr;
              return JSON.stringify({ resource: rl.resource, ...rest });
            }),
          ),
        ),
      );
    }
    expect(records[0].length).toBe(EVENTS);
    expect(records[2].length).toBe(EVENTS);
    expect(records[2]).toEqual(records[0]);
  });

  it('a worker thread that dies mid-run: its chunks are run again on the main thread, nothing lost or doubled, logged', async () => {
    const out = path.join(dir, 'killed.ndjson');
    process.env.WORKERS_TEST_EXIT_MARKER = path.join(dir, 'worker-exited');
    const config = parseRunConfig(
      `version: 1
workers: 2
data_dir: ${dir}/data-killed
node: { name: workers-node }
sources: [{ type: file, path: ${input} }]
dead_letter: { path: ${dir}/dl-killed.ndjson }
exporters: [{ type: console, format: ecs, path: ${out} }]
`,
      path.join(dir, 'workers.yaml'),
    );
    const logged: string[] = [];
    const telemetry = createTelemetry();
    const pipeline = createPipeline(
      config,
      { stdin: new PassThrough(), log: (l: string) => logged.push(l) },
      // internal option: a worker entry that exits while it holds its 3rd chunk
      {
        workerScript: new URL('../../fixtures/workers/exit-at-chunk.ts', import.meta.url),
        shutdownTimeoutMs: 20000,
        telemetry,
      },
    );
    const summary = await pipeline.run();
    // counted in /metrics too: the deaths, and the events run on the main thread instead
    const text = await telemetry.metrics();
    const metric = (name: string) =>
      Number(new RegExp(`^tracee_exporter_${name} (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    expect(metric('workers')).toBe(2);
    expect(metric('worker_deaths_total')).toBeGreaterThanOrEqual(1);
    expect(metric('worker_rerun_events_total')).toBeGreaterThan(0);
    delete process.env.WORKERS_TEST_EXIT_MARKER;
    expect(fs.existsSync(path.join(dir, 'worker-exited'))).toBe(true);
    expect(summary).toMatchObject({ received: EVENTS + BAD_AT.length, mapped: EVENTS, rejected: BAD_AT.length });
    const docs = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: { id: string } });
    expect(docs.length).toBe(EVENTS);
    expect(new Set(docs.map((d) => d.event.id)).size).toBe(EVENTS);
    // in input order: the ECS file of workers: 0 from the first test
    const ref = fs
      .readFileSync(path.join(dir, 'ecs-0.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { event: { id: string } }).event.id);
    expect(docs.map((d) => d.event.id)).toEqual(ref);
    const died = logged.filter((l) => /worker thread \d died/.test(l));
    expect(died.length).toBeGreaterThanOrEqual(1);
    expect(died[0]).toMatch(`re-run on the main thread (${input}:`);
    expect(logged.some((l) => /workers: \d+ worker thread\(s\) died; [1-9]\d* chunk\(s\)/.test(l))).toBe(true);
    expect(rejectedAt('killed')).toEqual(BAD_AT.map((at) => `${input}:${at} {"broken": line ${at}`));
  });
});

describe('the worker pool', () => {
  // a chunk a worker failed is run on the main thread; when it throws there too (a route filter that
  // throws), the submit rejects, as the ingest call fails with workers: 0, instead of never settling
  it('a chunk that throws on the main thread after its worker failed it: submit rejects, nothing escapes', async () => {
    const routes = [
      {
        exporter: { target: 'tracee' as const },
        accepts: () => {
          throw new TypeError('filter bug');
        },
      },
    ];
    const plan = planRoutes(routes as unknown as PlanRoute[], {} as Mapper);
    const errors: string[] = [];
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.prependListener('uncaughtException', onUncaught);
    const pool = new WorkerPool({
      size: 1,
      setup: {} as WorkerSetup,
      plan,
      log: { warn() {}, error: (m: string) => errors.push(m) } as unknown as PoolOptions['log'],
      script: new URL('../../fixtures/workers/fail-every-chunk.mjs', import.meta.url),
    });
    const line = lines[1];
    const chunk = { records: [], texts: [line], bytes: line.length } as unknown as Chunk;
    try {
      await expect(pool.submit(chunk)).rejects.toThrow('filter bug');
      expect(
        errors.some((m) => /failed on the records .*failed by the test worker; run on the main thread/.test(m)),
      ).toBe(true);
      expect(uncaught).toEqual([]);
    } finally {
      await pool.close();
      process.removeListener('uncaughtException', onUncaught);
    }
  });
});

describe('ECS bytes from the workers', () => {
  // a worker writes each chunk's ECS JSON into one buffer that crosses by transfer; once the main
  // thread took the chunk's results (every queue copied what it keeps), the buffer goes back to a
  // worker with the next chunk and is written again: its old records cannot be read by mistake (detached)
  it('the documents come back as workers: 0 maps them; a taken chunk’s buffer is written again, never read after', async () => {
    const node = { ...TEST_NODE };
    const mapper = compileMappers({}, node).mapper;
    const plan = planRoutes([{ exporter: { target: 'ecs' as const }, mapper }], mapper);
    const setup: WorkerSetup = {
      config: {},
      node,
      exporters: [{ entry: {}, target: 'ecs' }],
      slotOf: plan.slotOf,
      slotTargets: ['ecs'],
    };
    const pool = new WorkerPool({
      size: 1,
      setup,
      plan,
      log: { warn() {}, error() {} } as unknown as PoolOptions['log'],
    });
    const chunkOf = (from: number) => {
      const texts = lines.slice(from, from + 50).filter((l) => !l.startsWith('{"broken"'));
      return { chunk: { records: [], texts, bytes: 0 } as unknown as Chunk, texts };
    };
    const want = (texts: string[]) =>
      texts.map((t) => {
        const r = processRecord(plan, { kind: 'text', text: t });
        return r.kind === 'mapped' ? (r.mapped[0] as EcsRecord).json : r.kind;
      });
    // event.created is the time of mapping
    const stable = (j: string | undefined) => j?.replace(/"created":"[^"]*"/, '');
    try {
      const a = chunkOf(10);
      const first = await pool.submit(a.chunk);
      const firstRecs = first.map((p) => (p.kind === 'mapped' ? (p.mapped[0] as EcsRecord) : undefined));
      expect(firstRecs.every((r) => r instanceof EcsBytesRecord)).toBe(true);
      expect(firstRecs.map((r) => stable(r?.json))).toEqual(want(a.texts).map(stable));
      pool.taken(first);
      const b = chunkOf(100);
      const second = await pool.submit(b.chunk);
      // the first chunk's buffer went to the worker with the second chunk
      expect(() => firstRecs[0]?.json).toThrow();
      expect(second.map((p) => (p.kind === 'mapped' ? stable((p.mapped[0] as EcsRecord).json) : p.kind))).toEqual(
        want(b.texts).map(stable),
      );
    } finally {
      await pool.close();
    }
  });
});
