// One input record (JSON text) → one TraceeEvent, or a rejection with a reason.
// The shape is detected per event from its keys; an object that fits no shape is rejected.

import type { InputShape, TraceeEvent } from '../model/event.ts';
import { isMarkedBig, parseLossless } from '../util/lossless-json.ts';
import { fromClassic } from './classic.ts';
import { fromFinding } from './finding.ts';
import { withCanonicalClassicKeys } from './canonical-keys.ts';
import { isObj, type Obj, ShapeError } from './read.ts';
import { fromStructured } from './structured.ts';
import { cleanValue, mayNeedCleaning } from './text-policy.ts';

export type DecodeResult =
  | { ok: true; event: TraceeEvent; shape: InputShape }
  | { ok: false; reason: string; code: RejectCode };

export type RejectCode = 'malformed_json' | 'not_an_object' | 'unknown_shape' | 'wrong_type' | 'too_large' | 'too_deep';

export interface DecodeOptions {
  /** Longest accepted record in characters (default 4 MiB); longer records are rejected. */
  maxRecordChars?: number;
}

const DEFAULT_MAX = 4 * 1024 * 1024;

export function decodeText(text: string, opts?: DecodeOptions): DecodeResult {
  const max = opts?.maxRecordChars ?? DEFAULT_MAX;
  if (text.length > max) return reject('too_large', `record of ${text.length} characters exceeds the limit of ${max}`);
  let parsed: ReturnType<typeof parseLossless>;
  try {
    parsed = parseLossless(text);
  } catch (err) {
    if (err instanceof RangeError) return reject('too_deep', 'JSON nested too deeply');
    return reject('malformed_json', `malformed JSON: ${(err as Error).message}`);
  }
  // the text policy (text-policy.ts) walks the value only when the text can hold what it rewrites
  return decodeParsed(mayNeedCleaning(text) ? cleanValue(parsed.value) : parsed.value, parsed.marked, parsed.bigCount);
}

/**
 * Decode an already parsed value (e.g. an element of a JSON array). `bigCount`: how many marked big
 * integers the whole value holds, when known (lets a classic event skip walking its arguments).
 */
export function decodeValue(value: unknown, marked = false, bigCount?: number): DecodeResult {
  try {
    value = cleanValue(value); // the text policy (text-policy.ts): values from elsewhere are walked
  } catch (err) {
    if (err instanceof RangeError) return reject('too_deep', 'event nested too deeply');
    throw err;
  }
  return decodeParsed(value, marked, bigCount);
}

function decodeParsed(value: unknown, marked: boolean, bigCount: number | undefined): DecodeResult {
  if (!isObj(value))
    return reject(
      'not_an_object',
      `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`,
    );
  const shape = detectShape(value);
  if (shape === undefined)
    return reject(
      'unknown_shape',
      `not a Tracee event: no eventName/args (classic) nor name/workload/data (structured) keys (keys: ${Object.keys(value).slice(0, 8).join(', ') || 'none'})`,
    );
  try {
    switch (shape) {
      case 'classic':
        return {
          ok: true,
          shape,
          event: fromClassic(withCanonicalClassicKeys(value), marked && !allMarksTopLevel(value, bigCount)),
        };
      case 'finding':
        return { ok: true, shape, event: fromFinding(value, marked) };
      default:
        return { ok: true, shape, event: fromStructured(value, marked) };
    }
  } catch (err) {
    if (err instanceof ShapeError) return reject('wrong_type', err.message);
    if (err instanceof RangeError) return reject('too_deep', 'event nested too deeply');
    throw err;
  }
}

/**
 * True when every marked big integer is a top-level field (timestamps, ids), which the classic
 * reader revives as it reads them: argument values then hold none and need no deep walk.
 */
function allMarksTopLevel(o: Obj, bigCount: number | undefined): boolean {
  if (bigCount === undefined) return false;
  let n = 0;
  for (const k in o) if (Object.hasOwn(o, k) && isMarkedBig(o[k])) n++;
  return n === bigCount;
}

function reject(code: RejectCode, reason: string): DecodeResult {
  return { ok: false, code, reason };
}

/** Classic and structured events share no identifying key; a finding wraps a classic event. */
export function detectShape(o: Obj): InputShape | undefined {
  if ('eventName' in o) return 'classic';
  if ('workload' in o || ('name' in o && ('data' in o || 'timestamp' in o) && !('args' in o))) {
    return hasCamelKeys(o) ? 'structured-proto3' : 'structured';
  }
  if ('Context' in o && 'SigMetadata' in o) return 'finding';
  // Go's decoder matches keys case-insensitively; Tracee's own tests feed lower-case keys.
  if ('eventname' in o || 'EventName' in o) return 'classic';
  return undefined;
}

function hasCamelKeys(o: Obj): boolean {
  if ('detectedFrom' in o) return true;
  const w = o.workload;
  if (isObj(w) && isObj(w.process)) {
    const p = w.process;
    return 'hostPid' in p || 'uniqueId' in p || 'realUser' in p;
  }
  return false;
}
