// The Dockerfile cannot be built here (no Docker engine, no registry to pull its bases from); the
// image is built and run by scripts/image/build.sh + smoke.sh (buildah). This test checks that the
// Dockerfile describes the same image as the script (user, environment, entrypoint, command,
// health check, labels), that what both start exists in the package, and runs the HEALTHCHECK
// client against a real telemetry server.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTelemetry, createTelemetryServer } from '../../../src/telemetry/index.ts';
import { ROOT } from '../../helpers/samples.ts';

const run = promisify(execFile);
const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
// instructions with their continuation lines joined
const lines = dockerfile
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .filter((l) => !l.trim().startsWith('#') && l.trim() !== '');
const fromIndexes = lines.map((l, i) => (l.startsWith('FROM ') ? i : -1)).filter((i) => i >= 0);
const finalStage = lines.slice(fromIndexes.at(-1));
const instr = (name: string) =>
  finalStage.filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());
const buildScript = fs.readFileSync(path.join(ROOT, 'scripts/image/build.sh'), 'utf8');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  bin: string | Record<string, string>;
};
const binRel = (typeof pkg.bin === 'string' ? pkg.bin : pkg.bin['tracee-exporter']).replace(/^\.\//, '');

async function healthcheck(listen: string | undefined): Promise<number> {
  const env = { ...process.env, TRACEE_EXPORTER_TELEMETRY_LISTEN: listen ?? '' };
  try {
    await run(process.execPath, [path.join(ROOT, 'bin/healthcheck.js')], { env, timeout: 10_000 });
    return 0;
  } catch (err) {
    return (err as { code: number }).code;
  }
}

describe('Dockerfile', () => {
  it('is multi-stage with a shell-less final stage: no RUN there, a numeric non-root user', () => {
    expect(fromIndexes.length).toBe(2);
    expect(lines[fromIndexes[0]]).toMatch(/^FROM node:24-bookworm-slim AS build$/);
    // distroless: glibc, libstdc++, libgcc, CA certificates, tzdata, and no shell
    expect(lines[fromIndexes[1]]).toBe('FROM gcr.io/distroless/cc-debian12');
    expect(instr('RUN')).toEqual([]);
    expect(instr('USER')).toEqual(['1000:1000']);
    expect(finalStage.some((l) => /npm (ci|install)/.test(l))).toBe(false);
  });

  it('describes the image scripts/image/build.sh assembles: environment, user, ports, entrypoint, command, health check, labels', () => {
    const scriptEnv = [...buildScript.matchAll(/--env (\S+)/g)].map((m) => m[1]);
    // no heap flag: bin/tracee-exporter.js caps V8's heap from memory_limit_mib unless one is given
    for (const e of [...scriptEnv, ...instr('ENV')]) expect(e).not.toMatch(/--max-(old-space|semi-space|heap)-size/);
    expect(scriptEnv).toContain('NODE_ENV=production');
    expect(instr('ENV')).toEqual(scriptEnv);
    expect(buildScript).toMatch(/--user 1000:1000 /);
    expect(instr('EXPOSE')).toEqual([[...buildScript.matchAll(/--port (\d+)/g)].map((m) => m[1]).join(' ')]);
    expect(instr('VOLUME')).toEqual([/--volume (\S+)/.exec(buildScript)![1]]);
    expect(instr('WORKDIR')).toEqual([/--workingdir (\S+)/.exec(buildScript)![1]]);
    // the script reads the bin from the package; the Dockerfile names it
    expect(buildScript).toContain('--entrypoint "[\\"/usr/local/bin/node\\", \\"/opt/tracee-exporter/$bin_rel\\"]"');
    expect(instr('ENTRYPOINT')).toEqual([`["/usr/local/bin/node", "/opt/tracee-exporter/${binRel}"]`]);
    expect(instr('CMD')).toEqual([/--cmd '([^']+)'/.exec(buildScript)![1]]);
    const health = instr('HEALTHCHECK')[0];
    expect(health).toMatch(
      /^--interval=30s --timeout=5s --start-period=20s --retries=3 CMD \["\/usr\/local\/bin\/node", "\/opt\/tracee-exporter\/bin\/healthcheck\.js"\]$/,
    );
    expect(buildScript).toContain(
      '--healthcheck-interval 30s --healthcheck-timeout 5s --healthcheck-start-period 20s --healthcheck-retries 3',
    );
    const labels = instr('LABEL').join(' ');
    for (const m of labels.matchAll(/(org\.opencontainers\.image\.[a-z.]+)=("[^"]*"|\S+)/g)) {
      expect(buildScript, m[1]).toContain(
        `--label ${m[1].includes('description') ? '"' : ''}${m[1]}=${m[2].replace(/^"|"$/g, '')}`,
      );
    }
  });

  it('installs the production dependencies from the lock file and prunes the same never-loaded files as the script', () => {
    const build = lines.slice(fromIndexes[0], fromIndexes[1]).join('\n');
    expect(build).toMatch(/npm pack .*cp package-lock\.json .*npm ci --omit=dev/s);
    const prune = (text: string) => /find \S+ -type f \\\( (.+?) \\\) -delete/.exec(text)?.[1];
    expect(prune(build)).toBeDefined();
    expect(prune(build)).toBe(prune(buildScript));
  });

  it('starts files the package has; the build context keeps what npm pack needs', () => {
    expect(fs.existsSync(path.join(ROOT, binRel)), binRel).toBe(true);
    expect(fs.existsSync(path.join(ROOT, 'bin/healthcheck.js'))).toBe(true);
    const ignored = fs
      .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const files =
      (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files?: string[] }).files ?? [];
    for (const needed of ['package.json', 'package-lock.json', 'bin', 'src', 'mappings', 'proto', ...files]) {
      expect(ignored, needed).not.toContain(needed.replace(/\/.*$/, ''));
    }
    expect(ignored).toContain('node_modules');
  });

  it('bin/healthcheck.js exits 0 on /healthz 200 and 1 when nothing answers', async () => {
    const telemetry = createTelemetry();
    telemetry.phaseChanged('running');
    const server = createTelemetryServer(telemetry, { host: '127.0.0.1', port: 0, log: () => {} });
    const url = new URL(await server.listen());
    try {
      expect(await healthcheck(`127.0.0.1:${url.port}`)).toBe(0);
      expect(await healthcheck(`:${url.port}`)).toBe(0);
      telemetry.phaseChanged('stopped'); // /healthz 503 after the last flush
      expect(await healthcheck(`127.0.0.1:${url.port}`)).toBe(1);
    } finally {
      await server.close();
    }
    expect(await healthcheck(`127.0.0.1:${url.port}`)).toBe(1);
    expect(await healthcheck('nonsense')).toBe(1);
  });
});
