// Files that hold event data (dead letter, disk-buffer segments and checkpoints, file-source
// checkpoints) are private to the exporter's user: created 0600 in folders created 0700, whatever
// the umask (a umask only takes bits away), and opened with O_NOFOLLOW so a symlink planted at the
// path (e.g. the dead letter pointed at /etc/…) is refused instead of followed. Existing folders are
// the operator's: never chmod-ed, only reported when anyone else may write into them.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

// O_NOFOLLOW is 0 where the platform has none (Windows): then a symlink is checked with lstat
const { O_NOFOLLOW = 0, O_CREAT, O_WRONLY, O_APPEND, O_EXCL, O_TRUNC } = fs.constants;

export class UnsafePathError extends Error {
  readonly code = 'UNSAFE_PATH';
  constructor(message: string) {
    super(message);
    this.name = 'UnsafePathError';
  }
}

export type PrivateOpenMode = 'append' | 'create' | 'truncate';

function flagsOf(mode: PrivateOpenMode): number {
  const base = O_WRONLY | O_CREAT | O_NOFOLLOW;
  return mode === 'append' ? base | O_APPEND : mode === 'create' ? base | O_EXCL : base | O_TRUNC;
}

function refuseSymlink(file: string, err: unknown): never | void {
  const code = (err as NodeJS.ErrnoException).code;
  // Linux answers ELOOP for O_NOFOLLOW on a symlink; some systems EMLINK
  if (code === 'ELOOP' || code === 'EMLINK') {
    throw new UnsafePathError(
      `${file} is a symbolic link: refused (files holding event data are never opened through a link; point the setting at the real file)`,
    );
  }
}

function lstatIsLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Open `file` for writing, private: created 0600, never through a symlink. An existing file with
 * group/other bits (written by an older version) is narrowed to 0600: it holds event data.
 */
export function openPrivateFileSync(file: string, mode: PrivateOpenMode): number {
  if (O_NOFOLLOW === 0 && lstatIsLink(file)) refuseSymlink(file, Object.assign(new Error(), { code: 'ELOOP' }));
  let fd: number;
  try {
    fd = fs.openSync(file, flagsOf(mode), PRIVATE_FILE_MODE);
  } catch (err) {
    refuseSymlink(file, err);
    throw err;
  }
  try {
    // a device (/dev/null) is left as it is
    const st = fs.fstatSync(fd);
    if (st.isFile() && (st.mode & 0o077) !== 0) fs.fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  return fd;
}

/** openPrivateFileSync, as a FileHandle. */
export async function openPrivateFile(file: string, mode: PrivateOpenMode): Promise<fsp.FileHandle> {
  if (O_NOFOLLOW === 0 && lstatIsLink(file)) refuseSymlink(file, Object.assign(new Error(), { code: 'ELOOP' }));
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, flagsOf(mode), PRIVATE_FILE_MODE);
  } catch (err) {
    refuseSymlink(file, err);
    throw err;
  }
  try {
    const st = await fh.stat();
    if (st.isFile() && (st.mode & 0o077) !== 0) await fh.chmod(PRIVATE_FILE_MODE);
  } catch (err) {
    await fh.close();
    throw err;
  }
  return fh;
}

/**
 * A line about `dir` when someone else may write into it (they could delete or swap our files), else
 * undefined: group/world-writable, or owned by another user than us and root.
 */
export function looseDirWarning(dir: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    return undefined;
  }
  const uid = process.getuid?.();
  const tip = "files holding event data should live in a folder only the exporter's user can write (e.g. mkdir -m 700)";
  if ((st.mode & 0o022) !== 0) {
    const who = (st.mode & 0o002) !== 0 ? 'world' : 'group';
    return `${dir} is ${who}-writable (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}): ${tip}`;
  }
  if (uid !== undefined && st.uid !== uid && st.uid !== 0)
    return `${dir} belongs to uid ${st.uid}, not to this process (uid ${uid}): ${tip}`;
  return undefined;
}

/** The nearest folder of `dir` (itself included) that exists. */
function existingAncestor(dir: string): string {
  let d = path.resolve(dir);
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

/**
 * Create `dir` (and missing parents) 0700; folders that exist are left as they are. Returns a
 * warning (looseDirWarning) about `dir` when it existed, else about the folder it was created in.
 */
export function ensurePrivateDirSync(dir: string): string | undefined {
  const before = existingAncestor(dir);
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  return looseDirWarning(before);
}

export async function ensurePrivateDir(dir: string): Promise<string | undefined> {
  const before = existingAncestor(dir);
  await fsp.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  return looseDirWarning(before);
}
