// The program's logger: levels (debug < info < warn < error), an RFC 3339 UTC time with
// milliseconds, and two formats for stderr (stdout carries event output for `map` and the
// console exporter, so never a log line):
//   text: 2026-12-06T09:15:27.123Z INFO  tracee-exporter: es: templates reinstalled
//   json: {"level":"info","time":"2026-12-06T09:15:27.123Z","msg":"es: templates reinstalled","component":"exporter","exporter":"es"}
// `msg` is the same sentence in both formats; the other keys (component, exporter, source,
// origin, reason, count, ...) are bound by child loggers or given per line, and are written in
// JSON only. Every string (msg and values) goes through the sink's `redact` (the CLI installs
// src/config/secrets.ts's redact), so a credential never reaches a line whatever the caller wrote.
//
// A Logger is also a plain `(line) => void` callback (it logs at info): code and plugins written
// for the `log(line)` callbacks take one unchanged, and toLogger() turns such a callback into a
// Logger (every level goes to the callback as the bare message).
//
// Repeats are rate-limited per key (createRepeatLimiter, Logger.limited): within an interval the
// first lines of a key are logged, the rest counted and summarised when the interval ends:
// "<first message> (N more in the last 10s)". The lowest layer: imports nothing of the project.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];
export const LOG_DEFAULTS = { format: 'text' as LogFormat, level: 'info' as LogLevel };

export type LogValue = string | number | boolean | undefined;
export type LogFields = Readonly<Record<string, LogValue>>;

export interface LogSettings {
  format: LogFormat;
  /** Lines below this level are not written. */
  level: LogLevel;
  /** Where a finished line goes (without its newline); default: stderr. */
  write: (line: string) => void;
  /** Applied to the message and every string value (default: none; the CLI installs secrets.ts's redact). */
  redact: (text: string) => string;
  now: () => Date;
  /** The text format's program name before the message. */
  name: string;
}

export interface Logger {
  /** Logs at info: a Logger is usable wherever a `(line: string) => void` callback is. */
  (msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  /** Whether a line of this level would be written (to skip building an expensive debug message). */
  enabled(level: LogLevel): boolean;
  /** A logger whose lines carry these fields too (and start with `prefix`, e.g. "es: "). */
  child(fields: LogFields, prefix?: string): Logger;
  /** Lines rate-limited per key (see createRepeatLimiter): `limited().warn(key, msg)`. */
  limited(opts?: RepeatLimiterOptions): LimitedLogger;
  /** Ends the interval of every limited logger of this sink now: their summary lines are written (at shutdown). */
  flush(): void;
}

export interface LimitedLogger {
  debug(key: string, msg: string, fields?: LogFields): void;
  info(key: string, msg: string, fields?: LogFields): void;
  warn(key: string, msg: string, fields?: LogFields): void;
  error(key: string, msg: string, fields?: LogFields): void;
  /** Ends the interval now: one summary line per key with repeats. */
  flush(): void;
  /** flush() and forget the timer. */
  stop(): void;
}

/**
 * A Logger, or a plain callback (tests, plugins' hosts) that gets the bare message of every level:
 * one function type (a Logger is one), so `(l) => lines.push(l)` still types `l`; toLogger() tells them apart.
 */
export type LogTarget = (line: string) => void;

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const RESERVED = new Set(['level', 'time', 'msg']);

interface Sink {
  enabled(level: LogLevel): boolean;
  emit(level: LogLevel, msg: string, fields: LogFields): void;
  limiters: Set<{ flush(): void }>;
}

export function isLogLevel(v: unknown): v is LogLevel {
  return typeof v === 'string' && (LOG_LEVELS as readonly string[]).includes(v);
}
export function isLogFormat(v: unknown): v is LogFormat {
  return typeof v === 'string' && (LOG_FORMATS as readonly string[]).includes(v);
}

/** One line in the sink's format (exported for the docs' examples and tests). */
export function formatLogLine(
  s: Pick<LogSettings, 'format' | 'redact' | 'name'>,
  level: LogLevel,
  time: Date,
  msg: string,
  fields: LogFields,
): string {
  const text = s.redact(msg);
  if (s.format === 'text') return `${time.toISOString()} ${level.toUpperCase().padEnd(5)} ${s.name}: ${text}`;
  const out: Record<string, unknown> = { level, time: time.toISOString(), msg: text };
  if (fields.component !== undefined) out.component = fields.component;
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || RESERVED.has(k) || k === 'component') continue;
    out[k] = typeof v === 'string' ? s.redact(v) : v;
  }
  return JSON.stringify(out);
}

