// What counts as a secret in a configuration, masking it for `config print`, and scrubbing known
// secret values out of messages (errors must never echo a password, even by accident). `redact`
// is the one function every log line, error and dead-letter reason of the CLI goes through: the
// secrets this process knows (config values under secret keys, header values, ${file:} contents,
// secret environment variables, URL user info) plus the shapes of a secret in free text.

export const MASK = '***';

const SECRET_WORDS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'bearer',
  'authorization',
  'credential',
  'cookie',
  'sharedkey',
  'privatekey',
  'accesskey',
];

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
    .replace(/([?&])([^=&#\s]+)=([^&#\s]*)/g, (m, sep: string, k: string) =>
      isSecretKey(k) || /^(key|sig|signature|auth)$/i.test(k) ? `${sep}${k}=${MASK}` : m,
    );
}

/** A deep copy with secret values replaced by `***` (by key name, header name, URL credentials). */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return isSecretKey(key) ? MASK : /:\/\//.test(value) ? maskUrl(value) : value;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, key));
  if (value !== null && typeof value === 'object') {
    const headers = /^headers$/i.test(key);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        headers && typeof v === 'string' && isSecretHeader(k)
          ? MASK
          : isSecretKey(k) && v !== null && typeof v !== 'object'
            ? MASK
            : maskSecrets(v, k);
    }
    return out;
  }
  return value;
}

/** Request headers whose values describe the request, never a credential (kept readable in messages). */
const PLAIN_HEADERS = new Set([
  'content-type',
  'accept',
  'accept-encoding',
  'content-encoding',
  'user-agent',
  'accept-language',
]);

/** Every string value stored under a secret key (or a secret header), to scrub from messages. */
export function collectSecrets(value: unknown, key = '', out: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    if (isSecretKey(key) && value.length >= 3) out.add(value);
    for (const m of value.matchAll(USERINFO)) if (m[2].length >= 3) out.add(m[2]);
    return out;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectSecrets(v, key, out);
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const headers = /^headers$/i.test(key);
    for (const [k, v] of Object.entries(value)) {
      // any configured header value may be a credential, but a media type or a user agent is not
      if (headers && typeof v === 'string' && v.length >= 4 && !PLAIN_HEADERS.has(k.toLowerCase())) out.add(v);
      collectSecrets(v, headers && isSecretHeader(k) ? 'secret' : k, out);
    }
  }
  return out;
}

/** `redact` with `secrets` besides the process's known ones (the name the config code has used). */
export function scrub(text: string, secrets: Iterable<string>): string {
  return redact(text, secrets);
}

/** The secrets of environment variables: values of secret-named ones, URL user info, OTLP header values. */
export function collectEnvSecrets(env: NodeJS.ProcessEnv, out: Set<string> = new Set()): Set<string> {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.trim() === '') continue;
    // not flags and numbers: masking every "true" in the logs would hide more than it protects
    if (isSecretKey(name) && value.length >= 3 && !/^(\d+|true|false|yes|no|on|off)$/i.test(value.trim()))
      out.add(value);
    // user info up to the last @ after the scheme, even in a value no URL parser accepts
    const at = value.lastIndexOf('@');
    const scheme = value.indexOf('://');
    if (scheme >= 0 && at > scheme + 3) {
      const info = value.slice(scheme + 3, at);
      if (info.length >= 3) out.add(info);
      const colon = info.indexOf(':');
      if (colon >= 0 && info.length - colon - 1 >= 3) out.add(info.slice(colon + 1));
    }
    if (/^OTEL_EXPORTER_OTLP_(LOGS_)?HEADERS$/.test(name)) {
      for (const pair of value.split(',')) {
        const eq = pair.indexOf('=');
        const v = eq < 0 ? '' : pair.slice(eq + 1).trim();
        if (v.length >= 4) {
          out.add(v);
          try {
            out.add(decodeURIComponent(v));
          } catch {
            /* kept as is */
          }
        }
      }
    }
  }
  return out;
}

// ---- the process's known secrets, and the one redaction function

const known = new Set<string>();
let sorted: string[] = [];

/** Remember secrets for `redact` (the config loader registers what it read; tests may add their own). */
export function registerSecrets(values: Iterable<string>): void {
  let added = false;
  for (const v of values)
    if (typeof v === 'string' && v.length >= 3 && !known.has(v)) {
      known.add(v);
      added = true;
    }
  // longest first: a secret that contains another is masked whole
  if (added) sorted = [...known].sort((a, b) => b.length - a.length);
}

/** `Authorization: Bearer x`, `password=x`, `"api_key":"x"`: a secret by its shape, whoever wrote the text. */
const AUTH_SCHEME =
  /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:bearer|basic|apikey|token|digest|negotiate)\s+)[^\s"',;]+/gi;
const KEY_EQUALS =
  /\b((?:x-api-key|api[-_]?key|access[-_]?token|auth[-_]?token|token|password|passwd|secret|client[-_]?secret)=)[^\s&"',;]+/gi;
const JSON_SECRET =
  /("[a-z_-]*(?:password|passwd|secret|token|api_?key|apikey|credential|authorization|cookie)[a-z_-]*"\s*:\s*")((?:[^"\\]|\\.)*)"/gi;

/**
 * The text with every known secret replaced by ***, URL user info and secret query parameters
 * masked, and header/JSON shapes of a credential masked. Use it on anything that leaves the
 * process as text: log lines, error messages, dead-letter reasons.
 */
export function redact(text: string, extra?: Iterable<string>): string {
  let out = text;
  const list =
    extra === undefined
      ? sorted
      : [...sorted, ...extra].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
  for (const s of list) if (out.includes(s)) out = out.split(s).join(MASK);
  return maskUrl(out)
    .replace(AUTH_SCHEME, `$1${MASK}`)
    .replace(KEY_EQUALS, `$1${MASK}`)
    .replace(JSON_SECRET, (_m, head: string) => `${head}${MASK}"`);
}
