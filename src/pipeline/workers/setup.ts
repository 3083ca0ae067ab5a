// What a worker thread needs to build the mappers of the run (`workers: N`): the settings the main
// thread built its own from (mapping tables, node, per exporter its filter/trim/redact and target),
// all plain data (structured-cloned into workerData). The worker builds them with the same code
// (../mappers.ts) and checks that its plan (route → mapping slot) is the main thread's.

import type { RunConfig } from '../../config/run-config.ts';
import type { NodeInfo } from '../../mapping/input.ts';
import type { ExportTarget } from '../../model/exporter.ts';
import { planRoutes, type PlanRoute, type RoutePlan } from '../ingest-routes.ts';
import { compileMappers, type MapperConfig, type MapperExporterConfig } from '../mappers.ts';

export interface WorkerSetup {
  config: MapperConfig;
  /** The node the main thread detected (the worker does not detect it again). */
  node: NodeInfo;
  /**
   * Per route (= exporters[i]): what its filter and mapper are built from, its exporter's target, and
   * whether its queue takes OTel records as LogRecord bytes (the worker then maps to them).
   */
  exporters: Array<{ entry: MapperExporterConfig; target: ExportTarget; mapsEncoded?: boolean }>;
  /** The main thread's plan: route → slot, and each slot's target and whether it maps to bytes. */
  slotOf: number[];
  slotTargets: ExportTarget[];
  slotEncoded?: boolean[];
}

export function workerSetupOf(config: RunConfig, node: NodeInfo, plan: RoutePlan<PlanRoute>): WorkerSetup {
  if (plan.routes.length !== config.exporters.length)
    throw new Error(`workers: ${plan.routes.length} routes for ${config.exporters.length} exporters`);
  return {
    config: { mapping: config.mapping, node: config.node },
    node,
    exporters: config.exporters.map((e, i) => ({
      entry: { filter: e.filter, trim: e.trim, drop_fields: e.drop_fields, redact: e.redact },
      target: plan.routes[i].exporter.target,
      mapsEncoded: plan.routes[i].mapsEncoded === true,
    })),
    slotOf: plan.slotOf,
    slotTargets: plan.slots.map((s) => s.target),
    slotEncoded: plan.slots.map((s) => s.encoded === true),
  };
}

/** The worker's plan, built from the setup; throws when it does not match the main thread's. */
export function planOfSetup(setup: WorkerSetup): RoutePlan<PlanRoute> {
  const mappers = compileMappers(setup.config, setup.node);
  const routes: PlanRoute[] = setup.exporters.map((x, i) => {
    const { accepts, mapper } = mappers.forExporter(x.entry, { target: x.target }, `exporters[${i}]`);
    return { exporter: { target: x.target }, accepts, mapper, mapsEncoded: x.mapsEncoded === true };
  });
  const plan = planRoutes(routes, mappers.mapper);
  const same =
    plan.slotOf.length === setup.slotOf.length &&
    plan.slotOf.every((k, i) => k === setup.slotOf[i]) &&
    plan.slots.length === setup.slotTargets.length &&
    plan.slots.every(
      (s, k) => s.target === setup.slotTargets[k] && (s.encoded === true) === (setup.slotEncoded?.[k] === true),
    );
  if (!same)
    throw new Error(
      `worker thread: its mappings (route → slot ${JSON.stringify(plan.slotOf)}) differ from the main thread's (${JSON.stringify(setup.slotOf)})`,
    );
  return plan;
}
