// What counts as a secret in a configuration, masking it for `config print`, and scrubbing known
// secret values out of messages (errors must never echo a password, even by accident).

export const MASK = '***';

const SECRET_WORDS = ['password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'bearer', 'authorization', 'credential', 'cookie', 'sharedkey', 'privatekey', 'accesskey'];

/** `password`, `apiKey`, `bearer_token`, `shared_key`, `Authorization`, `client_secret`… (not `keyFile`: a path). */
export function isSecretKey(key: string): boolean {
  const k = key.replace(/[^A-Za-z0-9]/g, '').toLowerCase();
  return SECRET_WORDS.some((w) => k.includes(w));
}

/** Header names that carry credentials: the secret words plus any *auth*, *key*, *signature*, *session*. */
export function isSecretHeader(name: string): boolean {
  return isSecretKey(name) || /auth|key|sig|session/i.test(name);
}

/**
 * User info of a URL: up to the LAST `@` before the path, as URL parsers read it (a password may
 * hold an unencoded `@`: `https://u:p@ss@host` is user u, password p@ss).
 */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^/?#\s]*)@/gi;

/** `https://user:pass@host/x?token=abc` → `https://***@host/x?token=***`. */
export function maskUrl(s: string): string {
  return s
    .replace(USERINFO, `$1${MASK}@`)
    .replace(/([?&])([^=&#\s]+)=([^&#\s]*)/g, (m, sep: string, k: string) => (isSecretKey(k) || /^(key|sig|signature|auth)$/i.test(k) ? `${sep}${k}=${MASK}` : m));
}

/** A deep copy with secret values replaced by `***` (by key name, header name, URL credentials). */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return isSecretKey(key) ? MASK : /:\/\//.test(value) ? maskUrl(value) : value;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, key));
  if (value !== null && typeof value === 'object') {
    const headers = /^headers$/i.test(key);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = headers && typeof v === 'string' && isSecretHeader(k) ? MASK
        : isSecretKey(k) && v !== null && typeof v !== 'object' ? MASK
        : maskSecrets(v, k);
    }
    return out;
  }
  return value;
}

/** Every string value stored under a secret key (or a secret header), to scrub from messages. */
export function collectSecrets(value: unknown, key = '', out: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    if (isSecretKey(key) && value.length >= 3) out.add(value);
    for (const m of value.matchAll(USERINFO)) if (m[2].length >= 3) out.add(m[2]);
    return out;
  }
  if (Array.isArray(value)) { for (const v of value) collectSecrets(v, key, out); return out; }
  if (value !== null && typeof value === 'object') {
    const headers = /^headers$/i.test(key);
    for (const [k, v] of Object.entries(value)) collectSecrets(v, headers && isSecretHeader(k) ? 'secret' : k, out);
  }
  return out;
}

/** Replaces every occurrence of a known secret in `text` (longest first) and URL credentials. */
export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s !== '') out = out.split(s).join(MASK);
  return maskUrl(out);
}
