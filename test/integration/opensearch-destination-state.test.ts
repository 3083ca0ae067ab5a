// Issue 14's rebuilt cluster for OpenSearch (the scenario shared with Elasticsearch, test/helpers/bulk-destination.ts):
// a PRIVATE node on :9212 (scripts/services/opensearch.sh with OS_HTTP_PORT and its own run dir; the shared
// node is never touched) is stopped mid-run and started again EMPTY. OpenSearch answers differently from
// Elasticsearch: it has no require_data_stream, so the first items retried into the empty node are stored
// (201) in a PLAIN index it auto-creates under the data stream's name. The exporter sees it in `_index`,
// reinstalls its templates once, removes that plain index and sends the items again into the data stream.

import { expect } from 'vitest';
import { describeRebuiltCluster, httpJson } from '../helpers/bulk-destination.ts';
import { openSearchTarget } from '../helpers/bulk-targets.ts';

describeRebuiltCluster(openSearchTarget, 9212, async (logs, base, ds) => {
  expect(
    logs.some((l) => /the server auto-created a plain index \[logs-tracee\.events-[a-z0-9_]+\] \((201|409)\)/.test(l)),
  ).toBe(true);
  expect(
    logs.some((l) =>
      l.includes(`x: removed the plain index ${ds} that OpenSearch created while the data stream was missing`),
    ),
  ).toBe(true);
  // nothing left outside the data stream's backing indexes
  const idx = await httpJson(base, 'GET', `/_cat/indices/${ds}*?format=json&expand_wildcards=all`, undefined, [404]);
  expect((idx.body as Array<{ index: string }>).map((i) => i.index).every((n) => n.startsWith(`.ds-${ds}-`))).toBe(
    true,
  );
});
