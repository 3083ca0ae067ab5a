// File arguments: descriptors in Tracee's resolved form, and open flags that decide whether the
// mode argument means anything.

import type { DataField } from '../../model/event.ts';
import { lookupTable } from '../lookups.ts';
import type { Transform, TransformFactory } from './index.ts';

// (not index.ts's plain: this module is imported on its own by tests, before the registry)
const plain =
  (fn: Transform): TransformFactory =>
  () =>
    fn;

/**
 * An fd argument: a number, or with `parse-arguments-fds` (Tracee ≤ v0.24, `--output
 * option:parse-arguments-fds`) the text "<fd>=<path>", e.g. "3=/etc/locale.alias".
 */
export function splitFd(v: unknown): { fd?: number; path?: string } | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? { fd: v } : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^(-?\d+)=(.*)$/s.exec(v);
  if (m === null) return /^-?\d+$/.test(v) ? { fd: Number(v) } : undefined;
  return { fd: Number(m[1]), ...(m[2] !== '' ? { path: m[2] } : {}) };
}

function argOf(data: readonly DataField[], name: string): unknown {
  for (const d of data) if (d.name === name) return d.value;
  return undefined;
}

/** Does a flags value (a number, or names joined by "|" as Tracee parses them) hold any of `bits`? */
export function hasAnyFlag(flags: unknown, bits: Record<string, unknown>): boolean | undefined {
  let n: number | undefined;
  if (typeof flags === 'number') n = flags;
  else if (typeof flags === 'bigint') n = Number(flags & 0xffffffffn);
  else if (typeof flags === 'string' && /^\d+$/.test(flags)) n = Number(flags);
  if (n !== undefined) return Object.values(bits).some((b) => typeof b === 'number' && (n & b) !== 0);
  if (typeof flags !== 'string' || flags === '') return undefined;
  const names = flags.split('|').map((x) => x.trim());
  return names.some((x) => Object.hasOwn(bits, x));
}

export const fileTransforms: Record<string, TransformFactory> = {
  // a file's path only: "socket:[123]", "pipe:[4]", "anon_inode:[eventfd]" are not files
  fd_path: plain((v) => {
    const p = splitFd(v)?.path;
    return p?.startsWith('/') ? p : undefined;
  }),
  fd_number: plain((v) => splitFd(v)?.fd),
  // The value only when the event's `flags` argument holds one of the flags of the lookup table
  // (name → bit): open's mode is used only with O_CREAT or O_TMPFILE, the kernel ignores it otherwise.
  when_flags: (arg, lookups) => {
    const bits = lookupTable(lookups, arg ?? '');
    return (v, input) => (hasAnyFlag(argOf(input.event.data, 'flags'), bits) === true ? v : undefined);
  },
};
