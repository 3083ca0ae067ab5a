// Installs or checks the template set on start(). Installing tries the production templates first; when the
// cluster has no handler for an x-pack field type (wildcard, match_only_text, constant_keyword…, e.g. the
// integ-test distribution), that type falls back to its core type, and ONE log line says what was downgraded.

import type { DataStreamTargets } from './data-stream.ts';
import { bodyReason } from './classify.ts';
import { CORE_FALLBACK, missingTypeIn } from './field-types.ts';
import type { Logger } from './logger.ts';
import type { EsAnswer } from './requester.ts';
import { templateDiff } from './template-diff.ts';
import { loadTemplateSet, type NamedTemplate, type TemplateSet } from './templates.ts';

/** A server dialect's changes to the template set (OpenSearch: see src/exporters/opensearch/templates.ts). */
export type TemplateAdapt = (set: TemplateSet) => TemplateSet;
const asIs: TemplateAdapt = (s) => s;

export type TemplateKind = 'component' | 'index';

export interface TemplateIo {
  put(kind: TemplateKind, name: string, body: Record<string, unknown>): Promise<EsAnswer>;
  get(kind: TemplateKind, name: string): Promise<EsAnswer>;
}

export class TemplateError extends Error {
  readonly code = 'ES_TEMPLATE';
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.name = 'TemplateError';
    this.retryable = retryable;
  }
}

const ok = (a: EsAnswer) => a.status >= 200 && a.status < 300;
const retryableStatus = (s: number) => s === 429 || s >= 500;

export interface InstallResult {
  downgraded: string[];
}

export async function installTemplates(
  io: TemplateIo,
  targets: DataStreamTargets,
  logger: Logger,
  adapt: TemplateAdapt = asIs,
  product = 'Elasticsearch',
): Promise<InstallResult> {
  const downgrade = new Set<string>();
  let set = adapt(loadTemplateSet(targets));
  const maxAttempts = Object.keys(CORE_FALLBACK).length + 1;
  const put = async (kind: TemplateKind, pick: (s: typeof set) => NamedTemplate) => {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const t = pick(set);
      const a = await io.put(kind, t.name, t.body);
      if (ok(a)) return;
      const reason = bodyReason(a.body);
      const missing = missingTypeIn(reason);
      if (a.status === 400 && missing && CORE_FALLBACK[missing] && !downgrade.has(missing)) {
        downgrade.add(missing);
        set = adapt(loadTemplateSet(targets, downgrade));
        continue;
      }
      const hint =
        a.status === 403
          ? ' (installing templates needs the manage_index_templates cluster privilege; or install them once with a privileged user and run with templates: check or skip)'
          : '';
      throw new TemplateError(
        `cannot install ${kind} template ${t.name}: HTTP ${a.status}: ${reason}${hint}`,
        retryableStatus(a.status),
      );
    }
    throw new TemplateError(`cannot install templates: too many field-type fallbacks`, false);
  };
  for (let i = 0; i < set.components.length; i++) await put('component', (s) => s.components[i]);
  await put('index', (s) => s.indexTemplate);
  const downgraded = [...downgrade].sort();
  if (downgraded.length) {
    logger.warn(
      `this ${product} has no ${downgraded.join(', ')} field type(s); installed the templates with core-type fallbacks ` +
        `(${downgraded.map((t) => `${t}→${CORE_FALLBACK[t]}`).join(', ')}). Use a full ${product} distribution for the production mappings.`,
    );
  }
  return { downgraded };
}

function extract(kind: TemplateKind, body: unknown): unknown {
  const b = body as Record<string, Array<Record<string, unknown>>>;
  return kind === 'component'
    ? b?.component_templates?.[0]?.component_template
    : b?.index_templates?.[0]?.index_template;
}

/** Differences between the cluster's templates and ours (production or core-fallback variant); [] = in sync. */
export async function checkTemplates(
  io: TemplateIo,
  targets: DataStreamTargets,
  adapt: TemplateAdapt = asIs,
): Promise<string[]> {
  const prod = adapt(loadTemplateSet(targets));
  const core = adapt(loadTemplateSet(targets, new Set(Object.keys(CORE_FALLBACK))));
  const pairs: Array<[TemplateKind, NamedTemplate, NamedTemplate]> = [
    ...prod.components.map((c, i): [TemplateKind, NamedTemplate, NamedTemplate] => [
      'component',
      c,
      core.components[i],
    ]),
    ['index', prod.indexTemplate, core.indexTemplate],
  ];
  const diffs: string[] = [];
  for (const [kind, p, c] of pairs) {
    const a = await io.get(kind, p.name);
    if (a.status === 404) {
      diffs.push(`${kind} template ${p.name}: missing`);
      continue;
    }
    if (!ok(a))
      throw new TemplateError(
        `cannot read ${kind} template ${p.name}: HTTP ${a.status}: ${bodyReason(a.body)}`,
        retryableStatus(a.status),
      );
    const actual = extract(kind, a.body);
    const d1 = templateDiff(p.body, actual);
    if (d1.length === 0) continue;
    const d2 = templateDiff(c.body, actual);
    if (d2.length === 0) continue;
    diffs.push(...(d1.length <= d2.length ? d1 : d2).map((d) => `${kind} template ${p.name}: ${d}`));
  }
  return diffs;
}
