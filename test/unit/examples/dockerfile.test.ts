// The Dockerfile cannot be built here (no Docker engine): its structure is checked, and the
// HEALTHCHECK script is run against a real telemetry server.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTelemetry, createTelemetryServer } from '../../../src/telemetry/index.ts';
import { ROOT } from '../../helpers/samples.ts';

const run = promisify(execFile);
const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const lines = dockerfile.split('\n').filter((l) => !l.startsWith('#') && l.trim() !== '');
const finalStage = lines.slice(lines.map((l, i) => (l.startsWith('FROM ') ? i : -1)).filter((i) => i >= 0).pop());

async function healthcheck(listen: string | undefined): Promise<number> {
  const env = { ...process.env, TRACEE_EXPORTER_TELEMETRY_LISTEN: listen ?? '' };
  try { await run(process.execPath, [path.join(ROOT, 'bin/healthcheck.js')], { env, timeout: 10_000 }); return 0; } catch (err) { return (err as { code: number }).code; }
}

describe('Dockerfile', () => {
  it('is multi-stage, runs as a numeric non-root user, caps the heap and has a HEALTHCHECK', () => {
    expect(lines.filter((l) => l.startsWith('FROM ')).length).toBeGreaterThanOrEqual(2);
    expect(finalStage.find((l) => l.startsWith('USER '))).toMatch(/^USER [1-9]\d*(:[1-9]\d*)?$/);
    expect(finalStage.some((l) => /npm (ci|install)/.test(l))).toBe(false);   // dependencies come from the deps stage
    expect(finalStage).toContain('ENV NODE_OPTIONS=--max-old-space-size=192');
    expect(finalStage.find((l) => l.startsWith('HEALTHCHECK '))).toMatch(/CMD \["node", "\/app\/bin\/healthcheck\.js"\]$/);
  });

  it('copies files that exist, everything the runtime reads included', () => {
    const copied = finalStage.filter((l) => l.startsWith('COPY ') && !l.includes('--from')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    for (const c of copied) expect(fs.existsSync(path.join(ROOT, c)), c).toBe(true);
    for (const needed of ['bin', 'src', 'mappings', 'package.json']) expect(copied).toContain(needed);
    if (fs.existsSync(path.join(ROOT, 'proto'))) expect(copied).toContain('proto');
    const ignored = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const c of copied) expect(ignored, c).not.toContain(c);
  });

  it('bin/healthcheck.js exits 0 on /healthz 200 and 1 when nothing answers', async () => {
    const telemetry = createTelemetry();
    telemetry.phaseChanged('running');
    const server = createTelemetryServer(telemetry, { host: '127.0.0.1', port: 0, log: () => {} });
    const url = new URL(await server.listen());
    try {
      expect(await healthcheck(`127.0.0.1:${url.port}`)).toBe(0);
      expect(await healthcheck(`:${url.port}`)).toBe(0);
      telemetry.phaseChanged('stopped');   // /healthz 503 after the last flush
      expect(await healthcheck(`127.0.0.1:${url.port}`)).toBe(1);
    } finally {
      await server.close();
    }
    expect(await healthcheck(`127.0.0.1:${url.port}`)).toBe(1);
    expect(await healthcheck('nonsense')).toBe(1);
  });
});
