// Keeps secrets out of every reason and log line the exporter produces.

import type { EsAuth } from './config.ts';
import { redactUrl } from './config.ts';

export type Redactor = (text: string) => string;

export function makeRedactor(auth: EsAuth | undefined): Redactor {
  const secrets: string[] = [];
  if (auth) {
    if ('apiKey' in auth) secrets.push(auth.apiKey);
    else if ('bearer' in auth) secrets.push(auth.bearer);
    else {
      secrets.push(auth.password, Buffer.from(`${auth.username}:${auth.password}`).toString('base64'));
    }
  }
  const usable = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return (text) => {
    let t = redactUrl(text);
    for (const s of usable) t = t.split(s).join('***');
    return t;
  };
}
