// First assertions against the REAL Elasticsearch node (scripts/services/elasticsearch.sh, the integ-test-zip
// from Maven Central): the features every Elasticsearch integration test relies on. If this file fails, fix the
// node before reading other integration failures. Fails (never skips) when the node is not running.

import { beforeAll, describe, expect, it } from 'vitest';
import { bulk, countDocs, esRequest, getMapping, searchAll, uniqueNamespace } from '../helpers/elasticsearch.ts';

const ns = uniqueNamespace('smoke');
const dataset = 'tracee.smoke';
const dataStream = `logs-${dataset}-${ns}`;
const templateName = `tracee-smoke-${ns}`;
const nanoTimestamp = '2026-11-28T10:00:00.123456789Z';

describe('Elasticsearch test node', () => {
  beforeAll(async () => {
    // Component templates + a composable template with data_stream and a date_nanos @timestamp.
    await esRequest('PUT', `/_component_template/${templateName}-settings`, {
      body: { template: { settings: { 'index.number_of_shards': 1, 'index.number_of_replicas': 0 } } },
    });
    await esRequest('PUT', `/_component_template/${templateName}-mappings`, {
      body: {
        template: {
          mappings: {
            dynamic: 'strict',
            properties: {
              '@timestamp': { type: 'date_nanos' },
              message: { type: 'text' },
              event: { properties: { kind: { type: 'keyword' }, sequence: { type: 'long' } } },
              labels: { type: 'flattened' },
            },
          },
        },
      },
    });
  });

  it('answers cluster health (GET / is absent in this distribution)', async () => {
    const { body } = await esRequest('GET', '/_cluster/health?wait_for_status=yellow&timeout=10s');
    expect(body.timed_out).toBe(false);
    expect(['green', 'yellow']).toContain(body.status);
    expect(body.number_of_nodes).toBe(1);
  });

  it('accepts a composable template with data_stream and a date_nanos @timestamp', async () => {
    const { body } = await esRequest('PUT', `/_index_template/${templateName}`, {
      body: {
        // Only this run's data stream: templates with overlapping patterns and equal priority are rejected,
        // and the node keeps templates of earlier runs until it is restarted.
        index_patterns: [dataStream],
        data_stream: {},
        priority: 500,
        composed_of: [`${templateName}-settings`, `${templateName}-mappings`],
      },
    });
    expect(body.acknowledged).toBe(true);
    const got = await esRequest('GET', `/_index_template/${templateName}`);
    expect(got.body.index_templates[0].index_template.data_stream).toBeDefined();
  });

  it('creates the data stream implicitly on the first bulk create', async () => {
    const items = await bulk(
      [
        { create: { _index: dataStream, _id: 'event-1' } },
        {
          '@timestamp': nanoTimestamp,
          message: 'first',
          event: { kind: 'alert', sequence: 1 },
          labels: { container: { id: 'abc' } },
        },
      ],
      true,
    );
    expect(items).toHaveLength(1);
    expect(items[0].status).toBe(201);
    expect(items[0]._index).toMatch(new RegExp(`^\\.ds-${dataStream.replaceAll('.', '\\.')}-`));

    const { body } = await esRequest('GET', `/_resolve/index/${encodeURIComponent(dataStream)}`);
    expect(body.data_streams).toHaveLength(1);
    expect(body.data_streams[0]).toMatchObject({ name: dataStream, timestamp_field: '@timestamp' });
    expect(body.indices).toHaveLength(0); // a plain index would mean our template did not match

    const mapping = await getMapping(dataStream);
    expect(mapping.properties['@timestamp'].type).toBe('date_nanos');
    expect(mapping.properties.labels.type).toBe('flattened');
  });

  it('answers 409 to a second create with the same _id', async () => {
    const items = await bulk([
      { create: { _index: dataStream, _id: 'event-1' } },
      { '@timestamp': nanoTimestamp, message: 'duplicate' },
    ]);
    expect(items[0].status).toBe(409);
    expect(items[0].error?.type).toBe('version_conflict_engine_exception');
    expect(await countDocs(dataStream)).toBe(1);
  });

  it('keeps the nanosecond @timestamp exactly', async () => {
    const sources = await searchAll<{ '@timestamp': string; message: string }>(dataStream);
    expect(sources).toEqual([expect.objectContaining({ '@timestamp': nanoTimestamp, message: 'first' })]);

    // Indexed (not only _source) with nanosecond resolution: an exact term query matches, 1 ns off does not.
    const exact = await esRequest('POST', `/${dataStream}/_count`, {
      body: { query: { term: { '@timestamp': nanoTimestamp } } },
    });
    expect(exact.body.count).toBe(1);
    const offByOne = await esRequest('POST', `/${dataStream}/_count`, {
      body: { query: { term: { '@timestamp': '2026-11-28T10:00:00.123456788Z' } } },
    });
    expect(offByOne.body.count).toBe(0);
    const fields = await esRequest('POST', `/${dataStream}/_search`, {
      body: { fields: [{ field: '@timestamp', format: 'strict_date_optional_time_nanos' }], _source: false },
    });
    expect(fields.body.hits.hits[0].fields['@timestamp']).toEqual([nanoTimestamp]);
  });
});
