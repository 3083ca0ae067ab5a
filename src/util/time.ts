// Exact nanosecond time helpers (epoch ns as bigint ↔ RFC 3339 with nanoseconds).

const NS_PER_SEC = 1_000_000_000n;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;

/** RFC 3339 (with up to 9 fractional digits) → epoch ns, or undefined if not RFC 3339. */
export function parseRfc3339Ns(s: string): bigint | undefined {
  const m = RFC3339.exec(s);
  if (m === null) return undefined;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  if (Number.isNaN(ms)) return undefined;
  let offsetMin = 0;
  if (m[8] !== 'Z' && m[8] !== 'z') {
    const sign = m[8][0] === '-' ? -1 : 1;
    offsetMin = sign * (Number(m[8].slice(1, 3)) * 60 + Number(m[8].slice(4, 6)));
  }
  const frac = m[7] === undefined ? 0n : BigInt(m[7].padEnd(9, '0'));
  return BigInt(ms - offsetMin * 60_000) * 1_000_000n + frac;
}

// "YYYY-MM-DDTHH:MM:SS" by epoch second (decimal digits), shared by all formatters: interleaved
// streams and process start times repeat a few seconds. Small and cleared when full.
const secondPrefixes = new Map<string, string>();
const MAX_PREFIXES = 256;

function secondPrefix(secDigits: string): string {
  let p = secondPrefixes.get(secDigits);
  if (p === undefined) {
    p = new Date(Number(secDigits) * 1000).toISOString().slice(0, 19);
    if (secondPrefixes.size >= MAX_PREFIXES) secondPrefixes.clear();
    secondPrefixes.set(secDigits, p);
  }
  return p;
}

/**
 * A formatter epoch ns → "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" for one hot call site: events of a
 * stream share their second, so the date part is cached and the nanoseconds are cut from the
 * decimal digits (no BigInt division, no Date per event). One instance per call site, so that
 * different clocks (event time, process start) do not evict each other.
 */
export function createRfc3339NsFormatter(): (ns: bigint) => string {
  let secDigits = '';
  let secPrefix = '';
  let lastNs = -1n;
  let last = '';
  return (ns) => {
    if (ns === lastNs) return last;
    if (ns < NS_PER_SEC) return formatRfc3339Ns(ns);
    const digits = ns.toString();
    const sd = digits.slice(0, -9);
    if (sd !== secDigits) {
      secPrefix = secondPrefix(sd);
      secDigits = sd;
    }
    lastNs = ns;
    last = `${secPrefix}.${digits.slice(-9)}Z`;
    return last;
  };
}

/** epoch ns → "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (always 9 fractional digits: exact and sortable). */
export function formatRfc3339Ns(ns: bigint): string {
  let sec = ns / NS_PER_SEC;
  let frac = ns % NS_PER_SEC;
  if (frac < 0n) {
    frac += NS_PER_SEC;
    sec -= 1n;
  }
  const iso = new Date(Number(sec) * 1000).toISOString(); // "…:SS.000Z"
  return iso.slice(0, 19) + '.' + frac.toString().padStart(9, '0') + 'Z';
}

/** Like Go's time.RFC3339Nano: trailing zeros of the fraction dropped (Tracee's printer). */
export function formatRfc3339Nano(ns: bigint): string {
  const full = formatRfc3339Ns(ns);
  const frac = full.slice(20, 29).replace(/0+$/, '');
  return full.slice(0, 19) + (frac ? '.' + frac : '') + 'Z';
}

/** Epoch ns values before this are not wall-clock times (boot-relative in Tracee ≤ v0.10). */
export const PLAUSIBLE_EPOCH_NS = 946_684_800n * NS_PER_SEC; // 2000-01-01

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
