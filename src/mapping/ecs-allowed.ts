// ECS lists the values some fields may take (event.kind, event.category, event.type, event.outcome)
// and which event.type values each event.category expects. Tables are checked against both when
// they are compiled, so a typo or a pairing Kibana's categorization rejects fails at start-up with
// the table's name, not in a dashboard that stays empty.

import { MappingTableError } from './load.ts';
import type { MappingTables } from './table-types.ts';

type EcsRefs = MappingTables['ecsTypes'];

/** The value(s) of a constant row for `field` must be among ECS's allowed values, when it lists them. */
export function checkAllowedValue(refs: EcsRefs, field: string, value: unknown, where: string): void {
  const allowed = refs[field]?.allowed;
  if (allowed === undefined) return;
  for (const v of Array.isArray(value) ? value : [value]) {
    if (!allowed.includes(v as string))
      throw new MappingTableError(
        where,
        `${field} ${JSON.stringify(v)} is not an ECS 9.4.0 value (allowed: ${allowed.join(', ')})`,
      );
  }
}

/**
 * An event group's event.category / event.type: allowed values, and each type expected by at
 * least one of the categories (the rule of Kibana's ECS categorization check).
 */
export function checkEventClass(
  refs: EcsRefs,
  category: readonly string[] | undefined,
  type: readonly string[] | undefined,
  where: string,
): void {
  if (category !== undefined) checkAllowedValue(refs, 'event.category', category, where);
  if (type !== undefined) checkAllowedValue(refs, 'event.type', type, where);
  if (category === undefined || type === undefined) return;
  const expected = refs['event.category']?.expected_types ?? {};
  for (const t of type) {
    if (!category.some((c) => expected[c]?.includes(t))) {
      const options = category.map((c) => `${c}: ${(expected[c] ?? []).join(', ')}`).join('; ');
      throw new MappingTableError(
        where,
        `event.type "${t}" is not expected for event.category ${category.join(', ')} in ECS 9.4.0 (expected types: ${options})`,
      );
    }
  }
}
