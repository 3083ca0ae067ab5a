// The production templates checked against ECS 9.4.0 (ecs_flat.yml): every ECS field has exactly the ECS type,
// nothing outside ECS except under tracee.*; the index template's routing and priority.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildEcsComponentTemplate,
  buildTraceeComponentTemplate,
} from '../../../../src/exporters/elasticsearch/ecs-component.ts';
import { loadEcsFlat } from '../../../../src/exporters/elasticsearch/ecs-flat.ts';
import { mapperFields, templateFieldList } from '../../../../scripts/es-template-fields.ts';
import { buildEcsMappings, type EsProperty } from '../../../../src/exporters/elasticsearch/ecs-mappings.ts';
import { CORE_FALLBACK, usedTypes } from '../../../../src/exporters/elasticsearch/field-types.ts';
import { resolveElasticsearchOptions } from '../../../../src/exporters/elasticsearch/config.ts';
import { loadTemplateSet, readTemplateFile } from '../../../../src/exporters/elasticsearch/templates.ts';

const ecsFlat = loadEcsFlat();
const targets = resolveElasticsearchOptions({ endpoints: 'http://x:9200' }).targets;
const prod = loadTemplateSet(targets);
const comp = (name: string) =>
  prod.components.find((c) => c.name === name)!.body as {
    template: { mappings?: { properties: Record<string, EsProperty>; dynamic?: unknown }; settings?: unknown };
  };

/** Every mapped leaf as [flat name, property], descending into object properties (not multi-fields). */
function leaves(props: Record<string, EsProperty>, prefix = ''): Array<[string, EsProperty]> {
  const out: Array<[string, EsProperty]> = [];
  for (const [k, v] of Object.entries(props)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (v.properties && (v.type === undefined || v.type === 'object' || v.type === 'nested')) {
      if (v.type) out.push([name, v]);
      out.push(...leaves(v.properties, name));
    } else out.push([name, v]);
  }
  return out;
}

// The field list the brief asks the template to cover, until the mapping tables provide theirs.
const REQUIRED =
  `@timestamp message ecs.version event.kind event.category event.type event.action event.code event.id event.severity
event.risk_score event.risk_score_norm event.dataset event.module event.provider event.created event.outcome event.sequence
data_stream.type data_stream.dataset data_stream.namespace observer.type observer.vendor observer.product observer.version
observer.hostname host.name host.hostname host.id host.architecture host.os.type host.os.kernel agent.name agent.type agent.version
agent.id process.pid process.vpid process.entity_id process.name process.executable process.args process.args_count process.command_line
process.working_directory process.start process.exit_code process.env_vars process.thread.id process.thread.name
process.thread.capabilities.effective process.user.id process.real_user.id process.group.id process.parent.pid process.parent.vpid
process.parent.entity_id process.parent.executable process.parent.name process.parent.start user.id container.id container.name
container.image.name container.image.tag container.image.hash.all container.runtime orchestrator.type orchestrator.cluster.name
orchestrator.namespace orchestrator.resource.type orchestrator.resource.name orchestrator.resource.id orchestrator.resource.label
rule.id rule.uuid rule.name rule.description rule.category rule.version rule.ruleset rule.reference rule.author threat.framework
threat.tactic.id threat.tactic.name threat.tactic.reference threat.technique.id threat.technique.name threat.technique.reference
threat.technique.subtechnique.id threat.technique.subtechnique.name threat.technique.subtechnique.reference file.path file.name
file.directory file.inode file.mode file.device file.size file.uid file.gid file.target_path file.hash.sha256 file.extension source.ip
source.port source.address destination.ip destination.port destination.address client.ip client.port client.address server.ip
server.port server.address network.transport network.type network.protocol network.direction network.iana_number dns.question.name
dns.question.type dns.question.class dns.type dns.id dns.op_code dns.response_code dns.header_flags dns.answers dns.answers.name
dns.answers.type dns.answers.class dns.answers.ttl dns.answers.data dns.resolved_ip http.request.method http.response.status_code
http.request.body.bytes url.full url.path url.domain url.original user_agent.original related.ip related.hosts tags labels`.split(
    /\s+/,
  );

