// The Forward protocol v1 handshake (server side), when a shared key is configured:
//   server → ['HELO', {nonce, auth, keepalive}]          nonce: random bytes; auth: user salt or ''
//   client → ['PING', client_hostname, shared_key_salt, sha512_hex(salt + client_hostname + nonce + shared_key),
//             username, sha512_hex(auth_salt + username + password)]   (username/digest '' without users)
//   server → ['PONG', true, '', server_hostname, sha512_hex(salt + server_hostname + nonce + shared_key)]
//            or ['PONG', false, reason, '', ''] and the connection is closed.
// Digests are compared in constant time (hashed again to equal lengths).

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface HandshakeConfig {
  sharedKey: string;
  /** When not empty, PING must carry one of these users with its password digest. */
  users: Array<{ username: string; password: string }>;
  /** The server hostname sent in PONG (a client refuses its own hostname). */
  selfHostname: string;
}

export interface HeloState {
  nonce: Buffer;
  authSalt: Buffer | undefined;
}

export type PingResult =
  | { ok: true; pong: unknown[]; client: string; username: string }
  | { ok: false; pong: unknown[]; reason: string; client?: string };

type Bytes = string | Uint8Array;

function sha512Hex(...parts: Bytes[]): string {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** Equal in constant time, whatever the lengths. */
function sameText(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

const text = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : undefined;

export function createHandshake(cfg: HandshakeConfig) {
  return {
    helo(): { message: unknown[]; state: HeloState } {
      const nonce = randomBytes(16);
      const authSalt = cfg.users.length > 0 ? randomBytes(16) : undefined;
      // auth '' (falsy) when no user is required: clients send user credentials only when it is set
      return { message: ['HELO', { nonce, auth: authSalt ?? '', keepalive: true }], state: { nonce, authSalt } };
    },

    checkPing(msg: unknown, st: HeloState): PingResult {
      const refuse = (reason: string, client?: string): PingResult => ({
        ok: false,
        reason,
        client,
        pong: ['PONG', false, reason, '', ''],
      });
      if (!Array.isArray(msg) || msg[0] !== 'PING')
        return refuse('expected PING (this server requires the shared key handshake)');
      if (msg.length !== 6) return refuse(`PING of ${msg.length} elements, expected 6`);
      const [, hostV, saltV, digestV, userV, passV] = msg;
      const host = typeof hostV === 'string' ? hostV : undefined;
      const salt = typeof saltV === 'string' || saltV instanceof Uint8Array ? saltV : undefined;
      const digest = text(digestV);
      const username = text(userV) ?? '';
      const passDigest = text(passV) ?? '';
      if (host === undefined || salt === undefined || digest === undefined) return refuse('malformed PING');
      if (host === cfg.selfHostname) return refuse('same hostname as the server: invalid configuration', host);
      if (!sameText(digest, sha512Hex(salt, host, st.nonce, cfg.sharedKey))) return refuse('shared_key mismatch', host);
      if (st.authSalt !== undefined) {
        // every configured user is checked, so the time does not tell which names exist
        let ok = false;
        for (const u of cfg.users) {
          const match =
            sameText(username, u.username) && sameText(passDigest, sha512Hex(st.authSalt, u.username, u.password));
          ok = ok || match;
        }
        if (!ok) return refuse('username/password mismatch', host);
      }
      return {
        ok: true,
        client: host,
        username,
        pong: ['PONG', true, '', cfg.selfHostname, sha512Hex(salt, cfg.selfHostname, st.nonce, cfg.sharedKey)],
      };
    },
  };
}

export type Handshake = ReturnType<typeof createHandshake>;
