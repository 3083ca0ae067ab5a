// One event → the record an exporter's target wants (ECS JSON, OTel log record, or the Tracee event).

import type { TraceeEvent } from '../model/event.ts';
import type { ExportTarget } from '../model/exporter.ts';
import type { EcsRecord, OtelRecord, TraceeRecord } from '../model/records.ts';
import type { Mapper } from './compile.ts';

export function mapTo(mapper: Mapper, target: ExportTarget, ev: TraceeEvent): EcsRecord | OtelRecord | TraceeRecord {
  // ECS: the JSON text is built once; .doc parses it on demand
  return target === 'ecs' ? mapper.toEcsJson(ev) : target === 'otel' ? mapper.toOtel(ev) : mapper.toTracee(ev);
}
