// A host name split at its registered domain by the Public Suffix List (the `tldts` package, which
// carries the list): www.uol.com.br → registered domain uol.com.br, top level domain com.br,
// subdomain www, as ECS's dns.question.* / url.* / *.registered_domain fields want them (Kibana's
// DNS view aggregates on dns.question.registered_domain). IP literals and names without a
// registrable part (localhost, a bare suffix) give nothing.

import { parse } from 'tldts';
import { plain, type TransformFactory } from './index.ts';

interface Parts { registered?: string; suffix?: string; subdomain?: string }

// The three transforms run one after the other on the same name: parse it once.
let lastName: string | undefined;
let lastParts: Parts = {};

function partsOf(v: unknown): Parts {
  if (typeof v !== 'string' || v === '') return {};
  if (v === lastName) return lastParts;
  // DNS names are not URLs: no scheme or path to strip; a trailing root dot is dropped by tldts.
  // Names are case-insensitive, the list is lower case.
  const p = parse(v.toLowerCase(), { extractHostname: false, validateHostname: false });
  const parts: Parts = p.isIp === true || !p.domain ? {} : { registered: p.domain, suffix: p.publicSuffix ?? undefined, subdomain: p.subdomain || undefined };
  lastName = v;
  lastParts = parts;
  return parts;
}

export const domainTransforms: Record<string, TransformFactory> = {
  registered_domain: plain((v) => partsOf(v).registered),
  top_level_domain: plain((v) => partsOf(v).suffix),
  subdomain: plain((v) => partsOf(v).subdomain),
};
