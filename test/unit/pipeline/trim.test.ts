// Field trimming per exporter: the named groups of mappings/trim.yaml and drop_fields, compiled
// into per-exporter mappers (ECS and OTel sides), and in a pipeline run next to an untrimmed exporter.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../../src/config/run-config.ts';
import type { Delivery, DeliveryItem } from '../../../src/delivery/index.ts';
import type { Mapper } from '../../../src/mapping/compile.ts';
import { loadTrimGroups, trimDrops, trimKey, type TrimRequest } from '../../../src/mapping/trim.ts';
import type { TraceeEvent } from '../../../src/model/event.ts';
import type { Exporter } from '../../../src/model/exporter.ts';
import { decodeText } from '../../../src/normalize/decode.ts';
import { createIngest, type IngestRoute } from '../../../src/pipeline/ingest.ts';
import { createPipeline } from '../../../src/pipeline/pipeline.ts';
import { ROOT, SHARED_FIXTURES, testMapper } from '../../helpers/samples.ts';

const base = testMapper();
const groups = loadTrimGroups();
const trimmed = (req: TrimRequest) => testMapper([{ drop: trimDrops(req, groups, base, 'exporters[0]') }]);
const sample = (rel: string): TraceeEvent => {
  const d = decodeText(fs.readFileSync(path.join(SHARED_FIXTURES, rel), 'utf8'));
  if (!d.ok) throw new Error(d.reason);
  return d.event;
};
const EXEC_ENV = sample('legacy/v0.8-v0.12/execve-exec-env.json');
const FILELESS = sample('legacy/v0.8-v0.12/signature-fileless_execution-k8s.json');
const ecsDoc = (m: Mapper, ev: TraceeEvent) => JSON.parse(m.toEcsJson(ev).json) as Record<string, any>;
const without = (doc: Record<string, any>, dotted: string[]) => {
  const copy = structuredClone(doc);
  for (const f of dotted) {
    const segs = f.split('.');
    let o = copy;
    for (const s of segs.slice(0, -1)) o = o?.[s];
    if (o) delete o[segs.at(-1)!];
  }
  return copy;
};

describe('mappings/trim.yaml', () => {
  it('every group drops only fields the mapping writes, on the ECS or OTel side', () => {
    const ecs = new Set(base.ecsFields().map((f) => f.name));
    const otel = base.otelAttributes();
    expect(Object.keys(groups)).toEqual(
      expect.arrayContaining(['tracee_data', 'stack', 'environment', 'args', 'detected_from']),
    );
    for (const [name, g] of Object.entries(groups)) {
      expect(g.description, name).not.toBe('');
      for (const d of g.drop) {
        const known =
          (d.ecs !== undefined && ecs.has(d.ecs)) ||
          (d.otel !== undefined && otel.record.includes(d.otel)) ||
          (d.resource !== undefined && otel.resource.includes(d.resource));
        expect(known, `${name}: ${JSON.stringify(d)}`).toBe(true);
      }
    }
  });
});

