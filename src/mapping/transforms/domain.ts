// A host name split at its registered domain by the Public Suffix List (the `tldts` package, which
// carries the list): www.uol.com.br → registered domain uol.com.br, top level domain com.br,
// subdomain www, as ECS's dns.question.* / url.* / *.registered_domain fields want them (Kibana's
// DNS view aggregates on dns.question.registered_domain). IP literals and names without a
// registrable part (localhost, a bare suffix) give nothing.

import { parse } from 'tldts';
import { plain, type TransformFactory } from './index.ts';

interface Parts {
  registered?: string;
  suffix?: string;
  subdomain?: string;
}

// The three transforms run one after the other on the same name: parse it once.
let lastName: string | undefined;
let lastParts: Parts = {};

// Labels of letters, digits, '-' and '_' (service names: _sip._tcp), an optional root dot; at most
// 253 characters. Anything else (an HTTP Host is the client's to choose) is not split.
const HOST_NAME =
  /^(?=.{1,253}\.?$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/;

function partsOf(v: unknown): Parts {
  if (typeof v !== 'string' || v === '') return {};
  if (v === lastName) return lastParts;
  // Names are case-insensitive, the list is lower case. The list's private part counts too
  // (duckdns.org, ngrok.io: each customer's name is a registered domain), as Packetbeat does.
  const name = v.toLowerCase();
  const p = HOST_NAME.test(name)
    ? parse(name, { extractHostname: false, validateHostname: false, allowPrivateDomains: true })
    : undefined;
  lastName = v;
  lastParts =
    p === undefined || p.isIp === true || !p.domain
      ? {}
      : { registered: p.domain, suffix: p.publicSuffix ?? undefined, subdomain: p.subdomain || undefined };
  return lastParts;
}

export const domainTransforms: Record<string, TransformFactory> = {
  registered_domain: plain((v) => partsOf(v).registered),
  top_level_domain: plain((v) => partsOf(v).suffix),
  subdomain: plain((v) => partsOf(v).subdomain),
};
