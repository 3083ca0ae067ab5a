// Self-observability: the named events components report (after Vector's
// internal_events) and the state behind /metrics, /readyz and the progress log. Components call
// these functions, or the handle they got for their exporter; only metrics.ts touches prom-client.
// Per-event calls (received / mapped / rejected) only bump a number: prom-client reads the numbers
// at scrape time, so the hot path pays no label hashing. Labels hold names from the config (source,
// exporter) and fixed codes, never an endpoint, a credential or an error text.

import { createMetrics, type Metrics } from './metrics.ts';
import { DEAD_LETTER_STREAK, judgeReadiness, type Readiness } from './readiness.ts';

export type Phase = 'starting' | 'running' | 'stopping' | 'stopped';
/** As the delivery reports it (src/delivery/health.ts): 'open' is the circuit breaker, one probe batch at a time. */
export type ExporterState = 'healthy' | 'retrying' | 'open';

/** What is read from an exporter's delivery at scrape time (a subset of DeliveryStats). */
export interface DeliveryReading {
  delivered: number;
  duplicates: number;
  queuedItems: number;
  queuedBytes: number;
  inFlightItems: number;
  waitingPushes: number;
  consecutiveFailures: number;
  /** Disk buffer (buffer.type disk) of the exporter, absent for an in-memory one. */
  buffer?: { bytes: number; maxBytes: number; events: number; corrupt: number };
}

/** What is read from a webhook source at scrape time (a subset of WebhookStats). */
export interface WebhookReading {
  responses: Record<number, number>;
  clientGone: number;
  /** Connections refused or cut before carrying a request, by reason (max_connections, per_client, header_timeout…). */
  refusedBy?: Partial<Record<string, number>>;
}

/** What is read from a forward source at scrape time (a subset of ForwardStats). */
export interface ForwardReading {
  connections: {
    accepted: number;
    refused: number;
    active: number;
    closed: Partial<Record<string, number>>;
    refusedBy?: Partial<Record<string, number>>;
  };
  /** By carrier mode (message, forward, packed_forward, compressed_packed_forward, heartbeat). */
  messages: Partial<Record<string, number>>;
  acks: number;
  events: { accepted: number; rejected: number; waiting: number; refused: number };
}

/** One file a file source follows, read at scrape time. */
export interface FileReading {
  path: string;
  /** Checkpointed offset: every record below it settled (without a checkpoint: the end of the records read). */
  committedOffset: number;
  /** The file's size now (its open handle's), or the offset read to when it is no longer open. */
  size: number;
}

/** The state of one gRPC source's stream (the `grpc` handle updates it). */
export interface GrpcEntry {
  readonly address: string;
  connected: boolean;
  everConnected: boolean;
  /** Streams established again after one was lost. */
  reconnects: number;
  /** now() of the last change between connected and not. */
  since: number;
}

/** The handle a gRPC source's stream reports through. */
export interface GrpcTelemetry {
  /** The stream is up (channel ready or a message received); repeated calls are ignored. */
  connected(): void;
  /** The stream ended or cannot be established; repeated calls are ignored. */
  disconnected(): void;
}

export interface GrpcSnapshot {
  address: string;
  connected: boolean;
  everConnected: boolean;
  /** How long it has been connected, or not, ms. */
  stateForMs: number;
}

export interface SourceCounts {
  received: number;
  mapped: number;
  /** By reason code. */
  rejected: Map<string, number>;
}

export interface ExporterEntry {
  readonly label: string;
  readonly read: () => DeliveryReading;
  readonly capacity: { items: number; bytes: number } | undefined;
  deadLettered: number;
  /** By reason code (queue_full, partial_success). */
  dropped: Map<string, number>;
  retries: number;
  retriedItems: number;
  undeliveredAtShutdown: number;
  /** Events this exporter's filter excluded (never pushed to it). */
  filtered: number;
  state: ExporterState;
  /** now() of the last change between healthy and failing (retrying → open keeps it: one outage). */
  stateSince: number;
  /** Events dead-lettered since the destination last took one (delivered or duplicate). */
  dlStreak: number;
  /** delivered + duplicates when the streak began: the streak is over once that moves. */
  dlStreakBase: number;
}

