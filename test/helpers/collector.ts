// Helpers for integration tests against the real OpenTelemetry Collector that
// scripts/services/collector.sh starts (built from test/collector/, config test/collector/config.yaml):
//   OTLP/HTTP http://127.0.0.1:4318, OTLP/gRPC 127.0.0.1:4317,
//   every received request -> one JSON line {"resourceLogs":[...]} in
//   ${TRACEE_EXPORTER_RUN:-/tmp/tracee-exporter-services}/collector-out/logs.jsonl (truncated on start;
//   flushed every 100 ms). Empty requests ({"resourceLogs":[]}) write no line.
// In the JSON, 64-bit integers (timeUnixNano, observedTimeUnixNano, intValue) are strings, trace and
// span ids hex strings, severityNumber a number.
// The file is shared by every test that uses the collector: tag what you send with a unique value
// (uniqueTestId()) and select only your own records.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export type Json = any;

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const COLLECTOR_SCRIPT = path.join(REPO_ROOT, 'scripts/services/collector.sh');
export const COLLECTOR_VALIDATE_SCRIPT = path.join(REPO_ROOT, 'scripts/services/collector-validate.sh');
export const COLLECTOR_EXAMPLES_DIR = path.join(REPO_ROOT, 'examples/collector');

/** Base URL of the collector's OTLP/HTTP receiver (POST `${url}/v1/logs`). */
export const COLLECTOR_OTLP_HTTP_URL = 'http://127.0.0.1:4318';
/** Address of the collector's OTLP/gRPC receiver. */
export const COLLECTOR_OTLP_GRPC_ADDRESS = '127.0.0.1:4317';

/** Directory with the collector's pid and log files (TRACEE_EXPORTER_RUN). */
export function collectorRunDir(): string {
  return process.env.TRACEE_EXPORTER_RUN || '/tmp/tracee-exporter-services';
}

/** The collector's OTEL_OUT_DIR. */
export function collectorOutDir(): string {
  return path.join(collectorRunDir(), 'collector-out');
}

/** The JSON-lines file the collector's file exporter writes (one line per received request). */
export function collectorOutputFile(): string {
  return path.join(collectorOutDir(), 'logs.jsonl');
}

/** The collector process's own log (stdout/stderr, includes the debug exporter's output). */
export function collectorLogFile(): string {
  return path.join(collectorRunDir(), 'collector.log');
}

/** A value unique to this call, to tag what a test sends (e.g. as a resource attribute). */
export function uniqueTestId(prefix = 'test'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Current size of the output file in bytes (0 if absent): pass as `fromByte` to read only newer lines. */
export function collectorOutputSize(): number {
  try {
    return fs.statSync(collectorOutputFile()).size;
  } catch {
    return 0;
  }
}

/**
 * The output file's size when this test file loaded the helper: reads start there by default, so
 * a test never parses what earlier runs (or a benchmark) wrote. A restart truncates the file, and
 * a file smaller than the offset is read whole.
 */
export const OUTPUT_START = collectorOutputSize();

/**
 * The parsed lines (one per request, `{resourceLogs: [...]}`) of the output file. A partly written
 * last line is skipped. `fromByte` (from collectorOutputSize()) skips what was there before; if the
 * file is now smaller (the collector restarted and truncated it) the whole file is read.
 */
export function readCollectorOutput(fromByte = OUTPUT_START): Json[] {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(collectorOutputFile());
  } catch {
    return [];
  }
  const start = fromByte > 0 && fromByte <= buf.length ? fromByte : 0;
  const body = buf.subarray(start).toString('utf8');
  const complete = body.endsWith('\n') ? body : body.slice(0, body.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
}

/** OTLP/JSON KeyValue list -> { key: AnyValue } (values stay in OTLP/JSON form, e.g. {stringValue}). */
export function attributeMap(list: Array<{ key: string; value: Json }> | undefined): Record<string, Json> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, kv.value]));
}

/** OTLP/JSON AnyValue -> plain JS (intValue stays a string: it is 64-bit). */
export function anyValueToJs(v: Json): Json {
  if (v == null) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return v.intValue;
  if ('doubleValue' in v) return v.doubleValue;
  if ('bytesValue' in v) return v.bytesValue;
  if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(anyValueToJs);
  if ('kvlistValue' in v) {
    return Object.fromEntries((v.kvlistValue.values ?? []).map((kv: Json) => [kv.key, anyValueToJs(kv.value)]));
  }
  return undefined;
}

