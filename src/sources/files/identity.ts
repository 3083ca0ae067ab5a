// Which file is this? device + inode say which file a path names now; a fingerprint of its first
// bytes tells a file from a new one that reuses the inode (delete + create) and recognises a
// copy (copytruncate rotation). Inode numbers can exceed 2^53: kept as decimal strings.

import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/** Bytes hashed for the fingerprint (fewer while the file is shorter). */
export const FINGERPRINT_BYTES = 1024;

export interface FileIdentity {
  dev: string;
  ino: string;
  /** sha256 (hex) of the first `fingerprintBytes` bytes. */
  fingerprint: string;
  fingerprintBytes: number;
}

export const identityKey = (id: { dev: string; ino: string }): string => `${id.dev}:${id.ino}`;

/** sha256 of the first `n` bytes (fewer if the file is shorter: then `bytes` says how many). */
export async function fingerprintOf(
  handle: FileHandle,
  n = FINGERPRINT_BYTES,
): Promise<{ fingerprint: string; bytes: number }> {
  const buf = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    const { bytesRead } = await handle.read(buf, got, n - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return { fingerprint: createHash('sha256').update(buf.subarray(0, got)).digest('hex'), bytes: got };
}

/** The identity of an open file, and its size. */
export async function identify(handle: FileHandle): Promise<FileIdentity & { size: number }> {
  const st = await handle.stat({ bigint: true });
  const fp = await fingerprintOf(handle);
  return {
    dev: String(st.dev),
    ino: String(st.ino),
    fingerprint: fp.fingerprint,
    fingerprintBytes: fp.bytes,
    size: Number(st.size),
  };
}

/** Do the file's first `fingerprintBytes` bytes still hash to `fingerprint`? */
export async function sameContentStart(
  handle: FileHandle,
  id: Pick<FileIdentity, 'fingerprint' | 'fingerprintBytes'>,
): Promise<boolean> {
  const fp = await fingerprintOf(handle, id.fingerprintBytes);
  return fp.bytes === id.fingerprintBytes && fp.fingerprint === id.fingerprint;
}