/** The handle an exporter's wiring reports through (delivery hooks, the timed send). */
export interface ExporterTelemetry {
  /** The `exporter` label: the exporter's name, made unique (`name#2`) when names repeat. */
  readonly label: string;
  deadLettered(count?: number): void;
  /** `reason` is cut to its code: "partial_success: 3 bad records" → partial_success. */
  dropped(reason: string, count: number): void;
  /** A batch re-send was scheduled for `items` events. */
  retried(items: number): void;
  stateChanged(state: ExporterState): void;
  /** One exporter.send call ended with this outcome status (ok, partial, retryable, rejected, error). */
  sendFinished(outcome: string, seconds: number): void;
  /** Events neither delivered nor dead-lettered by the delivery when the shutdown deadline passed. */
  undeliveredAtShutdown(count: number): void;
  /** One event this exporter's filter excluded. */
  filtered(): void;
}

export interface ExporterSnapshot {
  name: string;
  delivered: number;
  duplicates: number;
  deadLettered: number;
  dropped: number;
  queuedItems: number;
  queuedBytes: number;
  inFlightItems: number;
  state: ExporterState;
  /** How long it has been healthy, or failing (retrying or open), ms. */
  stateForMs: number;
  /** Events dead-lettered in a row, none delivered meanwhile (0 once one is delivered). */
  deadLetterStreak: number;
}

export interface TelemetrySnapshot {
  phase: Phase;
  received: number;
  mapped: number;
  rejected: number;
  exporters: ExporterSnapshot[];
  grpc: GrpcSnapshot[];
}

export interface Telemetry {
  /** The pipeline's lifecycle: starting → running → stopping → stopped. */
  phaseChanged(p: Phase): void;
  phase(): Phase;
  eventReceived(source: string): void;
  eventMapped(source: string): void;
  /** `code`: malformed_json, not_an_object, unknown_shape, wrong_type, too_large, invalid_utf8, too_deep, map_error, queue_full. */
  eventRejected(source: string, code: string): void;
  /** Register an exporter: its delivery is read at scrape time; the handle reports its events. */
  exporter(
    name: string,
    probe: { read(): DeliveryReading; capacity?: { items: number; bytes: number } },
  ): ExporterTelemetry;
  /** Register a webhook source listening on `listen` (host:port); its answers are read at scrape time. */
  webhook(listen: string, read: () => WebhookReading): void;
  /** Register a forward source listening on `listen` (host:port); its counts are read at scrape time. */
  forward(listen: string, read: () => ForwardReading): void;
  /** Register the per-client rejection counts (bounded label set), read at scrape time. */
  clientRejections?(read: () => Iterable<[{ source: string; client: string; reason: string }, number]>): void;
  /** Register a file source: its followed files (offsets, sizes) are read at scrape time. */
  files(read: () => Promise<FileReading[]>): void;
  /** Register the dead letter's rotation counts (read at scrape time). */
  deadLetter(read: () => DeadLetterReading): void;
  /** Register the worker pool of `workers: N` (read at scrape time). */
  workers?(read: () => WorkersReading): void;
  /** Register a gRPC source by its configured address; its stream reports connects and disconnects through the handle. */
  grpc(address: string): GrpcTelemetry;
  readiness(): Readiness;
  snapshot(): TelemetrySnapshot;
  /** Prometheus text exposition of every metric. */
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface TelemetryOptions {
  /** Monotonic milliseconds (default performance.now). */
  now?: () => number;
  /** Readiness: how long every exporter may be retrying before /readyz answers 503 (0 = never). */
  notReadyAfterRetryingMs?: number;
  /** Readiness / progress: this many events dead-lettered in a row, none delivered, = "dead-letters everything" (0 = never). */
  deadLetterStreak?: number;
  /** Add prom-client's process_* / nodejs_* metrics (the `run` command does; tests need not). */
  processMetrics?: boolean;
}

/** What the dead letter's cap did: rotations, and the oldest files deleted with what they held. */
export interface DeadLetterReading {
  rotations: number;
  droppedFiles: number;
  droppedBytes: number;
  droppedLines: number;
}

/** The worker pool (`workers: N`): its size, threads alive, deaths, and chunks run on the main thread instead. */
export interface WorkersReading {
  size: number;
  alive: number;
  deaths: number;
  rerunChunks: number;
  rerunRecords: number;
}

/** The state metrics.ts reads. */
export interface TelemetryState {
  readonly sources: Map<string, SourceCounts>;
  readonly exporters: ExporterEntry[];
  readonly webhooks: Array<{ listen: string; read: () => WebhookReading }>;
  readonly forwards: Array<{ listen: string; read: () => ForwardReading }>;
  readonly fileSources: Array<() => Promise<FileReading[]>>;
  readonly deadLetters: Array<() => DeadLetterReading>;
  readonly workerPools: Array<() => WorkersReading>;
  readonly grpcs: GrpcEntry[];
  readonly isReady: () => boolean;
  /** Per-client rejection counts (src/pipeline/rejection-log.ts), when registered. */
  readonly clientRejections: Array<() => Iterable<[{ source: string; client: string; reason: string }, number]>>;
}

/** A label value from a free-form reason: its leading code, lower case, [a-z0-9_], at most 40 characters. */
export function reasonCode(reason: string): string {
  const code = reason
    .split(':', 1)[0]
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, 40);
  return code === '' ? 'other' : code;
}

