// The OpenSearch exporter against the REAL OpenSearch node (scripts/services/opensearch.sh, the integ-test zip):
// the scenarios shared with Elasticsearch (test/helpers/bulk-destination.ts: data streams, ECS types,
// nanosecond @timestamp, `_id` dedupe, a refused document, templates: check, an outage through a FAKE proxy),
// plus what is OpenSearch's own: the templates adapted (flat_object, no tracee@custom hook). The node rebuilt
// empty mid-run: opensearch-destination-state.test.ts.
// Fails (never skips) when the node is not running.

import { describe, expect, it } from 'vitest';
import { describeExporterScenarios, describeOutage, mappedType, mapping } from '../helpers/bulk-destination.ts';
import { openSearchTarget } from '../helpers/bulk-targets.ts';
import { osRequest, osUrl } from '../helpers/opensearch.ts';

const f = describeExporterScenarios(openSearchTarget, 'osexp');

describe('OpenSearch exporter → real OpenSearch: what is its own', () => {
  it('is an OpenSearch node', async () => {
    expect((await osRequest('GET', '/')).body.version.distribution).toBe('opensearch');
  });

  it('installs the templates adapted to OpenSearch (flat_object, no tracee@custom hook), no type downgraded', async () => {
    const { body } = await osRequest('GET', '/_index_template/logs-tracee');
    const t = body.index_templates[0].index_template;
    expect(t.index_patterns).toEqual(['logs-tracee.*-*']);
    expect(t.data_stream).toBeDefined();
    expect(t.composed_of).toEqual(['tracee-ecs@mappings', 'tracee@mappings', 'tracee@settings']);
    for (const c of ['tracee-ecs@mappings', 'tracee@mappings', 'tracee@settings']) {
      expect((await osRequest('GET', `/_component_template/${encodeURIComponent(c)}`)).status).toBe(200);
    }
    expect(f.ex().downgradedTypes).toEqual([]);
  });

  it('maps tracee.data as flat_object', async () => {
    expect(mappedType(await mapping(osUrl(), f.eventsStream), 'tracee.data')).toBe('flat_object');
  });
});

describeOutage(openSearchTarget, 'osout');
