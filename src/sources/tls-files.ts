// A listener's TLS files, checked by `config check` without listening.

import fs from 'node:fs';
import type { SourceCheck } from './types.ts';

/** `config check`: the TLS certificate and key a listener would read must be readable. */
export function checkReadable(tls: { cert_file?: string; key_file?: string } | undefined, chk: SourceCheck): void {
  for (const k of ['cert_file', 'key_file'] as const) {
    const f = tls?.[k];
    if (f !== undefined) chk.attempt(['tls', k], () => fs.accessSync(f, fs.constants.R_OK));
  }
}