function settingsSink(settings: LogSettings): Sink {
  return {
    enabled: (level) => RANK[level] >= RANK[settings.level],
    emit(level, msg, fields) {
      let line: string;
      try {
        line = formatLogLine(settings, level, settings.now(), msg, fields);
      } catch {
        line = `${settings.now().toISOString()} ERROR ${settings.name}: (a log line could not be formatted)`;
      }
      settings.write(line);
    },
    limiters: new Set(),
  };
}

function callbackSink(fn: (line: string) => void): Sink {
  return { enabled: () => true, emit: (_level, msg) => fn(msg), limiters: new Set() };
}

function loggerOn(sink: Sink, bound: LogFields, prefix: string): Logger {
  const log = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (!sink.enabled(level)) return;
    sink.emit(level, prefix + msg, fields === undefined ? bound : { ...bound, ...fields });
  };
  const logger = ((msg: string, fields?: LogFields) => log('info', msg, fields)) as Logger;
  logger.debug = (msg, fields) => log('debug', msg, fields);
  logger.info = (msg, fields) => log('info', msg, fields);
  logger.warn = (msg, fields) => log('warn', msg, fields);
  logger.error = (msg, fields) => log('error', msg, fields);
  logger.log = log;
  logger.enabled = (level) => sink.enabled(level);
  logger.child = (fields, more = '') => loggerOn(sink, { ...bound, ...fields }, prefix + more);
  logger.limited = (opts = {}) => limitedLogger(logger, sink, opts);
  logger.flush = () => {
    for (const l of [...sink.limiters]) l.flush();
  };
  return logger;
}

/** A new logger with its own settings (tests, or a program other than the CLI). */
export function createLogger(opts: Partial<LogSettings> = {}): Logger {
  return loggerOn(settingsSink(defaults(opts)), {}, '');
}

function defaults(opts: Partial<LogSettings>): LogSettings {
  return {
    format: opts.format ?? LOG_DEFAULTS.format,
    level: opts.level ?? LOG_DEFAULTS.level,
    write:
      opts.write ??
      ((line) => {
        process.stderr.write(`${line}\n`);
      }),
    redact: opts.redact ?? ((t) => t),
    now: opts.now ?? (() => new Date()),
    name: opts.name ?? 'tracee-exporter',
  };
}

const rootSettings = defaults({});
/** The process's logger (stderr; text, info until configureLog). Components get children of it from the CLI. */
export const rootLogger: Logger = loggerOn(settingsSink(rootSettings), {}, '');

/** Change the process logger's settings (the CLI: redact at start, format and level once the config and flags are read). */
export function configureLog(opts: Partial<LogSettings>): void {
  for (const [k, v] of Object.entries(opts))
    if (v !== undefined) (rootSettings as unknown as Record<string, unknown>)[k] = v;
}

export function isLogger(t: unknown): t is Logger {
  return (
    typeof t === 'function' &&
    typeof (t as Partial<Logger>).child === 'function' &&
    typeof (t as Partial<Logger>).warn === 'function'
  );
}

/** The target as a Logger (with these fields bound): a Logger as is, a plain callback wrapped. */
export function toLogger(target: LogTarget, fields?: LogFields, prefix?: string): Logger {
  const base = isLogger(target) ? target : loggerOn(callbackSink(target), {}, '');
  return fields === undefined && prefix === undefined ? base : base.child(fields ?? {}, prefix);
}

/** A logger that writes nothing. */
export const silentLogger: Logger = loggerOn({ enabled: () => false, emit: () => {}, limiters: new Set() }, {}, '');

// ---- rate-limited repeats

