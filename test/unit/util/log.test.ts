// The structured logger (src/util/log.ts): both formats, levels, child fields, redaction of every
// string, rate-limited repeats, and plain callbacks as targets.

import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createLogger,
  createRepeatLimiter,
  deferredLogger,
  formatLogLine,
  isLogger,
  toLogger,
  type LogSettings,
} from '../../../src/util/log.ts';
import { redact, registerSecrets } from '../../../src/config/secrets.ts';

afterEach(() => {
  vi.useRealTimers();
});

const T = new Date('2026-12-06T09:15:27.123Z');
function capture(opts: Partial<LogSettings> = {}) {
  const lines: string[] = [];
  const log = createLogger({ now: () => T, write: (l) => lines.push(l), ...opts });
  return { log, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logger', () => {
  it('text: time (RFC 3339 UTC, ms), level, the program name, the message', () => {
    const { log, lines } = capture();
    log.info('telemetry: listening on http://127.0.0.1:9464');
    log.warn('es: retrying');
    log.error('exporters[0]: no module');
    log('called as a function: info');
    expect(lines).toEqual([
      '2026-12-06T09:15:27.123Z INFO  tracee-exporter: telemetry: listening on http://127.0.0.1:9464',
      '2026-12-06T09:15:27.123Z WARN  tracee-exporter: es: retrying',
      '2026-12-06T09:15:27.123Z ERROR tracee-exporter: exporters[0]: no module',
      '2026-12-06T09:15:27.123Z INFO  tracee-exporter: called as a function: info',
    ]);
  });

  it('json: one object per line, level/time/msg/component first, bound and per-line keys after', () => {
    const { log, lines, json } = capture({ format: 'json' });
    const es = log.child({ component: 'exporter', exporter: 'es' }, 'es: ');
    es.warn('dropped 3: queue_full', { reason: 'queue_full', count: 3, skipped: undefined });
    log
      .child({ component: 'source', source: 'webhook' })
      .info('webhook: listening on http://[::1]:8080/', { count: 0 });
    expect(lines[0]).toBe(
      '{"level":"warn","time":"2026-12-06T09:15:27.123Z","msg":"es: dropped 3: queue_full","component":"exporter","exporter":"es","reason":"queue_full","count":3}',
    );
    expect(json()[1]).toEqual({
      level: 'info',
      time: '2026-12-06T09:15:27.123Z',
      msg: 'webhook: listening on http://[::1]:8080/',
      component: 'source',
      source: 'webhook',
      count: 0,
    });
    expect(Object.keys(json()[1]).slice(0, 4)).toEqual(['level', 'time', 'msg', 'component']);
  });

  it('json: a message with quotes, newlines and control characters stays one parseable line; fields cannot replace level/time/msg', () => {
    const { log, lines, json } = capture({ format: 'json' });
    log.warn('templates differ:\n  "a"\t\u0001b', { level: 'error', msg: 'forged', time: 'x' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(json()[0]).toEqual({
      level: 'warn',
      time: '2026-12-06T09:15:27.123Z',
      msg: 'templates differ:\n  "a"\t\u0001b',
    });
  });

  it('level filtering: below the level nothing is written; enabled() says so', () => {
    const { log, lines } = capture({ level: 'warn' });
    log.debug('d');
    log.info('i');
    log('plain');
    log.warn('w');
    log.error('e');
    expect(lines.map((l) => l.split(' ')[1])).toEqual(['WARN', 'ERROR']);
    expect(log.enabled('info')).toBe(false);
    expect(log.enabled('error')).toBe(true);
    const dbg = capture({ level: 'debug' });
    dbg.log.child({ component: 'pipeline' }).debug('d');
    expect(dbg.lines).toEqual(['2026-12-06T09:15:27.123Z DEBUG tracee-exporter: d']);
  });

  it('a secret never reaches a line: URL user info, secret query parameters and known secrets in msg and values', () => {
    registerSecrets(['s3cr3t-token-value']);
    for (const format of ['text', 'json'] as const) {
      const { log, lines } = capture({ format, redact: (t) => redact(t) });
      log
        .child({ component: 'exporter', exporter: 'es' })
        .warn('es: cannot reach https://elastic:hunter2pass@es.example:9200/_bulk?api_key=abc123def', {
          endpoint: 'https://user:p%40ss-word@collector:4318/v1/logs',
          token: 's3cr3t-token-value',
        });
      const all = lines.join('\n');
      for (const secret of ['hunter2pass', 'abc123def', 'p%40ss-word', 's3cr3t-token-value'])
        expect(all).not.toContain(secret);
      expect(all).toContain('https://***@es.example:9200/_bulk?api_key=***');
    }
  });

  it('child loggers bind fields and prefixes; later fields win; the parent is unchanged', () => {
    const { log, json } = capture({ format: 'json' });
    const a = log.child({ component: 'delivery', exporter: 'otlp' }, 'otlp: ');
    a.child({ exporter: 'otlp2' }, 'disk buffer: ').info('full', { count: 1 });
    log.info('root');
    expect(json()).toEqual([
      {
        level: 'info',
        time: T.toISOString(),
        msg: 'otlp: disk buffer: full',
        component: 'delivery',
        exporter: 'otlp2',
        count: 1,
      },
      { level: 'info', time: T.toISOString(), msg: 'root' },
    ]);
  });

  it('toLogger: a plain callback gets the bare message (prefix included) of every level; a Logger is kept', () => {
    const got: string[] = [];
    const l = toLogger((m) => got.push(m), { component: 'source' }, 'webhook: ');
    l.debug('d');
    l.warn('w', { count: 2 });
    l('i');
    expect(got).toEqual(['webhook: d', 'webhook: w', 'webhook: i']);
    expect(isLogger(l)).toBe(true);
    const { log } = capture();
    expect(toLogger(log)).toBe(log);
    expect(isLogger((m: string) => got.push(m))).toBe(false);
  });

  it('deferredLogger writes through the logger current at the time', () => {
    const { log, json } = capture({ format: 'json' });
    let current = log.child({ exporter: 'a' });
    const d = deferredLogger(() => current);
    d.warn('one');
    current = log.child({ exporter: 'b' });
    d.warn('two');
    expect(json().map((j) => j.exporter)).toEqual(['a', 'b']);
  });

  it('formatLogLine: a number that JSON cannot hold is null, the line still parses', () => {
    const line = formatLogLine({ format: 'json', redact: (t) => t, name: 'x' }, 'info', T, 'm', { count: Number.NaN });
    expect(JSON.parse(line)).toEqual({ level: 'info', time: T.toISOString(), msg: 'm', count: null });
  });
});

describe('rate-limited repeats', () => {
  it('per key: the first is logged, repeats counted, one summary "(N more in the last Xs)" when the interval ends', () => {
    vi.useFakeTimers();
    const { log, lines, json } = capture({ format: 'json' });
    const limited = log.child({ component: 'delivery', exporter: 'es' }).limited({ intervalMs: 10_000 });
    for (let i = 0; i < 500; i++)
      limited.warn('retry', `es: retrying (connection refused ${i})`, { reason: 'connection_refused' });
    limited.warn('other', 'es: circuit open');
    expect(lines).toHaveLength(2);
    vi.advanceTimersByTime(10_000);
    expect(json()[2]).toEqual({
      level: 'warn',
      time: T.toISOString(),
      msg: 'es: retrying (connection refused 0) (499 more in the last 10s)',
      component: 'delivery',
      exporter: 'es',
      reason: 'connection_refused',
      repeated: 499,
    });
    expect(lines).toHaveLength(3); // "other" had no repeats: no summary
    // the next interval logs the first again
    limited.warn('retry', 'es: retrying again');
    expect(json()[3].msg).toBe('es: retrying again');
    limited.stop();
  });

  it("perInterval lines per key; flush() (the logger's, at shutdown) writes the summaries now", () => {
    const { log, lines } = capture();
    const limited = log.limited({ intervalMs: 60_000, perInterval: 3 });
    for (let i = 0; i < 10; i++) limited.info('k', `line ${i}`);
    expect(lines).toHaveLength(3);
    log.flush();
    expect(lines[3]).toMatch(/INFO {2}tracee-exporter: line 0 \(7 more in the last 60s\)$/);
    log.flush();
    expect(lines).toHaveLength(4);
    limited.stop();
  });

  it('lines below the level are neither written nor counted', () => {
    const { log, lines } = capture({ level: 'warn' });
    const limited = log.limited();
    for (let i = 0; i < 5; i++) limited.info('k', 'quiet');
    limited.stop();
    expect(lines).toEqual([]);
  });

  it('createRepeatLimiter: the caller gathers what it left out; keys are forgotten at the end of the interval', () => {
    const summaries: string[] = [];
    const limiter = createRepeatLimiter<{ codes: string[] }>({
      intervalMs: 1_000,
      perInterval: 2,
      init: () => ({ codes: [] }),
      onSummary: (w) => summaries.push(`${w.key}: ${w.suppressed} ${w.acc.codes.join(',')}`),
    });
    const admitted = ['a', 'a', 'a', 'b', 'a'].map((k, i) => {
      const r = limiter.note(k);
      if (!r.admitted) r.acc.codes.push(`c${i}`);
      return r.admitted;
    });
    expect(admitted).toEqual([true, true, false, true, false]);
    limiter.flush();
    expect(summaries).toEqual(['a: 2 c2,c4']);
    expect(limiter.note('a').admitted).toBe(true);
    limiter.stop();
  });
});