/** One log record with the resource and scope it was sent under, and the line it came in. */
export interface CollectorLogRecord {
  line: Json;
  resourceLogs: Json;
  scopeLogs: Json;
  record: Json;
}

/** Every log record of the given lines (default: the whole output file). */
export function collectorLogRecords(lines: Json[] = readCollectorOutput()): CollectorLogRecord[] {
  return lines.flatMap((line) =>
    (line.resourceLogs ?? []).flatMap((rl: Json) =>
      (rl.scopeLogs ?? []).flatMap((sl: Json) =>
        (sl.logRecords ?? []).map((lr: Json) => ({ line, resourceLogs: rl, scopeLogs: sl, record: lr })),
      ),
    ),
  );
}

/** Records whose resource attribute `key` has the string value `value` (e.g. your test id). */
export function recordsWithResourceAttribute(key: string, value: string, lines?: Json[]): CollectorLogRecord[] {
  return collectorLogRecords(lines).filter(
    (r) => attributeMap(r.resourceLogs.resource?.attributes)[key]?.stringValue === value,
  );
}

/**
 * Polls the output file until `select(lines)` returns at least `count` items or `timeoutMs` passes;
 * returns what it found last (check the length in the test, so a failure shows what arrived).
 */
export async function waitForCollectorOutput<T>(
  select: (lines: Json[]) => T[],
  {
    count = 1,
    timeoutMs = 10_000,
    intervalMs = 100,
    fromByte = OUTPUT_START,
  }: { count?: number; timeoutMs?: number; intervalMs?: number; fromByte?: number } = {},
): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = select(readCollectorOutput(fromByte));
    if (found.length >= count || Date.now() >= deadline) return found;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** POSTs an OTLP/JSON logs body to the collector; returns the HTTP status and response text. */
export async function postOtlpJsonLogs(
  body: unknown,
  url = `${COLLECTOR_OTLP_HTTP_URL}/v1/logs`,
): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, text: await res.text() };
}

/** Throws a helpful error unless the collector answers on 127.0.0.1:4318 (never skips). */
export async function assertCollectorRunning(): Promise<void> {
  try {
    const { status } = await postOtlpJsonLogs({ resourceLogs: [] });
    if (status === 200) return;
    throw new Error(`HTTP ${status}`);
  } catch (err) {
    throw new Error(
      `no OpenTelemetry Collector on ${COLLECTOR_OTLP_HTTP_URL} (${(err as Error).message}); ` +
        `start it with: bash scripts/services/collector.sh start (or npm run services:start)`,
    );
  }
}

/** Result of running a script. */
export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runBash(args: string[], timeoutMs: number): Promise<ScriptResult> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      args,
      { cwd: REPO_ROOT, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** `scripts/services/collector.sh <cmd>` (start builds the binary first if needed: minutes when cold). */
export function collectorScript(cmd: 'start' | 'stop' | 'status' | 'logs', timeoutMs = 900_000): Promise<ScriptResult> {
  return runBash([COLLECTOR_SCRIPT, cmd], timeoutMs);
}

/** Builds (or finds cached) a collector build target and returns the binary path. */
export async function buildCollector(
  target: 'collector' | 'collector-contrib' = 'collector',
  timeoutMs = 1_200_000,
): Promise<string> {
  const r = await runBash([COLLECTOR_SCRIPT, 'build', target], timeoutMs);
  if (r.code !== 0) throw new Error(`collector.sh build ${target} failed (exit ${r.code}):\n${r.stderr}`);
  return r.stdout.trim();
}

/** The example collector configurations (absolute paths). */
export function collectorExampleFiles(): string[] {
  return fs
    .readdirSync(COLLECTOR_EXAMPLES_DIR)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => path.join(COLLECTOR_EXAMPLES_DIR, f));
}

/** Runs scripts/services/collector-validate.sh on one config file (`otelcol validate` with a real binary). */
export function validateCollectorConfig(file: string, timeoutMs = 1_200_000): Promise<ScriptResult> {
  return runBash([COLLECTOR_VALIDATE_SCRIPT, file], timeoutMs);
}
