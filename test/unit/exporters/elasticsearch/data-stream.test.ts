import { describe, expect, it } from 'vitest';
import { dataStreamPartError, dataStreamTarget } from '../../../../src/exporters/elasticsearch/data-stream.ts';
import {
  ElasticsearchConfigError,
  resolveElasticsearchOptions,
} from '../../../../src/exporters/elasticsearch/config.ts';

describe('data stream naming', () => {
  it('builds logs-<dataset>-<namespace>', () => {
    expect(dataStreamTarget('tracee.events', 'default')).toEqual({
      name: 'logs-tracee.events-default',
      type: 'logs',
      dataset: 'tracee.events',
      namespace: 'default',
    });
  });

  it.each([
    ['tracee.events', undefined],
    ['a'.repeat(100), undefined],
    ['prod_eu1', undefined],
    ['', /non-empty/],
    ['a'.repeat(101), /at most 100 characters/],
    ['Tracee', /lower case/],
    ['tracee-events', /must not contain "-"/],
    ['a b', /must not contain " "/],
    ...['\\', '/', '*', '?', '"', '<', '>', '|', ',', '#', ':'].map((c): [string, RegExp] => [
      `a${c}b`,
      /must not contain/,
    ]),
    ['_x', /must not start/],
    ['+x', /must not start/],
    ['.x', /must not start/],
  ])('%j', (value, expected) => {
    const err = dataStreamPartError('dataset', value);
    if (expected === undefined) expect(err).toBeUndefined();
    else expect(err).toMatch(expected);
  });

  it('rejects non-strings', () => {
    expect(dataStreamPartError('namespace', 42)).toMatch(/non-empty string/);
  });
});

describe('options', () => {
  const base = { endpoints: 'http://127.0.0.1:9200' };

  it('defaults', () => {
    const o = resolveElasticsearchOptions(base);
    expect(o.targets.event.name).toBe('logs-tracee.events-default');
    expect(o.targets.alert.name).toBe('logs-tracee.alerts-default');
    expect(o.maxBulkBytes).toBe(5_000_000);
    expect(o.requestTimeoutMs).toBe(30_000);
    expect(o.templates).toBe('install');
    expect(o.serverMajor).toBe('auto');
  });

  it('configurable datasets and namespace', () => {
    const o = resolveElasticsearchOptions({
      ...base,
      dataStream: { eventsDataset: 'tr.ev', alertsDataset: 'tr.al', namespace: 'prod' },
    });
    expect(o.targets.event.name).toBe('logs-tr.ev-prod');
    expect(o.targets.alert.name).toBe('logs-tr.al-prod');
  });

  it.each([
    [
      { dataStream: { namespace: 'Prod-1' } },
      'exporters.elasticsearch.dataStream.namespace: namespace must be lower case',
    ],
    [
      { dataStream: { eventsDataset: 'a-b' } },
      'exporters.elasticsearch.dataStream.eventsDataset: dataset must not contain "-"',
    ],
    [{ dataStream: { alertsDataset: 'tracee.events' } }, 'alertsDataset: must differ from events_dataset'],
    [{ endpoints: 'es:9200' }, 'endpoints[0]: expected an http(s) URL'],
    [{ endpoints: undefined }, 'endpoints: give at least one URL or a cloud_id'],
    [{ maxBulkBytes: 10 }, 'maxBulkBytes: expected an integer >= 1024'],
    [{ requestTimeoutMs: 0 }, 'requestTimeoutMs: expected a positive integer'],
    [{ serverMajor: 7 }, 'serverMajor: expected 8, 9 or "auto"'],
    [{ templates: 'maybe' }, 'templates: expected install, check or skip'],
    [{ auth: { apiKey: 'k', bearer: 'b' } }, 'auth: give exactly one of'],
    [{ auth: { username: 'u' } }, 'auth.password: required with username'],
    [{ tls: { caFingerprint: 'AA:BB' } }, 'tls.caFingerprint: only applies to https endpoints'],
  ])('rejects %j', (patch, message) => {
    expect(() => resolveElasticsearchOptions({ ...base, ...(patch as object) })).toThrow(ElasticsearchConfigError);
    expect(() => resolveElasticsearchOptions({ ...base, ...(patch as object) })).toThrow(message);
  });

  it('never echoes URL credentials in errors', () => {
    expect(() => resolveElasticsearchOptions({ endpoints: 'ftp://elastic:s3cr3tpw@host' })).toThrow(
      /ftp:\/\/\*\*\*@host/,
    );
    try {
      resolveElasticsearchOptions({ endpoints: 'ftp://elastic:s3cr3tpw@host' });
    } catch (e) {
      expect(String(e)).not.toContain('s3cr3tpw');
    }
  });

  it('accepts a Cloud ID instead of endpoints', () => {
    const id = `my:${Buffer.from('eu-west-1.aws.found.io$abc$def').toString('base64')}`;
    expect(resolveElasticsearchOptions({ cloudId: id }).cloudId).toBe(id);
    expect(() => resolveElasticsearchOptions({ cloudId: 'nope' })).toThrow(/cloudId/);
  });
});
