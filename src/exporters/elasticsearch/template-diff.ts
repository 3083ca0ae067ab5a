// Differences between the template we would install and what the cluster has. ES echoes templates back with
// numbers as strings in settings and with defaults added, so: every leaf we expect must be there with the same
// value (compared as strings), and no mapping property may exist that we do not expect.

type Json = unknown;

function isObj(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function templateDiff(expected: Json, actual: Json, path = ''): string[] {
  const out: string[] = [];
  if (isObj(expected)) {
    if (!isObj(actual)) return [`${path || '(root)'}: expected an object, found ${JSON.stringify(actual)}`];
    for (const [k, v] of Object.entries(expected)) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in actual)) out.push(`${p}: missing (expected ${JSON.stringify(v)})`);
      else out.push(...templateDiff(v, actual[k], p));
    }
    if (path.endsWith('properties') || path.endsWith('.fields')) {
      for (const k of Object.keys(actual)) if (!(k in expected)) out.push(`${path}.${k}: not in our template`);
    }
    return out;
  }
  if (Array.isArray(expected)) {
    const a = Array.isArray(actual) ? actual : [actual];
    if (
      JSON.stringify(expected.map(String)) !== JSON.stringify(a.map(String)) &&
      JSON.stringify(expected) !== JSON.stringify(a)
    ) {
      out.push(`${path}: expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}`);
    }
    return out;
  }
  if (String(expected) !== String(actual))
    out.push(`${path}: expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}`);
  return out;
}
