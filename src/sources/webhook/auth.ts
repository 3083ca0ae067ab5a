// Optional request authentication: a bearer token or basic credentials (Tracee sends basic auth
// when the webhook URL carries them: http://user:pass@host:8080/events — Go's http.Client turns
// the URL's user info into an Authorization header). Compared in constant time: both sides are
// hashed first, so neither the content nor the length of the secret leaks through timing.

import { createHash, timingSafeEqual } from 'node:crypto';
import { OptionError } from '../../util/option-error.ts';

export interface Authenticator {
  check(authorization: string | undefined): boolean;
  /** The WWW-Authenticate value of a 401. */
  readonly challenge: string;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function createAuthenticator(
  auth: { bearer_token?: string; username?: string; password?: string } | undefined,
): Authenticator | undefined {
  if (auth === undefined) return undefined;
  if (auth.bearer_token !== undefined) {
    const want = digest(auth.bearer_token);
    return {
      challenge: 'Bearer realm="tracee-exporter"',
      check(h) {
        const m = h === undefined ? null : /^bearer +(.+)$/i.exec(h.trim());
        return timingSafeEqual(digest(m ? m[1] : ''), want) && m !== null;
      },
    };
  }
  if (auth.username !== undefined && auth.password !== undefined) {
    const want = digest(`${auth.username}:${auth.password}`);
    return {
      challenge: 'Basic realm="tracee-exporter", charset="UTF-8"',
      check(h) {
        const m = h === undefined ? null : /^basic +([A-Za-z0-9+/=]+)$/i.exec(h.trim());
        const given = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
        return timingSafeEqual(digest(given), want) && m !== null;
      },
    };
  }
  throw new OptionError(['auth'], 'give bearer_token, or username and password');
}
