// Every real sample (and the structured ones) → ECS and OTLP/JSON, compared with the reviewed
// goldens in test/golden (regenerate with `node scripts/update-goldens.ts`, then review the diff).

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../../src/normalize/decode.ts';
import { otlpJsonResourceLogs } from '../../../src/exporters/otlp-http/otlp-json.ts';
import { GOLDEN_DIR, sharedSamples, structuredSamples, testMapper } from '../../helpers/samples.ts';

const GOLDEN_STREAM_LINES = 20;

describe('goldens', () => {
  const mapper = testMapper();
  for (const s of [...sharedSamples(GOLDEN_STREAM_LINES), ...structuredSamples()]) {
    it(s.rel, () => {
      const ecs: unknown[] = [];
      const otlp: unknown[] = [];
      for (const r of s.records) {
        const res = decodeText(r);
        expect(res.ok).toBe(true);
        if (!res.ok) return;
        ecs.push(mapper.toEcs(res.event).doc);
        otlp.push(otlpJsonResourceLogs(mapper.toOtel(res.event)));
      }
      const single = s.records.length === 1 && !s.rel.endsWith('.ndjson');
      for (const [kind, docs] of [
        ['ecs', ecs],
        ['otlp', otlp],
      ] as const) {
        const file = path.join(GOLDEN_DIR, kind, s.rel.replace(/\.(nd)?json$/, '') + '.json');
        const expected = JSON.parse(fs.readFileSync(file, 'utf8'));
        expect(single ? docs[0] : docs, `${kind} golden ${path.relative(GOLDEN_DIR, file)}`).toEqual(expected);
      }
    });
  }
});
