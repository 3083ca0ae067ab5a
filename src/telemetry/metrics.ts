// The Prometheus metrics (prom-client), the only file that touches prom-client. Counters are read
// from the telemetry state and the deliveries at scrape time (collect), so they always equal the
// run summary; the send-duration histogram is observed per exporter.send call.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { EXPORTER_VERSION } from '../version.ts';
import type {
  DeliveryReading,
  ExporterEntry,
  ExporterState,
  FileReading,
  ForwardReading,
  TelemetryState,
  WorkersReading,
} from './telemetry.ts';

export const METRIC_PREFIX = 'tracee_exporter_';

export interface Metrics {
  observeSend(exporter: string, outcome: string, seconds: number): void;
  text(): Promise<string>;
  readonly contentType: string;
}

const EXPORTER_STATES: readonly ExporterState[] = ['healthy', 'retrying', 'open'];

/** Seconds: a local collector answers in ms, a loaded Elasticsearch bulk in seconds; 30 s is the default send timeout. */
const SEND_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(state: TelemetryState, opts: { processMetrics: boolean }): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const p = METRIC_PREFIX;

  /** A counter whose values are set from `values()` at every scrape. */
  function counter(
    name: string,
    help: string,
    labelNames: string[],
    values: () => Iterable<[Record<string, string>, number]>,
  ): void {
    const c: Counter<string> = new Counter({
      name: p + name,
      help,
      labelNames,
      registers,
      collect() {
        c.reset();
        for (const [labels, v] of values()) c.inc(labels, v);
      },
    });
  }
  function gauge(
    name: string,
    help: string,
    labelNames: string[],
    values: () => Iterable<[Record<string, string>, number]>,
  ): void {
    const g: Gauge<string> = new Gauge({
      name: p + name,
      help,
      labelNames,
      registers,
      collect() {
        g.reset();
        for (const [labels, v] of values()) g.set(labels, v);
      },
    });
  }

  function* bySource(pick: 'received' | 'mapped'): Iterable<[Record<string, string>, number]> {
    for (const [source, c] of state.sources) yield [{ source }, c[pick]];
  }
  // one read of every delivery per scrape, shared by the per-exporter metrics
  let readings: Map<ExporterEntry, DeliveryReading> | undefined;
  function reading(e: ExporterEntry): DeliveryReading {
    readings ??= new Map();
    let r = readings.get(e);
    if (r === undefined) {
      r = e.read();
      readings.set(e, r);
    }
    return r;
  }
  function* perExporter(f: (e: ExporterEntry) => number | undefined): Iterable<[Record<string, string>, number]> {
    for (const e of state.exporters) {
      const v = f(e);
      if (v !== undefined) yield [{ exporter: e.label }, v];
    }
  }

  const build = new Gauge({
    name: `${p}build_info`,
    help: 'tracee-exporter version (value 1).',
    labelNames: ['version'],
    registers,
  });
  build.set({ version: EXPORTER_VERSION }, 1);
  gauge(
    'ready',
    '1 when /readyz answers 200 (pipeline running, not every exporter failing for long), else 0.',
    [],
    function* () {
      yield [{}, state.isReady() ? 1 : 0];
    },
  );

  counter(
    'events_received_total',
    'Input records read, by source (stdin, webhook, or the file path).',
    ['source'],
    () => bySource('received'),
  );
  counter('events_mapped_total', 'Events decoded and mapped, handed to every exporter, by source.', ['source'], () =>
    bySource('mapped'),
  );
  counter(
    'events_rejected_total',
    'Input records rejected (logged, dead-lettered as exporter "input"), by source and reason code.',
    ['source', 'reason'],
    function* () {
      for (const [source, c] of state.sources) for (const [reason, n] of c.rejected) yield [{ source, reason }, n];
    },
  );

  counter('events_delivered_total', 'Events the destination accepted, by exporter.', ['exporter'], () =>
    perExporter((e) => reading(e).delivered),
  );
  counter(
    'events_duplicate_total',
    'Events the destination already had (Elasticsearch 409 on create), by exporter.',
    ['exporter'],
    () => perExporter((e) => reading(e).duplicates),
  );
  counter(
    'events_dead_lettered_total',
    'Events permanently refused by the destination or out of retries, by exporter.',
    ['exporter'],
    () => perExporter((e) => e.deadLettered),
  );
  counter(
    'events_dropped_total',
    'Events dropped, by exporter and reason (queue_full with whenFull drop_newest, partial_success refused by an OTLP receiver).',
    ['exporter', 'reason'],
    function* () {
      for (const e of state.exporters) for (const [reason, n] of e.dropped) yield [{ exporter: e.label, reason }, n];
    },
  );
  counter(
    'events_filtered_total',
    "Events an exporter's filter excluded (not mapped for it, not sent to it), by exporter.",
    ['exporter'],
    () => perExporter((e) => e.filtered),
  );
  counter(
    'events_undelivered_at_shutdown_total',
    'Events still queued or in flight when the shutdown deadline passed (written to the dead letter), by exporter.',
    ['exporter'],
    () => perExporter((e) => e.undeliveredAtShutdown),
  );
  counter(
    'export_retries_total',
    'Batch re-sends scheduled after a retryable failure, by exporter.',
    ['exporter'],
    () => perExporter((e) => e.retries),
  );
  counter('export_retried_events_total', 'Events in re-sent batches, by exporter.', ['exporter'], () =>
    perExporter((e) => e.retriedItems),
  );

  // the dead letter's cap (dead_letter.max_bytes × max_files): what rotation deleted is counted, never silent
  /** One unlabelled value: `pick` summed over every registered reading (none registered: no sample). */
  const sumOver = <T>(reads: ReadonlyArray<() => T>, pick: (r: T) => number) =>
    function* (): Iterable<[Record<string, string>, number]> {
      if (reads.length > 0) yield [{}, reads.reduce((n, read) => n + pick(read()), 0)];
    };
  const sumDeadLetters = (pick: (r: ReturnType<TelemetryState['deadLetters'][number]>) => number) =>
    sumOver(state.deadLetters, pick);
  counter(
    'dead_letter_rotations_total',
    'Times the dead-letter file reached dead_letter.max_bytes and was rotated.',
    [],
    sumDeadLetters((r) => r.rotations),
  );
  counter(
    'dead_letter_dropped_lines_total',
    'Dead-letter lines deleted with the oldest rotated file (rotation full: dead_letter.max_files).',
    [],
    sumDeadLetters((r) => r.droppedLines),
  );
  counter(
    'dead_letter_dropped_bytes_total',
    'Dead-letter bytes deleted with the oldest rotated file (rotation full: dead_letter.max_files).',
    [],
    sumDeadLetters((r) => r.droppedBytes),
  );

  // `workers: N`: a worker that dies is replaced and its chunks run on the main thread; counted here
  const sumWorkers = (pick: (r: WorkersReading) => number) => sumOver(state.workerPools, pick);
  gauge(
    'workers',
    'Worker threads configured (workers: N).',
    [],
    sumWorkers((r) => r.size),
  );
  gauge(
    'workers_alive',
    'Worker threads running now.',
    [],
    sumWorkers((r) => r.alive),
  );
  counter(
    'worker_deaths_total',
    'Worker threads that died (crash, exit, out of memory); each is replaced, at most 2 × N times per run.',
    [],
    sumWorkers((r) => r.deaths),
  );
  counter(
    'worker_rerun_events_total',
    'Events decoded and mapped on the main thread instead, because their worker died or failed their chunk.',
    [],
    sumWorkers((r) => r.rerunRecords),
  );

  gauge('queue_items', 'Events waiting in the exporter queue (not yet in a batch being sent).', ['exporter'], () =>
    perExporter((e) => reading(e).queuedItems),
  );
  gauge('queue_bytes', 'Approximate memory held by the exporter queue, bytes.', ['exporter'], () =>
    perExporter((e) => reading(e).queuedBytes),
  );
  gauge('queue_capacity_items', 'Queue bound in events (delivery.max_queue_items).', ['exporter'], () =>
    perExporter((e) => e.capacity?.items),
  );
  gauge('queue_capacity_bytes', 'Queue bound in bytes (delivery.max_queue_bytes).', ['exporter'], () =>
    perExporter((e) => e.capacity?.bytes),
  );
  gauge('buffer_bytes', "Bytes of the exporter's disk buffer files (delivery.buffer.type disk).", ['exporter'], () =>
    perExporter((e) => reading(e).buffer?.bytes),
  );
  gauge('buffer_capacity_bytes', "Cap of the exporter's disk buffer (delivery.buffer.max_bytes).", ['exporter'], () =>
    perExporter((e) => reading(e).buffer?.maxBytes),
  );
  gauge(
    'buffer_events',
    "Events in the exporter's disk buffer not yet acknowledged by the destination.",
    ['exporter'],
    () => perExporter((e) => reading(e).buffer?.events),
  );
  counter(
    'buffer_corrupt_records_total',
    'Damaged disk buffer records skipped (torn tail after a crash, checksum mismatch, undecodable), by exporter.',
    ['exporter'],
    () => perExporter((e) => reading(e).buffer?.corrupt),
  );
  gauge('in_flight_events', 'Events in batches being sent or waiting to be retried.', ['exporter'], () =>
    perExporter((e) => reading(e).inFlightItems),
  );
  gauge(
    'blocked_pushes',
    'Pushes waiting for room in a full queue (whenFull block): the input is being held back.',
    ['exporter'],
    () => perExporter((e) => reading(e).waitingPushes),
  );
  gauge(
    'exporter_healthy',
    '1 while the destination answers, 0 while retrying after a retryable failure or with the circuit open.',
    ['exporter'],
    () => perExporter((e) => (e.state === 'healthy' ? 1 : 0)),
  );
  gauge(
    'exporter_state',
    "The exporter's circuit: 1 for its current state (healthy, retrying, open = one probe batch at a time), 0 for the others.",
    ['exporter', 'state'],
    function* () {
      for (const e of state.exporters)
        for (const s of EXPORTER_STATES) yield [{ exporter: e.label, state: s }, e.state === s ? 1 : 0];
    },
  );
  gauge('exporter_consecutive_failures', 'Retryable failures since the destination last answered.', ['exporter'], () =>
    perExporter((e) => reading(e).consecutiveFailures),
  );

  counter(
    'webhook_requests_total',
    'Webhook requests by listen address and answer status (client_gone: the client left before the answer).',
    ['listen', 'status'],
    function* () {
      for (const w of state.webhooks) {
        const r = w.read();
        for (const [status, n] of Object.entries(r.responses)) yield [{ listen: w.listen, status }, n];
        if (r.clientGone > 0) yield [{ listen: w.listen, status: 'client_gone' }, r.clientGone];
      }
    },
  );

  // forward sources: one read per source per metric (cheap: plain counters)
  function* perForward(
    f: (r: ForwardReading) => Iterable<[Record<string, string>, number]>,
  ): Iterable<[Record<string, string>, number]> {
    for (const fw of state.forwards)
      for (const [labels, v] of f(fw.read())) yield [{ listen: fw.listen, ...labels }, v];
  }
  const entries = (o: Partial<Record<string, number>>, label: string): Array<[Record<string, string>, number]> =>
    Object.entries(o)
      .filter(([, n]) => n !== undefined)
      .map(([k, n]) => [{ [label]: k }, n!]);
  counter(
    'forward_connections_total',
    'Forward connections by listen address and result (accepted, refused: over max_connections).',
    ['listen', 'result'],
    () =>
      perForward((r) => [
        [{ result: 'accepted' }, r.connections.accepted],
        [{ result: 'refused' }, r.connections.refused],
      ]),
  );
  counter(
    'forward_connections_closed_total',
    'Forward connections closed, by reason (client_closed, idle_timeout, protocol_error, too_large, truncated, auth_failed, socket_error, shutdown).',
    ['listen', 'reason'],
    () => perForward((r) => entries(r.connections.closed, 'reason')),
  );
  gauge('forward_connections_active', 'Forward connections open now.', ['listen'], () =>
    perForward((r) => [[{}, r.connections.active]]),
  );
  counter(
    'forward_messages_total',
    'Forward messages by carrier mode (message, forward, packed_forward, compressed_packed_forward, heartbeat).',
    ['listen', 'mode'],
    () => perForward((r) => entries(r.messages, 'mode')),
  );
  counter(
    'forward_acks_total',
    'Forward acks sent (option.chunk answered once every event of the message was taken).',
    ['listen'],
    () => perForward((r) => [[{}, r.acks]]),
  );
  counter(
    'forward_events_total',
    'Forward events by result (accepted by every exporter queue, rejected, refused or waiting at shutdown).',
    ['listen', 'result'],
    () =>
      perForward((r) =>
        Object.entries(r.events).map(([result, n]): [Record<string, string>, number] => [{ result }, n]),
      ),
  );

  counter(
    'listener_connections_refused_total',
    'Webhook and forward connections refused or cut before carrying a request / message, by source, listen address and reason (max_connections, per_client, header_timeout, request_timeout, message_timeout, tls_handshake, bad_request).',
    ['source', 'listen', 'reason'],
    function* () {
      for (const w of state.webhooks)
        for (const [reason, n] of Object.entries(w.read().refusedBy ?? {}))
          if (n !== undefined) yield [{ source: 'webhook', listen: w.listen, reason }, n];
      for (const f of state.forwards)
        for (const [reason, n] of Object.entries(f.read().connections.refusedBy ?? {}))
          if (n !== undefined) yield [{ source: 'forward', listen: f.listen, reason }, n];
    },
  );

  counter(
    'client_rejections_total',
    'Input records rejected, by source, client address (webhook, forward; the source itself for files and stdin; "other" past the first 100 clients) and reason code.',
    ['source', 'client', 'reason'],
    function* () {
      for (const read of state.clientRejections ?? []) yield* read();
    },
  );

  // file sources: read once per scrape (an fstat per followed file) before the registry collects;
  // only the files followed now are listed, so a file let go loses its series
  let files: FileReading[] = [];
  gauge(
    'file_committed_offset_bytes',
    'Per followed file: the checkpointed offset (every record below it delivered or dead-lettered; without a checkpoint, the end of the records read).',
    ['path'],
    function* () {
      for (const f of files) yield [{ path: f.path }, f.committedOffset];
    },
  );
  gauge(
    'file_lag_bytes',
    'Per followed file: its size minus the committed offset (bytes a restart would read again or not yet delivered).',
    ['path'],
    function* () {
      for (const f of files) yield [{ path: f.path }, Math.max(0, f.size - f.committedOffset)];
    },
  );

  gauge(
    'grpc_connected',
    "1 while the gRPC source's stream from Tracee is up, else 0 (events Tracee emits meanwhile are lost).",
    ['address'],
    function* () {
      for (const g of state.grpcs) yield [{ address: g.address }, g.connected ? 1 : 0];
    },
  );
  counter(
    'grpc_reconnects_total',
    'gRPC streams established again after one was lost, by address.',
    ['address'],
    function* () {
      for (const g of state.grpcs) yield [{ address: g.address }, g.reconnects];
    },
  );

  const sendDuration = new Histogram({
    name: `${p}export_send_duration_seconds`,
    help: 'Duration of one exporter.send call (one batch, one attempt), by exporter and outcome (ok, partial, retryable, rejected, error).',
    labelNames: ['exporter', 'outcome'],
    buckets: SEND_BUCKETS,
    registers,
  });

  if (opts.processMetrics) collectDefaultMetrics({ register: registry });

  return {
    observeSend(exporter, outcome, seconds) {
      sendDuration.observe({ exporter, outcome }, seconds);
    },
    async text() {
      readings = undefined;
      files = (await Promise.all(state.fileSources.map((read) => read().catch((): FileReading[] => [])))).flat();
      try {
        return await registry.metrics();
      } finally {
        readings = undefined;
        files = [];
      }
    },
    get contentType() {
      return registry.contentType;
    },
  };
}