export interface RepeatLimiterOptions {
  /** Length of one interval (default 10 s). */
  intervalMs?: number;
  /** Lines logged per key per interval before the rest are only counted (default 1). */
  perInterval?: number;
}

export interface RepeatWindow<A> {
  key: string;
  /** Occurrences in the interval that were not logged. */
  suppressed: number;
  /** What the caller gathered about the interval (init(), then its own updates). */
  acc: A;
  intervalMs: number;
}

export interface RepeatLimiter<A> {
  /** One occurrence of `key`: `admitted` when it is to be logged; else it is counted. */
  note(key: string): { admitted: boolean; acc: A };
  /** Ends the interval now: onSummary for each key with suppressed occurrences; keys are forgotten. */
  flush(): void;
  stop(): void;
}

export const REPEAT_DEFAULTS = { intervalMs: 10_000, perInterval: 1 } as const;

/**
 * Per key and interval, the first `perInterval` occurrences are admitted, the rest counted; when the
 * interval ends (a timer, unref'd, runs only while keys are seen; or flush()), onSummary gets each
 * key with suppressed occurrences. Keys seen in one interval are forgotten at its end, so a flood
 * of distinct keys is bounded by the interval's length.
 */
export function createRepeatLimiter<A>(
  opts: RepeatLimiterOptions & { init(key: string): A; onSummary(w: RepeatWindow<A>): void },
): RepeatLimiter<A> {
  const intervalMs = opts.intervalMs ?? REPEAT_DEFAULTS.intervalMs;
  const per = opts.perInterval ?? REPEAT_DEFAULTS.perInterval;
  let current = new Map<string, { logged: number; suppressed: number; acc: A }>();
  let timer: NodeJS.Timeout | undefined;
  function flush(): void {
    const ended = current;
    current = new Map();
    if (timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
    for (const [key, w] of ended)
      if (w.suppressed > 0) opts.onSummary({ key, suppressed: w.suppressed, acc: w.acc, intervalMs });
  }
  return {
    note(key) {
      let w = current.get(key);
      if (w === undefined) {
        w = { logged: 0, suppressed: 0, acc: opts.init(key) };
        current.set(key, w);
      }
      if (timer === undefined) {
        timer = setInterval(flush, intervalMs);
        timer.unref();
      }
      if (w.logged < per) {
        w.logged++;
        return { admitted: true, acc: w.acc };
      }
      w.suppressed++;
      return { admitted: false, acc: w.acc };
    },
    flush,
    stop: flush,
  };
}

/** "(N more in the last 10s)" */
export function repeatSuffix(n: number, intervalMs: number): string {
  return `(${n} more in the last ${Math.round(intervalMs / 100) / 10}s)`;
}

function limitedLogger(logger: Logger, sink: Sink, opts: RepeatLimiterOptions): LimitedLogger {
  const limiter = createRepeatLimiter<{ level: LogLevel; msg: string; fields?: LogFields }>({
    ...opts,
    init: () => ({ level: 'info', msg: '' }),
    onSummary: (w) =>
      logger.log(w.acc.level, `${w.acc.msg} ${repeatSuffix(w.suppressed, w.intervalMs)}`, {
        ...w.acc.fields,
        repeated: w.suppressed,
      }),
  });
  const entry = { flush: () => limiter.flush() };
  sink.limiters.add(entry);
  const at = (level: LogLevel) => (key: string, msg: string, fields?: LogFields) => {
    if (!logger.enabled(level)) return;
    const { admitted, acc } = limiter.note(key);
    if (!admitted) return;
    if (acc.msg === '') {
      acc.level = level;
      acc.msg = msg;
      acc.fields = fields;
    }
    logger.log(level, msg, fields);
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    flush: () => limiter.flush(),
    stop: () => {
      limiter.stop();
      sink.limiters.delete(entry);
    },
  };
}

/** A logger that writes through whichever logger `get` returns at the time (a name known only later). */
export function deferredLogger(get: () => Logger): Logger {
  return loggerOn(
    {
      enabled: (l) => get().enabled(l),
      emit: (level, msg, fields) => get().log(level, msg, fields),
      limiters: new Set(),
    },
    {},
    '',
  );
}
