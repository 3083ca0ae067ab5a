// The throttled log of rejected input (src/pipeline/rejection-log.ts) and of the webhook's
// per-request lines (createClientLogThrottle): a flood is a few lines per client and interval,
// every rejection still counted; per-client metric labels are capped.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { clientOf, createRejectionLog } from '../../../src/pipeline/rejection-log.ts';
import { createClientLogThrottle } from '../../../src/sources/listener-guard.ts';

afterEach(() => {
  vi.useRealTimers();
});

const hook = (ip: string, line: number, n = 1) => ({
  source: 'webhook',
  line,
  detail: `POST /events from ${ip}:40000 #${n}`,
});

describe('rejection log', () => {
  it('clientOf: the address of a webhook or forward origin, else the source', () => {
    expect(clientOf(hook('10.0.0.7', 1))).toBe('10.0.0.7');
    expect(clientOf({ source: 'webhook', line: 1, detail: 'POST /x from [::1]:5 #3' })).toBe('[::1]');
    expect(clientOf({ source: 'forward', line: 2, detail: '10.0.3.7:51234 #2 tag tracee' })).toBe('10.0.3.7');
    expect(clientOf({ source: '/var/log/tracee.ndjson', line: 9 })).toBe('/var/log/tracee.ndjson');
  });

  it('per client and interval: the first 5 in full (the existing format), then one summary line; all counted', () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const log = createRejectionLog((l) => lines.push(l), { intervalMs: 1_000, fullPerInterval: 5 });
    for (let i = 1; i <= 10_000; i++)
      log.note(hook('10.0.0.7', i), 'malformed JSON: x', i % 2 ? 'malformed_json' : 'not_an_object');
    for (let i = 1; i <= 3; i++) log.note(hook('10.0.0.8', i), 'malformed JSON: x', 'malformed_json');
    expect(lines).toHaveLength(8);
    expect(lines[0]).toBe('webhook:1 (POST /events from 10.0.0.7:40000 #1): rejected: malformed JSON: x');
    vi.advanceTimersByTime(1_000);
    expect(lines).toHaveLength(9);
    expect(lines[8]).toBe(
      'rejected input from 10.0.0.7: 9995 more not logged one by one (not_an_object×4998, malformed_json×4997); first of them: webhook:6 (POST /events from 10.0.0.7:40000 #1); every one is counted and in the dead letter',
    );
    // a new interval logs in full again
    log.note(hook('10.0.0.7', 1), 'again', 'malformed_json');
    expect(lines[9]).toMatch(/rejected: again$/);
    const counts = [...log.counts()];
    expect(counts).toContainEqual([{ source: 'webhook', client: '10.0.0.7', reason: 'malformed_json' }, 5001]);
    expect(counts).toContainEqual([{ source: 'webhook', client: '10.0.0.8', reason: 'malformed_json' }, 3]);
    log.stop();
  });

  it('at most maxClients clients get their own label; the others are "other"', () => {
    const log = createRejectionLog(() => {}, { maxClients: 3 });
    for (let i = 0; i < 50; i++) log.note(hook(`10.1.0.${i}`, 1), 'bad', 'malformed_json');
    const clients = [...log.counts()].map(([l, n]) => [l.client, n]);
    expect(clients).toEqual([
      ['10.1.0.0', 1],
      ['10.1.0.1', 1],
      ['10.1.0.2', 1],
      ['other', 47],
    ]);
    log.stop();
  });

  it('the webhook request lines: 5 per client per interval, then one line saying how many were left out', () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const t = createClientLogThrottle((l) => lines.push(l), 'webhook', 5, 1_000);
    for (let i = 0; i < 1_000; i++) t.note('10.0.0.7', `webhook: request ${i}: 400`);
    expect(lines).toHaveLength(5);
    vi.advanceTimersByTime(1_000);
    expect(lines[5]).toBe(
      'webhook: 995 more line(s) about 10.0.0.7 not logged in the last 1 s (counted in the stats and metrics)',
    );
  });
});
