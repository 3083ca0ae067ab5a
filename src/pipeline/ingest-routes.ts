// Which routes an event goes to, and its mapping: one per distinct (mapper, target) among the routes
// (routes with the same trimming share it), built once per event whichever routes want it.

import type { Mapper } from '../mapping/compile.ts';
import { mapTo } from '../mapping/map-to.ts';
import type { Exporter } from '../model/exporter.ts';
import type { EcsRecord, OtelRecord, TraceeRecord } from '../model/records.ts';
import type { TraceeEvent } from '../model/event.ts';
import type { IngestRoute } from './ingest.ts';
import { queueAlloc } from './encoded-otel.ts';

/** What planning and mapping read of a route (a worker thread plans with these alone: src/pipeline/workers/setup.ts). */
export interface PlanRoute {
  exporter: Pick<Exporter, 'target'>;
  accepts?: IngestRoute['accepts'];
  mapper?: Mapper;
  mapsEncoded?: boolean;
}

export interface RoutePlan<R extends PlanRoute = IngestRoute> {
  routes: R[];
  /** The distinct mappings. */
  /** `encoded`: every route of the slot queues OTel records as LogRecord bytes (encoded-otel.ts): mapped to them directly. */
  slots: Array<{ mapper: Mapper; target: Exporter['target']; encoded?: boolean }>;
  /** Route index → its slot. */
  slotOf: number[];
  /** Some route has a filter. */
  filtering: boolean;
  everyRoute: number[];
}

/** The routes wanted by an event (indexes); `excluded`: those whose filter left it out (undefined: no filters). */
export interface Selection {
  to: number[];
  excluded: number[] | undefined;
}

export function planRoutes<R extends PlanRoute>(routes: R[], shared: Mapper): RoutePlan<R> {
  const slots: RoutePlan<R>['slots'] = [];
  const slotOf = routes.map((r) => {
    const m = r.mapper ?? shared;
    let k = slots.findIndex((s) => s.mapper === m && s.target === r.exporter.target);
    if (k < 0) k = slots.push({ mapper: m, target: r.exporter.target }) - 1;
    return k;
  });
  for (const [k, s] of slots.entries())
    s.encoded =
      s.target === 'otel' &&
      s.mapper.toOtelEncoded !== undefined &&
      routes.every((r, i) => slotOf[i] !== k || r.mapsEncoded === true);
  return {
    routes,
    slots,
    slotOf,
    filtering: routes.some((r) => r.accepts !== undefined),
    everyRoute: routes.map((_r, i) => i),
  };
}

export function selectRoutes(plan: RoutePlan<PlanRoute>, event: TraceeEvent): Selection {
  if (!plan.filtering) return { to: plan.everyRoute, excluded: undefined };
  const to: number[] = [];
  const excluded: number[] = [];
  for (let i = 0; i < plan.routes.length; i++) {
    const a = plan.routes[i].accepts;
    (a === undefined || a(event) ? to : excluded).push(i);
  }
  return { to, excluded };
}

/** The event mapped once per slot the routes `to` use (indexed by slot). Throws what the mapping throws. */
export function mapForRoutes(
  plan: RoutePlan<PlanRoute>,
  event: TraceeEvent,
  to: number[],
): Array<EcsRecord | OtelRecord | TraceeRecord | undefined> {
  const mapped: Array<EcsRecord | OtelRecord | TraceeRecord | undefined> = new Array(plan.slots.length);
  for (let j = 0; j < to.length; j++) {
    const k = plan.slotOf[to[j]];
    if (mapped[k] !== undefined) continue;
    const s = plan.slots[k];
    // ECS: the JSON text is built once; .doc parses it on demand
    mapped[k] = s.encoded === true ? s.mapper.toOtelEncoded!(event, queueAlloc) : mapTo(s.mapper, s.target, event);
  }
  return mapped;
}
