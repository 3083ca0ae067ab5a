// What a source hands to the pipeline. Pull sources (stdin, file) give it a stream of records;
// push sources (webhook) call `ingest` per request and answer their client from the result.

import type { Origin } from '../model/records.ts';
import type { InputRecord } from './read-records.ts';
import type { JsonSchema } from '../util/schema-type.ts';

export interface IngestOptions {
  /**
   * When this aborts, stop taking records and stop waiting for room in a full exporter queue. An
   * event whose push was waiting stays in line (accepted when room frees, dead-lettered if the
   * delivery shuts down first): it is counted in `waiting`.
   */
  signal?: AbortSignal;
  /**
   * With `signal`: the records left after the abort are refused with this reason (counted as
   * rejected, dead-lettered with their origin and input). Without it they are left unread, which
   * is what a pull source wants (they stay in the file / pipe).
   */
  refuseRestAs?: string;
  /**
   * Whether `rejected` lists the rejections (default true: a push source answers its client with
   * them). Long-lived pull sources pass false: they are logged and dead-lettered anyway, and a list
   * kept for a whole stream would grow without bound.
   */
  listRejections?: boolean;
  /**
   * Set by the pipeline's memory limit (delivery/memory-limit.ts withMemoryLimit; sources leave it
   * unset): called before each record is taken; a promise = wait for it first.
   */
  admit?(signal?: AbortSignal): Promise<void> | undefined;
}

export interface IngestResult {
  /** Events decoded, mapped and accepted by every exporter's queue (push resolved). */
  accepted: number;
  /** Input that is not a valid event (malformed, not a Tracee event, unmappable); empty with `listRejections: false`. */
  rejected: Array<{ origin: Origin; reason: string }>;
  /** How many records were rejected (always counted). */
  rejectedCount: number;
  /** Events still waiting for room in a full queue when `signal` aborted (0 or 1). */
  waiting: number;
  /** Records refused with `refuseRestAs` after `signal` aborted. */
  refused: number;
  /** `signal` aborted before every record was taken and accepted. */
  interrupted: boolean;
}

/**
 * The records an ingest call takes, in order: one by one, or in batches (arrays) as a pull source
 * reads them (read-records.ts readRecordBatches).
 */
export type RecordStream = AsyncIterable<InputRecord | readonly InputRecord[]> | Iterable<InputRecord>;

/** decode → map → push to every exporter's delivery, for these records. Never throws on bad input. */
export type Ingest = (records: RecordStream, opts?: IngestOptions) => Promise<IngestResult>;

/**
 * What the telemetry offers a source to register itself with (src/telemetry satisfies it; declared
 * here so that a source does not import the layer above it).
 */
export interface SourceTelemetry {
  webhook(listen: string, read: () => unknown): void;
  forward(listen: string, read: () => unknown): void;
  files(read: () => Promise<Array<{ path: string; committedOffset: number; size: number }>>): void;
  grpc(address: string): { connected(): void; disconnected(): void };
}

/** What the pipeline hands every source it starts. */
export interface SourceContext {
  ingest: Ingest;
  /** Callable (level info); at run time a Logger with `component: source` and the type bound: `toLogger(ctx.log).warn(...)` (src/util/log.ts). */
  log(line: string): void;
  /** `sources[i]`: where the source stands in the config, for its messages. */
  where: string;
  /** Aborts at stop(): pull sources stop reading. */
  signal: AbortSignal;
  /** The pipeline's standard input (the stdin source). */
  stdin: import('node:stream').Readable;
  /** State kept across restarts (checkpoints). */
  dataDir: string;
  telemetry: SourceTelemetry;
  /** A failure that does not stop the source (one file cannot be read): counted as a source error. */
  error(what: string, err: Error): void;
  /** A stream the pipeline destroys at stop() (after the stop signal aborted). */
  destroyOnStop(stream: { destroy?(): unknown }): void;
}

/** What `config check` hands a source: it checks without opening, listening or connecting. */
export interface SourceCheck {
  /**
   * Run a resolver `run` uses; its error becomes "file:line:col: sources[i].<key>: message". An
   * OptionError (src/util/option-error.ts) names its own key below `key`; any other error is at `key`.
   */
  attempt<T>(key: Array<string | number>, f: () => T): T;
  /** Not fatal for `run`, but probably not what was meant: "file:line:col: sources[i].<key>: message". */
  warn(key: Array<string | number>, message: string): void;
}

/** What every kind of source has besides how it runs. */
interface SourceKindBase<C> {
  /**
   * Its config model: the keys of a `sources[]` entry of this type (snake_case), their defaults
   * (what `config print` fills in) and validation; the config type C is derived from it (./<kind>/schema.ts).
   */
  schema: JsonSchema;
  /** `config check`: the checks `run` would fail on, as a dry run; returns the source's summary part. */
  check(config: C, chk: SourceCheck): string;
}

/** A source that reads a stream until it ends or stop(). */
export interface PullSourceKind<C = any> extends SourceKindBase<C> {
  mode: 'pull';
  /** How its read errors name it (`<label>: cannot read: …`). */
  label(config: C): string;
  /** Read until the input ends or ctx.signal aborts; `close` runs once more after the deliveries drained. */
  run(config: C, ctx: SourceContext, close: (fn: () => Promise<void>) => void): Promise<void>;
}

/** A source that listens (before ready()) and serves until stop(); Tracee pushes to it. */
export interface PushSourceKind<C = any, S extends PushSource = PushSource> extends SourceKindBase<C> {
  mode: 'push';
  create(config: C, ctx: SourceContext): S;
  /** It listens at `address`: register its telemetry; what ready() lists it under, and as what. */
  listening(src: S, address: string, telemetry: SourceTelemetry): { list: string; handle: unknown };
  /** The line logged once it closed. */
  closingLine(src: S, address: string): string;
}

export interface PushSource {
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** One `type:` of the run config's `sources` (src/sources/registry.ts). */
export type SourceKind = PullSourceKind | PushSourceKind<any, any>;

/** `a×2, b×1`, or `none`: counts in a closing line. */
export const countedLine = (m: Record<string, number>): string =>
  Object.entries(m)
    .map(([k, n]) => `${k}×${n}`)
    .join(', ') || 'none';
