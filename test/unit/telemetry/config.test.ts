// The `telemetry:` config section: schema, defaults, and the TRACEE_EXPORTER_TELEMETRY_LISTEN override.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadRunConfig, parseRunConfig, resolveTelemetryConfig } from '../../../src/config/run-config.ts';
import { ROOT } from '../../helpers/samples.ts';

const parse = (telemetry: string) =>
  parseRunConfig(`version: 1\n${telemetry}exporters: [{ type: console }]\n`, 'c.yaml', {});

describe('telemetry config', () => {
  it('absent: no server, progress log every 60 s, readiness bound 60 s', () => {
    expect(resolveTelemetryConfig(parse(''), {})).toEqual({
      telemetry: { listen: undefined, logIntervalMs: 60_000, notReadyAfterRetryingMs: 60_000 },
      warnings: [],
    });
  });

  it('listen, log_interval_ms and not_ready_after_retrying_ms are read; the env variable wins over listen', () => {
    const c = parse(
      'telemetry:\n  listen: 0.0.0.0:9464\n  log_interval_ms: 0\n  not_ready_after_retrying_ms: 120000\n',
    );
    expect(resolveTelemetryConfig(c, {}).telemetry).toEqual({
      listen: { host: '0.0.0.0', port: 9464, text: '0.0.0.0:9464' },
      logIntervalMs: 0,
      notReadyAfterRetryingMs: 120_000,
    });
    expect(resolveTelemetryConfig(c, { TRACEE_EXPORTER_TELEMETRY_LISTEN: '[::1]:9000' }).telemetry.listen).toEqual({
      host: '::1',
      port: 9000,
      text: '[::1]:9000',
    });
    expect(resolveTelemetryConfig(parse(''), { TRACEE_EXPORTER_TELEMETRY_LISTEN: ':9464' }).telemetry.listen).toEqual({
      host: undefined,
      port: 9464,
      text: ':9464',
    });
    expect(resolveTelemetryConfig(c, { TRACEE_EXPORTER_TELEMETRY_LISTEN: '' }).telemetry.listen?.port).toBe(9464);
  });

  it('an invalid env value is warned about and ignored; an invalid config value is an error', () => {
    const c = parse('telemetry:\n  listen: 127.0.0.1:9464\n');
    const r = resolveTelemetryConfig(c, { TRACEE_EXPORTER_TELEMETRY_LISTEN: 'localhost' });
    expect(r.telemetry.listen?.text).toBe('127.0.0.1:9464');
    expect(r.warnings).toEqual([
      'TRACEE_EXPORTER_TELEMETRY_LISTEN: expected host:port, [ipv6]:port or :port, got "localhost": ignored, using telemetry.listen 127.0.0.1:9464',
    ]);
    expect(() => resolveTelemetryConfig(parse('telemetry:\n  listen: 127.0.0.1:99999\n'), {})).toThrow(ConfigError);
    expect(() => parse('telemetry:\n  listen: nope\n')).toThrow(/c\.yaml:3:\d+: telemetry\.listen: must match pattern/);
    expect(() => parse('telemetry:\n  port: 9464\n')).toThrow(
      /telemetry\.port: must NOT have additional properties "port"/,
    );
    expect(() => parse('telemetry:\n  log_interval_ms: -1\n')).toThrow(/telemetry\.log_interval_ms: must be >= 0/);
  });

  it('the webhook example turns the server on', () => {
    const c = loadRunConfig(path.join(ROOT, 'examples/config/webhook.yaml'), { NODE_NAME: 'n' });
    expect(resolveTelemetryConfig(c, {}).telemetry.listen).toMatchObject({ host: '127.0.0.1', port: 9464 });
  });
});
