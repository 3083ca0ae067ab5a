// Regenerate test/golden/ from the samples with the fixed test mapping context.
// Review the diff by hand before committing: goldens are the mapping's reviewed output.
// Usage: node scripts/update-goldens.ts

import fs from 'node:fs';
import path from 'node:path';
import { decodeText } from '../src/normalize/decode.ts';
import { otlpJsonResourceLogs } from '../src/exporters/otlp-http/otlp-json.ts';
import { GOLDEN_DIR, sharedSamples, structuredSamples, testMapper } from '../test/helpers/samples.ts';

export const GOLDEN_STREAM_LINES = 20;

const mapper = testMapper();
for (const s of [...sharedSamples(GOLDEN_STREAM_LINES), ...structuredSamples()]) {
  const ecs: unknown[] = [];
  const otlp: unknown[] = [];
  for (const r of s.records) {
    const res = decodeText(r);
    if (!res.ok) throw new Error(`${s.rel}: ${res.reason}`);
    ecs.push(mapper.toEcs(res.event).doc);
    otlp.push(otlpJsonResourceLogs(mapper.toOtel(res.event)));
  }
  for (const [kind, docs] of [
    ['ecs', ecs],
    ['otlp', otlp],
  ] as const) {
    const file = path.join(GOLDEN_DIR, kind, s.rel.replace(/\.(nd)?json$/, '') + '.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(
      file,
      JSON.stringify(docs.length === 1 && !s.rel.endsWith('.ndjson') ? docs[0] : docs, null, 1) + '\n',
    );
  }
}
console.log(`goldens written to ${path.relative(process.cwd(), GOLDEN_DIR)}`);
