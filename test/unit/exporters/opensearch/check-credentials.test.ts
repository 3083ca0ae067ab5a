// `config check` with an OpenSearch exporter signing with SigV4 says where `run` would take its AWS
// credentials from, and warns (never prints a secret) when there are none here.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfigFile } from '../../../../src/config/check.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'os-creds-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const config = path.join(dir, 'cfg.yaml');
fs.writeFileSync(
  config,
  'version: 1\nexporters:\n  - type: opensearch\n    endpoints: https://search.example:443\n    auth: { aws_sigv4: { region: eu-west-1, profile: ship } }\n',
);
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('config check: opensearch aws_sigv4 credentials', () => {
  it('from the environment', () => {
    const r = checkConfigFile(config, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: SECRET, HOME: dir });
    expect(r.exporterLines[0]).toContain('auth: aws_sigv4, credentials from environment (AWS_ACCESS_KEY_ID)');
    expect(r.warnings).toEqual([]);
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it("from the shared credentials file's profile", () => {
    const file = path.join(dir, 'credentials');
    fs.writeFileSync(
      file,
      `[default]\naws_access_key_id = A\naws_secret_access_key = B\n[ship]\naws_access_key_id = AKID2\naws_secret_access_key = ${SECRET}\n`,
    );
    const r = checkConfigFile(config, { AWS_SHARED_CREDENTIALS_FILE: file, HOME: dir });
    expect(r.exporterLines[0]).toContain(`credentials from ${file} [ship]`);
    expect(r.warnings).toEqual([]);
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it('none here: a warning saying what is missing, and the check still passes', () => {
    const r = checkConfigFile(config, { HOME: path.join(dir, 'nobody') });
    expect(r.exporterLines[0]).toContain('auth: aws_sigv4)');
    expect(r.warnings.join('\n')).toMatch(
      /exporters\[0\]: aws_sigv4: no AWS credentials: AWS_ACCESS_KEY_ID \/ AWS_SECRET_ACCESS_KEY are not set and .*credentials cannot be read \(ENOENT\)/,
    );
    const file = path.join(dir, 'other');
    fs.writeFileSync(file, '[default]\naws_access_key_id = A\naws_secret_access_key = B\n');
    const p = checkConfigFile(config, { AWS_SHARED_CREDENTIALS_FILE: file });
    // (the variable's value is masked like every value of a variable named for credentials)
    expect(p.warnings.join('\n')).toMatch(/profile \[ship\] in \S+ has no aws_access_key_id and aws_secret_access_key/);
  });
});