describe('tracee-ecs@mappings (ECS part)', () => {
  const m = comp('tracee-ecs@mappings').template.mappings!;
  const mapped = new Map(leaves(m.properties));

  it('is what scripts/generate-es-templates.ts generates (run it after changing the mapping tables or ecs-fields.yaml)', () => {
    const fields = templateFieldList();
    expect(readTemplateFile('tracee-ecs-mappings.json')).toEqual(
      JSON.parse(JSON.stringify(buildEcsComponentTemplate(fields, ecsFlat))),
    );
    expect(readTemplateFile('tracee-mappings.json')).toEqual(
      JSON.parse(JSON.stringify(buildTraceeComponentTemplate(fields, ecsFlat))),
    );
  });

  it('maps every field the mapping tables can write', () => {
    const all = new Map([...mapped, ...leaves(comp('tracee@mappings').template.mappings!.properties)]);
    expect(
      mapperFields()
        .map((f) => f.name)
        .filter((n) => !all.has(n)),
    ).toEqual([]);
  });

  it('the mapping tables declare the ECS type of every ECS field they write (@timestamp: date, made date_nanos by the index template)', () => {
    expect(
      mapperFields()
        .filter((f) => !f.name.startsWith('tracee.') && ecsFlat[f.name]?.type !== f.type)
        .map((f) => `${f.name}: ${f.type} vs ECS ${ecsFlat[f.name]?.type}`),
    ).toEqual([]);
  });

  it('covers the fields tracee-exporter emits', () => {
    expect(REQUIRED.filter((f) => !mapped.has(f))).toEqual([]);
  });

  it('gives every field exactly its ECS type, ignore_above, multi-fields and index options', () => {
    const wrong: string[] = [];
    for (const [name, p] of mapped) {
      const e = ecsFlat[name];
      if (!e) {
        wrong.push(`${name}: not an ECS field`);
        continue;
      }
      if ((p.type ?? 'object') !== e.type) wrong.push(`${name}: ${p.type} != ECS ${e.type}`);
      if (p.ignore_above !== e.ignore_above) wrong.push(`${name}: ignore_above ${p.ignore_above} != ${e.ignore_above}`);
      for (const mf of e.multi_fields ?? [])
        if (p.fields?.[mf.name]?.type !== mf.type)
          wrong.push(`${name}.${mf.name}: ${p.fields?.[mf.name]?.type} != ECS ${mf.type}`);
      if (e.index === false && p.index !== false) wrong.push(`${name}: should not be indexed`);
    }
    expect(wrong).toEqual([]);
  });

  it('has nothing outside ECS and no tracee.* (that is tracee@mappings)', () => {
    expect([...mapped.keys()].filter((n) => !ecsFlat[n])).toEqual([]);
  });

  it('uses the production ECS types (wildcard, match_only_text, constant_keyword)', () => {
    expect(mapped.get('process.command_line')?.type).toBe('wildcard');
    expect(mapped.get('message')?.type).toBe('match_only_text');
    expect(mapped.get('data_stream.dataset')?.type).toBe('constant_keyword');
    expect(mapped.get('process.name')?.fields).toEqual({ text: { type: 'match_only_text' } });
  });

  it('is not dynamic at the root; labels.* are keywords', () => {
    expect(m.dynamic).toBe(false);
    expect(m.properties.labels).toMatchObject({ type: 'object', dynamic: true });
    expect((m as { dynamic_templates?: unknown[] }).dynamic_templates).toContainEqual({
      labels: { path_match: 'labels.*', match_mapping_type: 'string', mapping: { type: 'keyword' } },
    });
  });
});

describe('buildEcsMappings', () => {
  it('takes the type from ECS and nests the path', () => {
    expect(buildEcsMappings([{ name: 'process.parent.pid' }], ecsFlat).properties).toEqual({
      process: { properties: { parent: { properties: { pid: { type: 'long' } } } } },
    });
  });
  it('accepts tracee.* with an explicit type only', () => {
    expect(
      buildEcsMappings([{ name: 'tracee.args', type: 'flattened' }], ecsFlat).properties.tracee.properties,
    ).toEqual({ args: { type: 'flattened' } });
    expect(() => buildEcsMappings([{ name: 'tracee.args' }], ecsFlat)).toThrow(/explicit type/);
  });
  it('refuses names outside ECS and types that differ from ECS', () => {
    expect(() => buildEcsMappings([{ name: 'kubernetes.pod.name' }], ecsFlat)).toThrow(/not an ECS 9.4.0 field/);
    expect(() => buildEcsMappings([{ name: 'process.pid', type: 'keyword' }], ecsFlat)).toThrow(
      /differs from ECS type long/,
    );
  });
  it('object arrays get their sub-fields (dns.answers)', () => {
    const p = buildEcsMappings(
      [{ name: 'dns.answers' }, { name: 'dns.answers.ttl' }, { name: 'dns.answers.data' }],
      ecsFlat,
    ).properties;
    expect(p.dns.properties!.answers).toEqual({
      type: 'object',
      properties: { data: { type: 'keyword', ignore_above: 1024 }, ttl: { type: 'long' } },
    });
  });
});

