// Hand-built OtelRecords for exporter tests (the mapping engine is tested on its own).

import type { ExportItem } from '../../src/model/exporter.ts';
import type { Attributes, OtelRecord, OtelResource } from '../../src/model/records.ts';

/** One stable OtelResource per workload key, like the mapper keeps them. */
export function workloads(k: number, prefix = 'pod'): OtelResource[] {
  return Array.from({ length: k }, (_, i) => ({
    key: `node-1/${prefix}-${i}`,
    attributes: {
      'host.name': 'node-1',
      'k8s.namespace.name': 'prod',
      'k8s.pod.name': `${prefix}-${i}`,
      'container.id': `c0ffee${String(i).padStart(4, '0')}`,
    },
  }));
}

/** A Tracee-like timestamp with all nine ns digits significant and > 2^53. */
export const BASE_NS = 1_732_795_200_123_456_789n;

export function record(resource: OtelResource, i: number, extra: Partial<OtelRecord> = {}): OtelRecord {
  const attributes: Attributes = {
    'tracee.event.id': 700 + (i % 10),
    'process.pid': 1000 + i,
    'process.executable.name': 'bash',
    'file.path': `/etc/shadow-${i}`,
    'tracee.seq': i,
    'tracee.args.flags': ['O_RDONLY', 'O_CLOEXEC'],
    'tracee.args.nested': { a: 1, b: 'two', c: [true, false] },
    'tracee.big': '18446744073709551615',
    'tracee.ratio': 0.25,
  };
  return {
    resource,
    timeUnixNano: BASE_NS + BigInt(i),
    observedTimeUnixNano: BASE_NS + 1_000_000_007n + BigInt(i),
    severityNumber: 13,
    severityText: 'WARN',
    eventName: 'tracee.security_file_open',
    body: `open of /etc/shadow-${i}`,
    attributes,
    ...extra,
  };
}

export function items(records: OtelRecord[]): ExportItem<OtelRecord>[] {
  return records.map((r, i) => ({ record: r, origin: { source: 'test', line: i + 1 } }));
}

/** n records spread round-robin over the given workloads. */
export function batch(res: OtelResource[], n: number, start = 0): ExportItem<OtelRecord>[] {
  return items(Array.from({ length: n }, (_, i) => record(res[(start + i) % res.length], start + i)));
}
