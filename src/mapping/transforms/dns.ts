// DNS from any of Tracee's DNS shapes: a whole message (classic trace.ProtoDNS with Go field names,
// or v1beta1 `dns` in snake_case), a question list (trace.DnsQueryData) or a response list
// (trace.DnsResponseData / v1beta1 dns_responses).

import { isIP } from 'node:net';
import type { MapInput } from '../input.ts';
import { plain, type TransformFactory } from './index.ts';

type O = Record<string, unknown>;
const isO = (v: unknown): v is O => v !== null && typeof v === 'object' && !Array.isArray(v);

/** First present key among spellings (Go tag, snake_case). */
function pick(o: O, ...keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined && o[k] !== null && o[k] !== '') return o[k];
  return undefined;
}

interface Question {
  name?: string;
  type?: string;
  class?: string;
}
interface Answer {
  name?: string;
  type?: string;
  class?: string;
  ttl?: number;
  data?: string;
}

function questions(v: unknown): Question[] {
  if (isO(v))
    return (Array.isArray(v.questions) ? v.questions : [])
      .filter(isO)
      .map((q) => ({ name: s(q.name), type: s(q.type), class: s(q.class) }));
  if (!Array.isArray(v)) return [];
  const out: Question[] = [];
  for (let k = 0; k < v.length; k++) {
    const item: unknown = v[k];
    if (!isO(item)) continue;
    const q = isO(item.query_data) ? item.query_data : isO(item.dns_query_data) ? item.dns_query_data : item;
    out.push({
      name: s(pick(q, 'query', 'name')),
      type: s(pick(q, 'query_type', 'type')),
      class: s(pick(q, 'query_class', 'class')),
    });
  }
  return out;
}

function answers(v: unknown): Answer[] {
  if (isO(v)) {
    return (Array.isArray(v.answers) ? v.answers : []).filter(isO).map((a) => ({
      name: s(a.name),
      type: s(a.type),
      class: s(a.class),
      ttl: n(pick(a, 'TTL', 'ttl')),
      data: s(pick(a, 'IP', 'ip', 'CNAME', 'cname', 'NS', 'ns', 'PTR', 'ptr', 'TXT', 'txt')),
    }));
  }
  if (!Array.isArray(v)) return [];
  const out: Answer[] = [];
  for (const item of v) {
    if (!isO(item) || !Array.isArray(item.dns_answer)) continue;
    const q = isO(item.query_data) ? item.query_data : isO(item.dns_query_data) ? item.dns_query_data : {};
    for (const a of item.dns_answer) {
      if (!isO(a)) continue;
      out.push({
        name: s(pick(q, 'query', 'name')),
        type: s(pick(a, 'answer_type', 'type')),
        class: s(pick(q, 'query_class')),
        ttl: n(a.ttl),
        data: s(a.answer),
      });
    }
  }
  return out;
}

/**
 * Several rows read the same message (question name, type, class…): parse it once per mapping call.
 * Keyed on the call's input object too, so a value changed between two calls is read again.
 */
function oncePerInput<T>(fn: (v: unknown) => T): (v: unknown, input: MapInput) => T {
  let lastV: unknown, lastInput: MapInput | undefined, last: T;
  return (v, input) => {
    if (v !== lastV || input !== lastInput) {
      last = fn(v);
      lastV = v;
      lastInput = input;
    }
    return last;
  };
}
const questionsOf = oncePerInput(questions);
const answersOf = oncePerInput(answers);

function s(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}
function n(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

// gopacket's DNSResponseCode strings (Tracee lower-cases them; some releases end "Server Failure "
// with a space) → the RFC 6895 mnemonic ECS shows (dns.response_code: NOERROR).
const RCODES: Record<string, string> = {
  'no error': 'NOERROR',
  'format error': 'FORMERR',
  'server failure': 'SERVFAIL',
  'non-existent domain': 'NXDOMAIN',
  'not implemented': 'NOTIMP',
  'query refused': 'REFUSED',
  'name exists when it should not': 'YXDOMAIN',
  'rr set exists when it should not': 'YXRRSET',
  'rr set that should exist does not': 'NXRRSET',
  'server not authoritative for zone': 'NOTAUTH',
  'name not contained in zone': 'NOTZONE',
  'bad opt version': 'BADVERS',
  'key not recognized': 'BADKEY',
  'signature out of time window': 'BADTIME',
  'bad tkey mode': 'BADMODE',
  'duplicate key name': 'BADNAME',
  'algorithm not supported': 'BADALG',
};

export const dnsTransforms: Record<string, TransformFactory> = {
  dns_id: plain((v) => (isO(v) ? s(pick(v, 'ID', 'id')) : undefined)),
  dns_type: plain((v) => {
    if (!isO(v)) return undefined;
    // proto JSON omits zero fields: no QR in a message that has questions means QR = 0 (a query)
    const qr = pick(v, 'QR', 'qr') ?? (Array.isArray(v.questions) ? 0 : undefined);
    return qr === 1 || qr === true ? 'answer' : qr === 0 || qr === false ? 'query' : undefined;
  }),
  dns_op_code: plain((v) => (isO(v) ? s(pick(v, 'opCode', 'op_code'))?.toUpperCase() : undefined)),
  dns_response_code: plain((v) => {
    const rc = isO(v) ? s(pick(v, 'responseCode', 'response_code')) : undefined;
    if (rc === undefined) return undefined;
    const text = rc.trim();
    return Object.hasOwn(RCODES, text.toLowerCase()) ? RCODES[text.toLowerCase()] : text.toUpperCase();
  }),
  dns_header_flags: plain((v) => {
    if (!isO(v)) return undefined;
    const flags = [
      ['AA', 'aa'],
      ['TC', 'tc'],
      ['RD', 'rd'],
      ['RA', 'ra'],
    ]
      .filter(([g, p]) => {
        const x = pick(v, g, p);
        return x === 1 || x === true;
      })
      .map(([g]) => g);
    return flags.length > 0 ? flags : undefined;
  }),
  dns_question_name: plain((v, i) => questionsOf(v, i)[0]?.name),
  dns_question_type: plain((v, i) => questionsOf(v, i)[0]?.type),
  dns_question_class: plain((v, i) => questionsOf(v, i)[0]?.class),
  // loops, not map/filter chains: every DNS event runs these (no arrays or key lists in between)
  dns_answers: plain((v, i) => {
    const all = answersOf(v, i);
    let out: O[] | undefined;
    for (let k = 0; k < all.length; k++) {
      const a = all[k];
      if (!a.name && !a.type && !a.class && a.ttl === undefined && !a.data) continue;
      const o: O = {};
      if (a.name) o.name = a.name;
      if (a.type) o.type = a.type;
      if (a.class) o.class = a.class;
      if (a.ttl !== undefined) o.ttl = a.ttl;
      if (a.data) o.data = a.data;
      (out ??= []).push(o);
    }
    return out;
  }),
  dns_resolved_ips: plain((v, i) => {
    const all = answersOf(v, i);
    let ips: string[] | undefined;
    for (let k = 0; k < all.length; k++) {
      const d = all[k].data;
      if (d !== undefined && isIP(d) !== 0) (ips ??= []).push(d);
    }
    return ips;
  }),
};
