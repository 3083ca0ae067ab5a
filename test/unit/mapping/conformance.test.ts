// Conformance to the pinned references: every ECS field the mapper emits exists in ECS 9.4.0 with a
// compatible type (or is under tracee.*), and every OTel attribute is in the semconv 1.44.0
// registry (or under tracee.*), checked on the output for every real sample event.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../../src/normalize/decode.ts';
import { outputs, buildOtelTypes } from '../../../scripts/gen-reference-types.ts';
import { ROOT, sharedSamples, structuredSamples, testMapper } from '../../helpers/samples.ts';

const ecsRef = JSON.parse(fs.readFileSync(path.join(ROOT, 'mappings/reference/ecs-9.4.0-types.json'), 'utf8'))
  .fields as Record<
  string,
  { type: string; array?: boolean; allowed?: string[]; expected_types?: Record<string, string[]> }
>;
const tsv = buildOtelTypes();
const supplement = JSON.parse(fs.readFileSync(path.join(ROOT, 'mappings/reference/semconv-supplement.json'), 'utf8'))
  .fields as Record<string, { type: string }>;

const TEXT = new Set(['keyword', 'wildcard', 'constant_keyword', 'match_only_text', 'text', 'ip', 'version']);
const INT = new Set(['long', 'integer', 'short', 'byte', 'unsigned_long']);
const OBJ = new Set(['object', 'nested', 'flattened']);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function scalarFits(type: string, v: unknown): boolean {
  if (TEXT.has(type)) return typeof v === 'string';
  if (INT.has(type))
    return (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v));
  if (type === 'float' || type === 'double' || type === 'scaled_float') return typeof v === 'number';
  if (type === 'boolean') return typeof v === 'boolean';
  if (type === 'date' || type === 'date_nanos') return typeof v === 'string' && RFC3339.test(v);
  return false;
}

/** event.type values no event.category of the document expects (Kibana's categorization rule). */
function unexpectedTypes(doc: Record<string, unknown>): string[] {
  const e = doc.event as { category?: string[]; type?: string[] } | undefined;
  const expected = ecsRef['event.category'].expected_types!;
  return (e?.type ?? [])
    .filter((t) => !(e?.category ?? []).some((c) => expected[c]?.includes(t)))
    .map((t) => `event.type: ${t} is expected for none of ${e?.category?.join(', ')}`);
}

/** Problems in one ECS document; empty when it conforms. */
function ecsProblems(doc: unknown, prefix = '', out: string[] = []): string[] {
  if (prefix === '') out.push(...unexpectedTypes(doc as Record<string, unknown>));
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (name === 'tracee') continue; // checked against the template declarations below
    const ref = ecsRef[name];
    if (ref === undefined) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        ecsProblems(v, name, out);
        continue;
      }
      out.push(`${name}: not an ECS 9.4.0 field`);
      continue;
    }
    if (OBJ.has(ref.type)) continue;
    for (const x of Array.isArray(v) ? v : [v])
      if (ref.allowed !== undefined && !ref.allowed.includes(x as string))
        out.push(`${name}: ${JSON.stringify(x)} is not an allowed value`);
    if (Array.isArray(v)) {
      if (!ref.array) out.push(`${name}: array, but ECS does not normalize it to an array`);
      for (const x of v)
        if (!scalarFits(ref.type, x)) out.push(`${name}: element ${JSON.stringify(x)} does not fit ${ref.type}`);
    } else if (!scalarFits(ref.type, v)) {
      out.push(`${name}: ${JSON.stringify(v)} does not fit ${ref.type}`);
    } else if (ref.array) {
      out.push(`${name}: ECS normalizes it to an array, got a scalar`);
    }
  }
  return out;
}

function otelTypeOf(name: string): { type: string } | undefined {
  if (tsv[name] && !tsv[name].deprecated) return tsv[name];
  if (supplement[name]) return supplement[name];
  const dot = name.lastIndexOf('.');
  const template = dot > 0 ? tsv[name.slice(0, dot)] : undefined;
  return template?.type.startsWith('template[') ? { type: template.type.slice(9, -1) } : undefined;
}

function otelProblems(attrs: Record<string, unknown>, where: string): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('tracee.')) continue;
    const ref = otelTypeOf(k);
    if (ref === undefined) {
      out.push(`${where} ${k}: not a semconv 1.44.0 attribute`);
      continue;
    }
    const t = ref.type;
    const ok =
      t === 'string'
        ? typeof v === 'string'
        : t === 'int'
          ? typeof v === 'number' && Number.isInteger(v)
          : t === 'boolean'
            ? typeof v === 'boolean'
            : t === 'string[]'
              ? Array.isArray(v) && v.every((x) => typeof x === 'string')
              : t.startsWith('enum:')
                ? t
                    .slice(5)
                    .split('|')
                    .includes(v as string)
                : false;
    if (!ok) out.push(`${where} ${k}: ${JSON.stringify(v)} does not fit ${t}`);
  }
  return out;
}

describe('conformance with ECS 9.4.0 and semconv 1.44.0', () => {
  const mapper = testMapper();
  const declared = new Map(mapper.ecsFields().map((f) => [f.name, f]));

  it('mappings/reference is what scripts/gen-reference-types.ts derives from reference/', () => {
    for (const [rel, make] of Object.entries(outputs))
      expect(fs.readFileSync(path.join(ROOT, rel), 'utf8') === make(), `${rel} is stale`).toBe(true);
  });

  it('the semconv supplement only fills registries missing from the semconv TSV', () => {
    for (const name of Object.keys(supplement)) expect(tsv[name], name).toBeUndefined();
  });

  it('every field the tables can write is in ECS 9.4.0 with its ECS type, or a typed tracee.* field', () => {
    for (const f of declared.values()) {
      if (f.name.startsWith('tracee.'))
        expect([
          'keyword',
          'long',
          'boolean',
          'flattened',
          'double',
          'date',
          'date_nanos',
          'ip',
          'object',
          'text',
        ]).toContain(f.type);
      else expect(ecsRef[f.name]?.type, f.name).toBe(f.type);
    }
  });

  it('every attribute the tables can write is in semconv 1.44.0 or under tracee.*', () => {
    const { record, resource } = mapper.otelAttributes();
    for (const a of [...record, ...resource])
      if (!a.startsWith('tracee.')) expect(otelTypeOf(a) ?? otelTypeOf(`${a}.x`), a).toBeDefined();
  });

  for (const s of [...sharedSamples(Infinity), ...structuredSamples()]) {
    it(`${s.rel}: ECS documents and OTel records conform`, () => {
      const problems: string[] = [];
      for (const r of s.records) {
        const res = decodeText(r);
        if (!res.ok) throw new Error(res.reason);
        const doc = mapper.toEcs(res.event).doc;
        problems.push(...ecsProblems(doc));
        const tracee = doc.tracee as Record<string, unknown> | undefined;
        const walk = (o: Record<string, unknown>, p: string) => {
          for (const [k, v] of Object.entries(o)) {
            const n = `${p}.${k}`;
            if (declared.has(n)) continue;
            if (v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, n);
            else problems.push(`${n}: tracee.* field not declared in the tables`);
          }
        };
        if (tracee) walk(tracee, 'tracee');
        const rec = mapper.toOtel(res.event);
        problems.push(...otelProblems(rec.attributes, 'record'), ...otelProblems(rec.resource.attributes, 'resource'));
        expect(rec.severityNumber).toBeGreaterThanOrEqual(1);
        expect(rec.severityNumber).toBeLessThanOrEqual(24);
      }
      expect(problems).toEqual([]);
    });
  }
});