describe('trimmed mappers', () => {
  it('tracee_data: no tracee.data in the ECS document (JSON writer and object path) nor in the OTel attributes; everything else unchanged', () => {
    const m = trimmed({ trim: ['tracee_data'], target: 'ecs' });
    for (const ev of [EXEC_ENV, FILELESS]) {
      const full = ecsDoc(base, ev);
      expect(full.tracee.data).toBeDefined();
      const small = ecsDoc(m, ev);
      expect(small.tracee.data).toBeUndefined();
      expect(m.toEcs(ev).doc).toEqual(small);
      expect(small).toEqual(without(full, ['tracee.data']));
      const otelFull = base.toOtel(ev).attributes;
      const otelSmall = m.toOtel(ev).attributes;
      expect(otelFull['tracee.data']).toBeDefined();
      expect(otelSmall['tracee.data']).toBeUndefined();
      const { 'tracee.data': _gone, ...rest } = otelFull;
      expect(otelSmall).toEqual(rest);
    }
  });

  it('drop_fields of a field a collect row reads (related.user reads user.id): the mapper still compiles, the pivot follows', () => {
    const m = trimmed({ drop_fields: ['user.id', 'process.real_user.id'], target: 'ecs' });
    const full = ecsDoc(base, EXEC_ENV);
    expect(full.related.user).toEqual([full.user.id]);
    const small = ecsDoc(m, EXEC_ENV);
    expect(small.user).toBeUndefined();
    expect(small.related?.user).toBeUndefined();
  });

  it('enrichment: the derived fields are gone, the fields they come from stay', () => {
    const dnsEvent = sample('legacy/v0.18-v0.24/net_packet_dns-response.json');
    const full = ecsDoc(base, dnsEvent);
    expect(full.related.ip.length).toBeGreaterThan(0);
    expect(full.network.community_id).toMatch(/^1:/);
    expect(full.dns.question.registered_domain).toBe('uol.com.br');
    const small = ecsDoc(trimmed({ trim: ['enrichment'], target: 'ecs' }), dnsEvent);
    expect(small).toEqual(
      without(full, [
        'related',
        'network.community_id',
        'dns.question.registered_domain',
        'dns.question.top_level_domain',
        'dns.question.subdomain',
      ]),
    );
  });

  it('args and environment: argv and env gone from ECS and OTel, the argument count stays', () => {
    const m = trimmed({ trim: ['args', 'environment'], target: 'ecs' });
    const full = ecsDoc(base, EXEC_ENV);
    expect(full.process.env_vars.length).toBeGreaterThan(0);
    expect(full.process.args).toEqual(['ls']);
    const small = ecsDoc(m, EXEC_ENV);
    expect(small).toEqual(without(full, ['process.args', 'process.command_line', 'process.env_vars']));
    expect(small.process.args_count).toBe(1);
    const attrs = m.toOtel(EXEC_ENV).attributes;
    expect(base.toOtel(EXEC_ENV).attributes['process.command_args']).toEqual(['ls']);
    expect(attrs['process.command_args']).toBeUndefined();
    expect(attrs['process.command_line']).toBeUndefined();
    expect(attrs['process.args_count']).toBe(1);
  });

  it('stack: the user stack addresses go', () => {
    const ev: TraceeEvent = structuredClone(EXEC_ENV);
    ev.workload.process!.thread!.user_stack_trace = { addresses: [{ address: 140737488346112 }, { address: 4198400 }] };
    // (the OTel side writes no stack today: a keyword-typed tracee.* attribute takes no list)
    expect(ecsDoc(base, ev).tracee.stack_addresses).toBeDefined();
    const m = trimmed({ trim: ['stack'], target: 'ecs' });
    expect(ecsDoc(m, ev)).toEqual(without(ecsDoc(base, ev), ['tracee.stack_addresses']));
  });

  it('drop_fields: ECS field names for ecs exporters, OTel attribute names (record or resource) for otel exporters', () => {
    const ecs = trimmed({ drop_fields: ['process.executable', 'host.os.kernel'], target: 'ecs' });
    const full = ecsDoc(base, EXEC_ENV);
    expect(full.process.executable).toBeDefined();
    expect(full.host.os.kernel).toBeDefined();
    expect(ecsDoc(ecs, EXEC_ENV)).toEqual(without(full, ['process.executable', 'host.os.kernel']));
    const otel = trimmed({ drop_fields: ['thread.name', 'host.arch'], target: 'otel' });
    const rec = otel.toOtel(EXEC_ENV);
    expect(base.toOtel(EXEC_ENV).attributes['thread.name']).toBe('bash');
    expect(rec.attributes['thread.name']).toBeUndefined();
    expect(base.toOtel(EXEC_ENV).resource.attributes['host.arch']).toBe('amd64');
    expect(rec.resource.attributes['host.arch']).toBeUndefined();
  });

  it('unknown groups and fields the mapping never writes are errors naming the exporter', () => {
    expect(() => trimDrops({ trim: ['stacks'], target: 'ecs' }, groups, base, 'exporters[2]')).toThrow(
      /exporters\[2\]\.trim: unknown group "stacks" \(known: .*stack/,
    );
    expect(() => trimDrops({ drop_fields: ['process.cmdline'], target: 'ecs' }, groups, base, 'exporters[2]')).toThrow(
      /exporters\[2\]\.drop_fields: "process.cmdline" is not an ECS field/,
    );
    // an ECS name on an OTel exporter: a different vocabulary
    expect(() =>
      trimDrops({ drop_fields: ['process.working_directory.x'], target: 'otel' }, groups, base, 'e'),
    ).toThrow(/not an OTel attribute/);
  });

  it('trimKey: same set in any order or repeated = same mapper', () => {
    const a = trimDrops({ trim: ['stack', 'args'], target: 'ecs' }, groups, base, 'e');
    const b = trimDrops({ trim: ['args', 'stack', 'args'], target: 'otel' }, groups, base, 'e');
    expect(trimKey(a)).toBe(trimKey(b));
    expect(trimKey(a)).not.toBe(trimKey(trimDrops({ trim: ['stack'], target: 'ecs' }, groups, base, 'e')));
    expect(trimKey([])).toBe('');
  });
});

describe('ingest: one mapping per (mapper, target) that some exporter still wants', () => {
  function countingMapper(m: Mapper) {
    const calls = { ecs: 0, otel: 0 };
    const wrapped: Mapper = {
      ...m,
      toEcsJson: (ev) => {
        calls.ecs++;
        return m.toEcsJson(ev);
      },
      toOtel: (ev) => {
        calls.otel++;
        return m.toOtel(ev);
      },
    };
    return { wrapped, calls };
  }
  function route(target: 'ecs' | 'otel', got: DeliveryItem[], extra: Partial<IngestRoute> = {}): IngestRoute {
    const exporter = { name: target, target } as Exporter;
    const delivery = {
      push: async (item: DeliveryItem) => {
        got.push(item);
      },
    } as unknown as Delivery;
    return { exporter, delivery, ...extra };
  }

  it('routes sharing a mapper and target share the record; a route filtered out costs no mapping', async () => {
    const shared = countingMapper(base);
    const small = countingMapper(trimmed({ trim: ['tracee_data'], target: 'ecs' }));
    const got: DeliveryItem[][] = [[], [], [], []];
    let filtered = 0;
    const routes = [
      route('ecs', got[0]),
      route('ecs', got[1], { mapper: small.wrapped }),
      route('ecs', got[2], { mapper: small.wrapped }),
      route('otel', got[3], {
        accepts: (ev) => ev.name === 'fileless_execution',
        filtered: () => {
          filtered++;
        },
      }),
    ];
    const counts = { received: 0, mapped: 0, rejected: 0, filteredOut: 0 };
    const ingest = createIngest({
      mapper: shared.wrapped,
      routes,
      counts,
      reject: () => {
        throw new Error('unexpected');
      },
      lateRefusal: () => {},
    });
    const text = [
      'legacy/v0.8-v0.12/execve-exec-env.json',
      'legacy/v0.8-v0.12/signature-fileless_execution-k8s.json',
    ].map((rel) => JSON.stringify(JSON.parse(fs.readFileSync(path.join(SHARED_FIXTURES, rel), 'utf8'))));
    const res = await ingest(
      text.map((t, i) => ({ kind: 'text' as const, text: t, origin: { source: 'test', line: i + 1 } })),
    );
    expect(res.accepted).toBe(2);
    expect(shared.calls).toEqual({ ecs: 2, otel: 1 }); // otel only for the event its filter wants
    expect(small.calls).toEqual({ ecs: 2, otel: 0 }); // once per event for both trimmed routes
    expect(got[1][0].record).toBe(got[2][0].record);
    expect((got[0][0].record as { json: string }).json).toContain('"data"');
    expect((got[1][0].record as { json: string }).json).not.toContain('"data"');
    expect(got.map((g) => g.length)).toEqual([2, 2, 2, 1]);
    expect(filtered).toBe(1);
    expect(counts).toEqual({ received: 2, mapped: 2, rejected: 0, filteredOut: 0 });
  });
});

describe('trimming in a pipeline run', () => {
  it('the trimmed ECS and OTel exporters lack tracee.data, the untrimmed one has it, for every sample', async () => {
    const samples = fs.readFileSync(path.join(ROOT, 'examples/events/tracee-samples.ndjson'), 'utf8');
    const n = samples.trim().split('\n').length;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trim-run-'));
    const out = (x: string) => path.join(dir, `${x}.ndjson`);
    const config: RunConfig = {
      version: 1,
      exporters: [
        { type: 'console', name: 'full', path: out('full') },
        {
          type: 'console',
          name: 'small',
          path: out('small'),
          trim: ['tracee_data', 'args'],
          drop_fields: ['event.created'],
        },
        { type: 'console', name: 'small-otel', format: 'otlp-json', path: out('small-otel'), trim: ['tracee_data'] },
      ],
    };
    const summary = await createPipeline(
      config,
      { stdin: Readable.from([samples]), log: () => {} },
      { shutdownTimeoutMs: 5000 },
    ).run();
    expect(summary.exporters.map((e) => e.stats.delivered)).toEqual([n, n, n]);
    const read = (x: string) =>
      fs
        .readFileSync(out(x), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    const full = read('full');
    const small = read('small');
    expect(full.filter((d) => d.tracee?.data !== undefined).length).toBeGreaterThanOrEqual(n - 2);
    expect(small.map((d) => d.event.id)).toEqual(full.map((d) => d.event.id));
    for (const [i, d] of small.entries())
      expect(d).toEqual(without(full[i], ['tracee.data', 'process.args', 'process.command_line', 'event.created']));
    const attrs = read('small-otel').map((r) =>
      r.scopeLogs[0].logRecords[0].attributes.map((a: { key: string }) => a.key),
    );
    expect(attrs.length).toBe(n);
    for (const keys of attrs) expect(keys).not.toContain('tracee.data');
    expect(attrs.flat()).toContain('process.pid');
  });

  it('an unknown trim group is a config error at start-up', () => {
    const config: RunConfig = { version: 1, exporters: [{ type: 'console', trim: ['envs'] }] };
    expect(() => createPipeline(config, { stdin: Readable.from([]), log: () => {} })).toThrow(
      /exporters\[0\]\.trim: unknown group "envs"/,
    );
  });
});
