// The members of a JSON object text, located without parsing it: lets a writer change one member of
// an already serialized document (the Elasticsearch bulk body sets data_stream.* on the mapper's
// JSON text). Only the object's own members are read; nested values are skipped as text.

export interface JsonMember {
  key: string;
  /** Where the value's text starts and ends (end exclusive). */
  start: number;
  end: number;
}

const WS = /[ \t\n\r]*/y;

function skipWs(text: string, i: number): number {
  WS.lastIndex = i;
  WS.test(text);
  return WS.lastIndex;
}

/** i at an opening quote → the index after its closing quote, or -1. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; ; ) {
    const q = text.indexOf('"', j);
    if (q < 0) return -1;
    let backslashes = 0;
    for (let k = q - 1; text.charCodeAt(k) === 92; k--) backslashes++;
    if ((backslashes & 1) === 0) return q + 1;
    j = q + 1;
  }
}

/** i at the start of a value → the index after it, or -1 (text that is not JSON). */
function valueEnd(text: string, i: number): number {
  const n = text.length;
  let depth = 0;
  for (let j = i; j < n; j++) {
    const c = text.charCodeAt(j);
    if (c === 34) {
      // '"': jump over the string
      const e = stringEnd(text, j);
      if (e < 0) return -1;
      if (depth === 0) return e;
      j = e - 1;
    } else if (c === 123 || c === 91)
      depth++; // '{' '['
    else if (c === 125 || c === 93) {
      // '}' ']'
      if (depth === 0) return j > i ? j : -1; // end of a scalar at the enclosing object's end
      if (--depth === 0) return j + 1;
    } else if (depth === 0 && (c === 44 || c === 32 || c === 9 || c === 10 || c === 13)) return j > i ? j : -1; // ',' or space ends a scalar
  }
  return depth === 0 && n > i ? n : -1;
}

/**
 * Members of the object whose text spans [start, end), in order; undefined if it is not an object.
 * With `wanted`, reading stops once all of those keys are found (JSON text from an object has no
 * repeated keys), so a member near the start is found without reading the rest.
 */
export function jsonMembers(
  text: string,
  start = 0,
  end = text.length,
  wanted?: readonly string[],
): JsonMember[] | undefined {
  let i = skipWs(text, start);
  if (text[i] !== '{') return undefined;
  const out: JsonMember[] = [];
  let missing = wanted?.length ?? -1;
  i = skipWs(text, i + 1);
  if (text[i] === '}') return skipWs(text, i + 1) === end ? out : undefined;
  for (;;) {
    if (text[i] !== '"') return undefined;
    const keyEnd = stringEnd(text, i);
    if (keyEnd < 0) return undefined;
    const raw = text.slice(i, keyEnd);
    const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
    i = skipWs(text, keyEnd);
    if (text[i] !== ':') return undefined;
    const vs = skipWs(text, i + 1);
    const ve = valueEnd(text, vs);
    if (ve < 0 || ve > end) return undefined;
    out.push({ key, start: vs, end: ve });
    if (wanted !== undefined && wanted.includes(key) && --missing === 0) return out;
    i = skipWs(text, ve);
    if (text[i] === ',') {
      i = skipWs(text, i + 1);
      continue;
    }
    if (text[i] === '}') return skipWs(text, i + 1) === end ? out : undefined;
    return undefined;
  }
}
