// docker-compose.yml checked structurally (Docker cannot run in this project's CI): it parses, every service
// has an image or a build, every repo file it mounts exists, and Tracee gets what eBPF needs.

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('../../', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8')) as {
  services: Record<
    string,
    {
      image?: string;
      build?: unknown;
      volumes?: string[];
      privileged?: boolean;
      pid?: string;
      command?: string[];
      depends_on?: Record<string, unknown>;
    }
  >;
  volumes?: Record<string, unknown>;
};

/** Repo files the compose file mounts that other developers are still writing (checked once they exist). */
const PENDING = new Set<string>();
/** Host (not repo) paths Tracee needs. */
const HOST_PATHS = new Set(['/etc/os-release', '/var/run', '/boot']);

const mounts = Object.entries(compose.services).flatMap(([svc, s]) =>
  (s.volumes ?? []).map((v) => ({ svc, source: v.split(':')[0] })),
);

describe('docker-compose.yml', () => {
  it('has the demo services', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'elasticsearch',
      'kibana',
      'otel-collector',
      'tracee',
      'tracee-exporter',
    ]);
  });

  it('every service has an image or a build', () => {
    for (const [name, s] of Object.entries(compose.services)) expect(Boolean(s.image || s.build), name).toBe(true);
    expect(compose.services['tracee-exporter'].build).toBe('.');
    expect(compose.services['otel-collector'].image).toMatch(/opentelemetry-collector-contrib/);
    expect(compose.services.tracee.image).toMatch(/^aquasec\/tracee:/);
    expect(compose.services.elasticsearch.image).toMatch(/elasticsearch:\$\{ELASTIC_VERSION:-9\./);
  });

  it('every mounted repo path exists (named volumes are declared, host paths are the known Tracee ones)', () => {
    const problems: string[] = [];
    for (const { svc, source } of mounts) {
      if (source.startsWith('./')) {
        const rel = source.slice(2);
        if (!existsSync(new URL(rel, root)) && !PENDING.has(rel)) problems.push(`${svc}: ${source} does not exist`);
      } else if (source.startsWith('/')) {
        if (!HOST_PATHS.has(source)) problems.push(`${svc}: unexpected host path ${source}`);
      } else if (!(compose.volumes && source in compose.volumes))
        problems.push(`${svc}: volume ${source} not declared`);
    }
    expect(problems).toEqual([]);
  });

  it('the collector config is one of examples/collector/*.yaml', () => {
    expect(mounts.filter((m) => m.svc === 'otel-collector').map((m) => m.source)).toContain(
      './examples/collector/otlp-to-debug-file.yaml',
    );
  });

  it('Tracee runs privileged in the host PID namespace and writes JSON to the volume tracee-exporter reads', () => {
    const t = compose.services.tracee;
    expect(t.privileged).toBe(true);
    expect(t.pid).toBe('host');
    expect(t.command?.join(' ')).toMatch(/--output json:\/var\/lib\/tracee-out\//);
    expect(t.volumes).toContain('tracee-events:/var/lib/tracee-out');
    expect(compose.services['tracee-exporter'].volumes).toContain('tracee-events:/var/lib/tracee-exporter/in:ro');
  });
});

describe('the tracee-exporter config the compose file mounts', () => {
  it('is a valid run config that follows the file Tracee writes', async () => {
    const { loadRunConfig } = await import('../../src/config/run-config.ts');
    const cfg = loadRunConfig(new URL('examples/config/compose.yaml', root).pathname, {});
    const tracee = compose.services.tracee;
    const out = (tracee.command as string[]).find((c) => c.startsWith('json:'))!.slice(5);
    expect(cfg.sources?.[0]).toMatchObject({
      type: 'file',
      follow: true,
      path: '/var/lib/tracee-exporter/in/' + out.split('/').pop(),
    });
    expect(cfg.exporters.map((e) => e.type).sort()).toEqual(['elasticsearch', 'otlp_http']);
  });
});
