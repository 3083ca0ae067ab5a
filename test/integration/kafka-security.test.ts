// The kafka exporter over TLS and SASL against the REAL broker of scripts/services/kafka.sh: its SASL_SSL
// listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and its SSL listener, with the throw-away CA the script
// makes with openssl (`kafka.sh env` names the listeners, the CA and the test-only users). Through the CLI:
// every event delivered through each mechanism; with a wrong password each exporter fails cleanly — every
// event counted and dead-lettered as destination state (replayable), one clear message, and the password
// in no log line and not in the dead letter.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  assertKafkaRunning,
  kafkaTlsEnv,
  topicMessageCount,
  uniqueTopicPrefix,
  type KafkaTlsEnv,
} from '../helpers/kafka.ts';
import { ROOT, sharedSamples } from '../helpers/samples.ts';

const BIN = path.join(ROOT, 'bin/tracee-exporter.js');
const lines = sharedSamples(Infinity)
  .flatMap((s) => s.records.map((r) => r.trim()))
  .filter((r) => !r.includes('\n'))
  .slice(0, 40);
const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
let env: KafkaTlsEnv;

beforeAll(async () => {
  await assertKafkaRunning();
  env = kafkaTlsEnv();
  expect(
    fs.existsSync(env.KAFKA_CA_FILE),
    `${env.KAFKA_CA_FILE}: restart the broker with the current scripts/services/kafka.sh`,
  ).toBe(true);
});

function run(exporters: string[], extraEnv: Record<string, string>, dir: string) {
  const cfg = path.join(dir, 'cfg.yaml');
  fs.writeFileSync(
    cfg,
    `version: 1
sources: [{ type: stdin }]
node: { name: it-kafka-tls }
dead_letter: { path: ${path.join(dir, 'dead.ndjson')} }
exporters:
${exporters.map((e) => `  - ${e}`).join('\n')}
`,
  );
  return spawnSync(process.execPath, [BIN, 'run', '--config', cfg, '--shutdown-timeout', '30000'], {
    input: lines.join('\n') + '\n',
    encoding: 'utf8',
    env: { ...process.env, ...extraEnv },
    timeout: 120_000,
  });
}

function user(m: (typeof MECHANISMS)[number]) {
  return m === 'plain' ? env.KAFKA_PLAIN_USER : env.KAFKA_SCRAM_USER;
}

function exporter(name: string, prefix: string, broker: string, auth: string): string {
  return `{ type: kafka, name: ${name}, brokers: ${broker}, encoding: ecs_json, topics: { events: ${prefix}.events, alerts: ${prefix}.alerts }, tls: { ca_file: ${env.KAFKA_CA_FILE} }${auth}, delivery: { max_batch_items: 16, flush_interval_ms: 20 } }`;
}

describe('kafka exporter: TLS and SASL against the real broker', () => {
  it('delivers every event over SASL_SSL with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, and over TLS without SASL', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-tls-'));
    const prefix = uniqueTopicPrefix('tls');
    const exporters = [
      ...MECHANISMS.map((m, i) =>
        exporter(
          `k_${m.replaceAll('-', '_')}`,
          `${prefix}.${i}`,
          env.KAFKA_SASL_SSL,
          `, sasl: { mechanism: ${m}, username: ${user(m)}, password: "\${env:KAFKA_PW_${i}}" }`,
        ),
      ),
      exporter('k_tls', `${prefix}.tls`, env.KAFKA_SSL, ''),
    ];
    const r = run(
      exporters,
      {
        KAFKA_PW_0: env.KAFKA_PLAIN_PASSWORD,
        KAFKA_PW_1: env.KAFKA_SCRAM_PASSWORD,
        KAFKA_PW_2: env.KAFKA_SCRAM_PASSWORD,
      },
      dir,
    );
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    for (const name of ['k_plain', 'k_scram_sha_256', 'k_scram_sha_512', 'k_tls']) {
      expect(r.stderr, name).toMatch(new RegExp(`${name}: entered ${lines.length} = delivered ${lines.length} `));
    }
    expect(r.stderr).toMatch(/k_plain: brokers .*TLS, SASL plain/);
    expect(r.stderr).toMatch(/k_scram_sha_512: brokers .*TLS, SASL scram-sha-512/);
    for (const s of [env.KAFKA_PLAIN_PASSWORD, env.KAFKA_SCRAM_PASSWORD]) expect(r.stderr).not.toContain(s);
    return Promise.all(
      ['0', '1', '2', 'tls'].map(async (k) => {
        const n =
          (await topicMessageCount(`${prefix}.${k}.events`)) + (await topicMessageCount(`${prefix}.${k}.alerts`));
        expect(n, k).toBe(lines.length);
      }),
    );
  });

  it('a wrong password: every event counted and dead-lettered as destination state, a clear reason, the password nowhere', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-sasl-bad-'));
    const prefix = uniqueTopicPrefix('badpw');
    const wrong = 'Wr0ng-Pa55word-7f3a9c';
    const exporters = MECHANISMS.map((m, i) =>
      exporter(
        `bad_${m.replaceAll('-', '_')}`,
        `${prefix}.${i}`,
        env.KAFKA_SASL_SSL,
        `, sasl: { mechanism: ${m}, username: ${user(m)}, password: "\${env:KAFKA_BAD_PW}" }`,
      ),
    );
    const r = run(exporters, { KAFKA_BAD_PW: wrong }, dir);
    const dead = fs.readFileSync(path.join(dir, 'dead.ndjson'), 'utf8');
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.error).toBeUndefined();
    expect(r.stderr).not.toContain(wrong);
    expect(dead).not.toContain(wrong);
    const entries = dead
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { exporter: string; reason: string });
    for (const m of MECHANISMS) {
      const name = `bad_${m.replaceAll('-', '_')}`;
      // counted: every event entered and was dead-lettered, none delivered, none left unsettled
      expect(r.stderr, name).toMatch(
        new RegExp(
          `${name}: entered ${lines.length} = delivered 0 \\+ duplicates 0 \\+ dead-lettered ${lines.length}\\b`,
        ),
      );
      const mine = entries.filter((e) => e.exporter === name);
      expect(mine.length, name).toBe(lines.length);
      // classified permanent (destination state: replayable once the credentials are fixed), with the mechanism's failure
      const mech =
        m === 'plain'
          ? 'PLAIN'
          : m === 'scram-sha-256'
            ? 'SCRAM256|SCRAM SHA256|SCRAM-SHA-256'
            : 'SCRAM512|SCRAM SHA512|SCRAM-SHA-512';
      for (const e of mine)
        expect(e.reason, name).toMatch(
          new RegExp(
            `^kafka destination state: KafkaJSSASLAuthenticationError: SASL (${mech}) authentication failed`,
            'i',
          ),
        );
    }
    expect(await topicMessageCount(`${prefix}.0.events`)).toBe(0);
  });
});
