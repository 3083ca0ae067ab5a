// One policy for text that a terminal, a Kibana cell or a protobuf encoder would treat differently,
// applied once when an event is decoded, so that ECS, OTLP and `map --to event` carry the same text:
//   * invalid UTF-16 (a lone surrogate, e.g. from a JSON "\ud800" escape) → U+FFFD, as every UTF-8
//     encoder (OTLP protobuf, Elasticsearch's JSON parser) would make of it anyway;
//   * C0 controls other than TAB, LF and CR (NUL, ESC of ANSI sequences, BEL, …), DEL and the C1
//     controls (U+0080–U+009F, e.g. CSI) → the visible text "\u001b" (six characters), so that the
//     byte is still told but never acted on. A backslash in the input is left as it is.
// Object keys (argument names) get the same treatment. Marked big integers (the lossless parser's
// own "\u0001<digits>" strings) are left alone.

import { isMarkedBig } from '../util/lossless-json.ts';

/** Characters the policy rewrites: controls (but TAB, LF, CR), DEL, C1, and any surrogate (pairs are checked after). */
const SUSPECT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ud800-\udfff]/;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
/** Such a character raw in JSON text (C0 cannot be: JSON forbids it unescaped). */
const RAW_SUSPECT = /[\u007f-\u009f\ud800-\udfff]/;

const escapeControl = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** The text under the policy (the same string when nothing needs changing). */
export function cleanText(s: string): string {
  if (!SUSPECT.test(s) || isMarkedBig(s)) return s;
  const wellFormed = s.isWellFormed() ? s : s.toWellFormed();
  return wellFormed.replace(CONTROL, escapeControl);
}

/** Can the value parsed from this JSON text hold anything the policy rewrites? (false: skip the walk) */
export function mayNeedCleaning(json: string): boolean {
  // raw: only in non-ASCII text (byteLength is a native count; a regex scan costs twice as much)
  if (Buffer.byteLength(json) !== json.length && RAW_SUSPECT.test(json)) return true;
  // a "\\uXXXX" escape of one of them: 000x/001x (C0), 007f (DEL), 008x/009x (C1), d800-dfff
  for (let i = json.indexOf('\\u'); i >= 0; i = json.indexOf('\\u', i + 2)) {
    const h = json.slice(i + 2, i + 6).toLowerCase();
    if (h < '0020' || h === '007f' || (h >= '0080' && h < '00a0') || (h >= 'd800' && h < 'e000')) return true;
  }
  return false;
}

/**
 * Every string (and object key) in a parsed JSON value under the policy, in place; the value, or a
 * replacement when the value itself is a string. Iterative: nesting depth costs no stack.
 */
export function cleanValue(root: unknown): unknown {
  if (typeof root === 'string') return cleanText(root);
  if (root === null || typeof root !== 'object') return root;
  const stack: object[] = [root];
  while (stack.length > 0) {
    const o = stack.pop()!;
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) {
        const v: unknown = o[i];
        if (typeof v === 'string') {
          const c = cleanText(v);
          if (c !== v) o[i] = c;
        } else if (v !== null && typeof v === 'object') stack.push(v);
      }
      continue;
    }
    const rec = o as Record<string, unknown>;
    let renamed = false;
    for (const k of Object.keys(rec)) {
      const v = rec[k];
      if (typeof v === 'string') {
        const c = cleanText(v);
        if (c !== v) rec[k] = c;
      } else if (v !== null && typeof v === 'object') stack.push(v);
      if (!renamed && cleanText(k) !== k) renamed = true;
    }
    if (renamed) {
      // rebuild in the same key order with the keys under the policy
      const entries = Object.keys(rec).map((k) => [cleanText(k), rec[k]] as const);
      for (const k of Object.keys(rec)) delete rec[k];
      for (const [k, v] of entries)
        Object.defineProperty(rec, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }
  return root;
}
