// Which files a file source reads: its configured paths and globs (`*`, `?`, `[...]`, `{a,b}`,
// `**`) expanded to file names, in name order, never its own checkpoint; and which identities
// (device + inode) those names hold now, so positions of files gone from every path are forgotten.

import fs from 'node:fs/promises';
import path from 'node:path';

const GLOB_CHARS = /[*?[\]{}]/;
export const isGlob = (p: string): boolean => GLOB_CHARS.test(p);

/** A configured path itself (waited for when it is missing), not a name a glob found. */
export const isLiteralPath = (file: string, paths: string[]): boolean => !isGlob(file) && paths.includes(file);

/** The file names the paths name now (a literal path whether it exists or not), sorted. */
export async function expandPaths(paths: string[], checkpointPath: string | undefined): Promise<string[]> {
  const out = new Set<string>();
  for (const p of paths) {
    if (!isGlob(p)) {
      out.add(p);
      continue;
    }
    for await (const m of fs.glob(p)) out.add(m);
  }
  // never our own checkpoint (or its temp file), should a glob match it
  const cp = checkpointPath === undefined ? undefined : path.resolve(checkpointPath);
  return [...out].filter((m) => cp === undefined || !path.resolve(m).startsWith(cp)).sort();
}

/** Is this name one of the paths, or matched by one of the globs? */
export function matchedByPaths(p: string, paths: string[]): boolean {
  return paths.some((pat) => (isGlob(pat) ? path.matchesGlob(p, pat) : path.resolve(pat) === path.resolve(p)));
}

/** The identity keys (`dev:ino`) of the regular files among these names. */
export async function identitiesOf(names: string[]): Promise<Set<string>> {
  const seen = new Set<string>();
  for (const m of names) {
    try {
      const st = await fs.stat(m, { bigint: true });
      if (st.isFile()) seen.add(`${st.dev}:${st.ino}`);
    } catch {
      /* gone */
    }
  }
  return seen;
}