describe('tracee@mappings', () => {
  const m = comp('tracee@mappings').template.mappings!;
  it('maps only the tracee namespace, dynamic:false below it', () => {
    expect(Object.keys(m.properties)).toEqual(['tracee']);
    expect(m.properties.tracee.dynamic).toBe(false);
  });
  it('free-form event data is flattened, keywords are bounded', () => {
    const t = m.properties.tracee.properties!;
    expect(t.data).toEqual({ type: 'flattened', ignore_above: 4096 });
    expect(t.detected_from.type).toBe('flattened');
    expect(t.syscall).toEqual({ type: 'keyword', ignore_above: 1024 });
  });
  it('has the types the mapping tables declare for tracee.*', () => {
    const got = new Map(leaves(m.properties));
    expect(
      mapperFields()
        .filter((f) => f.name.startsWith('tracee.') && got.get(f.name)?.type !== f.type)
        .map((f) => f.name),
    ).toEqual([]);
  });
  it('uses only core field types', () => {
    expect([...usedTypes(m.properties)].filter((t) => CORE_FALLBACK[t])).toEqual([]);
  });
});

describe('logs-tracee index template', () => {
  const it_ = prod.indexTemplate.body as Record<string, any>;
  it('routes logs-tracee.*-* to data streams above the built-in logs template', () => {
    expect(prod.indexTemplate.name).toBe('logs-tracee');
    expect(it_.index_patterns).toEqual(['logs-tracee.*-*']);
    expect(it_.data_stream).toEqual({});
    expect(it_.priority).toBeGreaterThan(200);
  });
  it('keeps nanoseconds: @timestamp is date_nanos', () => {
    expect(it_.template.mappings.properties['@timestamp']).toEqual({ type: 'date_nanos' });
  });
  it('is composed of our component templates, with an optional tracee@custom hook', () => {
    expect(it_.composed_of).toEqual(['tracee-ecs@mappings', 'tracee@mappings', 'tracee@settings', 'tracee@custom']);
    expect(it_.ignore_missing_component_templates).toEqual(['tracee@custom']);
    for (const name of it_.composed_of.slice(0, 3)) expect(prod.components.map((c) => c.name)).toContain(name);
  });
  it('widens its patterns to datasets outside tracee.*', () => {
    const t = resolveElasticsearchOptions({
      endpoints: 'http://x:9200',
      dataStream: { eventsDataset: 'sec.runtime' },
    }).targets;
    expect((loadTemplateSet(t).indexTemplate.body as { index_patterns: string[] }).index_patterns).toEqual([
      'logs-tracee.*-*',
      'logs-sec.runtime-*',
    ]);
  });
  it('the template files are valid JSON data files', () => {
    for (const f of [
      'tracee-ecs-mappings.json',
      'tracee-mappings.json',
      'tracee-settings.json',
      'logs-tracee-index-template.json',
    ]) {
      expect(() =>
        JSON.parse(
          readFileSync(new URL(`../../../../src/exporters/elasticsearch/templates/${f}`, import.meta.url), 'utf8'),
        ),
      ).not.toThrow();
    }
  });
});

describe('core-type fallback', () => {
  const core = loadTemplateSet(targets, new Set(Object.keys(CORE_FALLBACK)));
  const props = (core.components[0].body as { template: { mappings: { properties: Record<string, EsProperty> } } })
    .template.mappings.properties;
  it('leaves no x-pack type', () => {
    expect([...usedTypes(props)].filter((t) => CORE_FALLBACK[t])).toEqual([]);
  });
  it('wildcard → keyword (long values still indexed), match_only_text → text, constant_keyword → keyword', () => {
    const m = new Map(leaves(props));
    expect(m.get('process.command_line')).toEqual({
      type: 'keyword',
      ignore_above: 8191,
      fields: { text: { type: 'text', norms: false } },
    });
    expect(m.get('message')).toEqual({ type: 'text', norms: false });
    expect(m.get('data_stream.type')).toEqual({ type: 'keyword' });
  });
});
