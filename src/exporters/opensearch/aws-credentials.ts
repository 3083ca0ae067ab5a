// AWS credentials for SigV4 (Amazon OpenSearch Service / Serverless) without the AWS SDK (the package bundles
// its dependencies and pulls nothing at install): static keys from the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, optional AWS_SESSION_TOKEN), else from the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials; profile from the option, AWS_PROFILE or
// `default`). They are read again every REREAD_MS, so a file rewritten by a credential helper or a rotated
// Kubernetes Secret is picked up. Not supported (documented): instance / task roles (IMDS, ECS), IRSA web
// identity, SSO, credential_process, assume-role profiles.

import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When the signer asks again (it refreshes shortly before). */
  expiration: Date;
}

export class AwsCredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AwsCredentialsError';
  }
}

export const REREAD_MS = 5 * 60_000;

export interface AwsCredentialSource {
  /** What the signer calls; rejects with AwsCredentialsError when there are none. */
  get(): Promise<AwsCredentials>;
  /** Every secret handed out so far (secret keys, session tokens), for redaction. */
  readonly secrets: ReadonlySet<string>;
}

export interface AwsCredentialOptions {
  profile?: string;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
}

/** `[profile]` sections of an AWS INI file: key = value lines; `#` and `;` start comments. */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let cur: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (sec) {
      cur = new Map();
      out.set(sec[1], cur);
      continue;
    }
    const eq = line.indexOf('=');
    if (cur && eq > 0) cur.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return out;
}

/**
 * Where SigV4 would take its credentials from now (`environment`, or `<file> [profile]`), as
 * `config check` reports it; throws AwsCredentialsError when there are none. Says no secret.
 */
export function awsCredentialsOrigin(o: AwsCredentialOptions = {}): string {
  const env = o.env ?? process.env;
  const c = awsCredentialSource(o).read();
  if (env.AWS_ACCESS_KEY_ID === c.accessKeyId && env.AWS_SECRET_ACCESS_KEY) return 'environment (AWS_ACCESS_KEY_ID)';
  const file = env.AWS_SHARED_CREDENTIALS_FILE || path.join(env.HOME || os.homedir(), '.aws', 'credentials');
  return `${file} [${o.profile ?? env.AWS_PROFILE ?? 'default'}]`;
}

export function awsCredentialSource(o: AwsCredentialOptions = {}): AwsCredentialSource & { read(): AwsCredentials } {
  const env = o.env ?? process.env;
  const now = o.now ?? Date.now;
  const secrets = new Set<string>();
  const hand = (c: Omit<AwsCredentials, 'expiration'>): AwsCredentials => {
    secrets.add(c.secretAccessKey);
    if (c.sessionToken) secrets.add(c.sessionToken);
    return { ...c, expiration: new Date(now() + REREAD_MS) };
  };
  const read = (): AwsCredentials => {
    const id = env.AWS_ACCESS_KEY_ID;
    const secret = env.AWS_SECRET_ACCESS_KEY;
    if (id && secret)
      return hand({
        accessKeyId: id,
        secretAccessKey: secret,
        ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      });
    const file = env.AWS_SHARED_CREDENTIALS_FILE || path.join(env.HOME || os.homedir(), '.aws', 'credentials');
    const profile = o.profile ?? env.AWS_PROFILE ?? 'default';
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new AwsCredentialsError(
        `no AWS credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set and ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); instance roles, IRSA and SSO are not supported`,
      );
    }
    const sec = parseIni(text).get(profile);
    const fid = sec?.get('aws_access_key_id');
    const fsecret = sec?.get('aws_secret_access_key');
    if (!fid || !fsecret)
      throw new AwsCredentialsError(
        `no AWS credentials: profile [${profile}] in ${file} has no aws_access_key_id and aws_secret_access_key`,
      );
    const token = sec!.get('aws_session_token');
    return hand({ accessKeyId: fid, secretAccessKey: fsecret, ...(token ? { sessionToken: token } : {}) });
  };
  return { get: async () => read(), read, secrets };
}