function bump(m: Map<string, number>, key: string, n: number): void {
  m.set(key, (m.get(key) ?? 0) + n);
}

export function createTelemetry(opts: TelemetryOptions = {}): Telemetry {
  const now = opts.now ?? (() => performance.now());
  const maxRetryingMs = opts.notReadyAfterRetryingMs ?? 60_000;
  const streakLimit = opts.deadLetterStreak ?? DEAD_LETTER_STREAK;
  /** The current streak (0 when something was delivered since it began). */
  const streakOf = (e: ExporterEntry): number => {
    if (e.dlStreak === 0) return 0;
    const r = e.read();
    return r.delivered + r.duplicates === e.dlStreakBase ? e.dlStreak : 0;
  };
  let phase: Phase = 'starting';
  const sources = new Map<string, SourceCounts>();
  const exporters: ExporterEntry[] = [];
  const webhooks: TelemetryState['webhooks'] = [];
  const forwards: TelemetryState['forwards'] = [];
  const fileSources: TelemetryState['fileSources'] = [];
  const deadLetters: TelemetryState['deadLetters'] = [];
  const workerPools: TelemetryState['workerPools'] = [];
  const grpcs: GrpcEntry[] = [];
  let lastName: string | undefined;
  let lastCounts: SourceCounts | undefined;

  function source(name: string): SourceCounts {
    if (name === lastName) return lastCounts!;
    let c = sources.get(name);
    if (c === undefined) {
      c = { received: 0, mapped: 0, rejected: new Map() };
      sources.set(name, c);
    }
    lastName = name;
    lastCounts = c;
    return c;
  }

  function readiness(): Readiness {
    const input = { streams: grpcs, otherSources: webhooks.length + forwards.length + fileSources.length };
    const judged = exporters.map((e) => ({
      label: e.label,
      state: e.state,
      stateSince: e.stateSince,
      deadLetterStreak: streakOf(e),
    }));
    return judgeReadiness(phase, judged, now(), maxRetryingMs, input, streakLimit);
  }

  const clientRejections: TelemetryState['clientRejections'] = [];
  const state: TelemetryState = {
    sources,
    exporters,
    webhooks,
    forwards,
    fileSources,
    deadLetters,
    workerPools,
    grpcs,
    clientRejections,
    isReady: () => readiness().ready,
  };
  const metrics: Metrics = createMetrics(state, { processMetrics: opts.processMetrics ?? false });

  return {
    phaseChanged(p) {
      phase = p;
    },
    phase: () => phase,
    eventReceived(name) {
      source(name).received++;
    },
    eventMapped(name) {
      source(name).mapped++;
    },
    eventRejected(name, code) {
      bump(source(name).rejected, reasonCode(code), 1);
    },

    exporter(name, probe) {
      const taken = new Set(exporters.map((e) => e.label));
      let label = name;
      for (let i = 2; taken.has(label); i++) label = `${name}#${i}`;
      const e: ExporterEntry = {
        label,
        read: probe.read,
        capacity: probe.capacity,
        deadLettered: 0,
        dropped: new Map(),
        retries: 0,
        retriedItems: 0,
        undeliveredAtShutdown: 0,
        filtered: 0,
        state: 'healthy',
        stateSince: now(),
        dlStreak: 0,
        dlStreakBase: 0,
      };
      exporters.push(e);
      return {
        label,
        deadLettered(count = 1) {
          e.deadLettered += count;
          const r = e.read();
          const settled = r.delivered + r.duplicates;
          if (settled !== e.dlStreakBase) {
            e.dlStreak = 0;
            e.dlStreakBase = settled;
          }
          e.dlStreak += count;
        },
        dropped(reason, count) {
          bump(e.dropped, reasonCode(reason), count);
        },
        retried(items) {
          e.retries++;
          e.retriedItems += items;
        },
        stateChanged(s) {
          if (s === e.state) return;
          if (s === 'healthy' || e.state === 'healthy') e.stateSince = now();
          e.state = s;
        },
        sendFinished(outcome, seconds) {
          metrics.observeSend(label, outcome, seconds);
        },
        undeliveredAtShutdown(count) {
          e.undeliveredAtShutdown += count;
        },
        filtered() {
          e.filtered++;
        },
      };
    },

    webhook(listen, read) {
      webhooks.push({ listen, read });
    },
    clientRejections(read) {
      clientRejections.push(read);
    },
    forward(listen, read) {
      forwards.push({ listen, read });
    },
    files(read) {
      fileSources.push(read);
    },
    workers(read) {
      workerPools.push(read);
    },
    deadLetter(read) {
      deadLetters.push(read);
    },
    grpc(address) {
      const g: GrpcEntry = { address, connected: false, everConnected: false, reconnects: 0, since: now() };
      grpcs.push(g);
      return {
        connected() {
          if (g.connected) return;
          if (g.everConnected) g.reconnects++;
          g.connected = true;
          g.everConnected = true;
          g.since = now();
        },
        disconnected() {
          if (!g.connected) return;
          g.connected = false;
          g.since = now();
        },
      };
    },
    readiness,

    snapshot() {
      let received = 0,
        mapped = 0,
        rejected = 0;
      for (const c of sources.values()) {
        received += c.received;
        mapped += c.mapped;
        for (const n of c.rejected.values()) rejected += n;
      }
      const t = now();
      return {
        phase,
        received,
        mapped,
        rejected,
        exporters: exporters.map((e) => {
          const r = e.read();
          let dropped = 0;
          for (const n of e.dropped.values()) dropped += n;
          return {
            name: e.label,
            delivered: r.delivered,
            duplicates: r.duplicates,
            deadLettered: e.deadLettered,
            dropped,
            queuedItems: r.queuedItems,
            queuedBytes: r.queuedBytes,
            inFlightItems: r.inFlightItems,
            state: e.state,
            stateForMs: t - e.stateSince,
            deadLetterStreak: streakOf(e),
          };
        }),
        grpc: grpcs.map((g) => ({
          address: g.address,
          connected: g.connected,
          everConnected: g.everConnected,
          stateForMs: t - g.since,
        })),
      };
    },

    metrics: () => metrics.text(),
    contentType: metrics.contentType,
  };
}
