// An invalid setting, with where it is: the key path below the section the checker handed over
// (`['tls', 'ca_file']`) and the reason alone. `config check` prefixes the section's config path and
// the YAML line:column; nothing parses the message.

export type OptionPath = Array<string | number>;

export class OptionError extends Error {
  readonly path: OptionPath;
  readonly reason: string;
  constructor(path: OptionPath, reason: string) {
    super(`${formatOptionPath(path)}: ${reason}`);
    this.name = 'OptionError';
    this.path = path;
    this.reason = reason;
  }
}

/** ['exporters', 1, 'tls', 'ca_file'] → `exporters[1].tls.ca_file`. */
export function formatOptionPath(p: OptionPath): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('') || '(top level)';
}

/** `tls.caFingerprint` / `endpoints[1]` (a resolver's structured path field) → ['tls', 'ca_fingerprint'] / ['endpoints', 1], snake_case. */
export function optionPathOf(dotted: string, key: (s: string) => string = (s) => s): OptionPath {
  return dotted
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : key(s)));
}
