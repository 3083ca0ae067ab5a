// Preloaded into a child process under test (`node --import ./test/helpers/prototype-canary.ts …`):
// at exit it writes to $PROTOTYPE_CANARY_OUT which properties appeared on the built-in prototypes
// since start (hostile `__proto__` / `constructor.prototype` input must add none) and the peak RSS.

import fs from 'node:fs';

const watched: Record<string, object> = {
  Object: Object.prototype,
  Array: Array.prototype,
  Function: Function.prototype,
  String: String.prototype,
};
const before = new Map(Object.entries(watched).map(([k, p]) => [k, new Set(Reflect.ownKeys(p).map(String))]));

process.on('exit', () => {
  const out = process.env.PROTOTYPE_CANARY_OUT;
  if (!out) return;
  const added: Record<string, string[]> = {};
  for (const [k, p] of Object.entries(watched)) {
    const keys = Reflect.ownKeys(p)
      .map(String)
      .filter((x) => !before.get(k)!.has(x));
    if (keys.length > 0) added[k] = keys;
  }
  const probe = {} as Record<string, unknown>;
  fs.writeFileSync(
    out,
    JSON.stringify({ added, pollutedVisible: 'polluted' in probe, maxRssKb: process.resourceUsage().maxRSS }),
  );
});
