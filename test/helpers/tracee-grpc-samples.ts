// The real Tracee samples as the events a Tracee gRPC server would stream: each classic fixture
// (and each hand-converted structured fixture) decoded with our normalizer and printed in the
// structured (v1beta1) shape, as `map --to event` does (src/normalize/print-structured.ts).

import { decodeText } from '../../src/normalize/decode.ts';
import { toStructuredJson } from '../../src/normalize/print-structured.ts';
import { sharedSamples, structuredSamples } from './samples.ts';

export interface GrpcSample {
  /** fixture path (relative) and record number */
  id: string;
  /** the fixture record as read from JSON */
  text: string;
  /** the same event in Tracee's structured JSON shape (with our `classic` extension) */
  structured: Record<string, unknown>;
  /** the structured JSON without `classic`: what Tracee itself would print for that event */
  structuredText: string;
}

export function grpcSamples(streamLimit = 5): GrpcSample[] {
  const out: GrpcSample[] = [];
  for (const s of [...sharedSamples(streamLimit), ...structuredSamples()]) {
    s.records.forEach((text, i) => {
      const d = decodeText(text);
      if (!d.ok) throw new Error(`${s.rel}#${i + 1}: fixture does not decode: ${d.reason}`);
      const structured = toStructuredJson(d.event);
      const { classic: _classic, ...tracee } = structured;
      out.push({ id: `${s.rel}#${i + 1}`, text, structured, structuredText: JSON.stringify(tracee) });
    });
  }
  return out;
}
