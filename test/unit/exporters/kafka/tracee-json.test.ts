// kafka `encoding: tracee_json`: the message value is the normalized event in Tracee's structured JSON
// shape, built from the event the exporter's `redact:` cleaned (never the raw input line), with the same
// id as the ECS / OTel records, the topic by kind, key = container id else node, and its headers.
// The real broker: test/integration/kafka-exporter.test.ts.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { traceeMessage } from '../../../../src/exporters/kafka/messages.ts';
import { createKafkaExporter } from '../../../../src/exporters/kafka/exporter.ts';
import { loadRedactTable, redactPlan, withRedaction } from '../../../../src/mapping/redact.ts';
import { loadTrimGroups, trimDrops } from '../../../../src/mapping/trim.ts';
import { decodeText } from '../../../../src/normalize/decode.ts';
import { toStructuredJson, STRUCTURED_SCHEMA_VERSION } from '../../../../src/normalize/print-structured.ts';
import {
  encodeStoredFrame,
  decodeStored,
  createReplayResourceCache,
} from '../../../../src/delivery/disk-buffer/stored-record.ts';
import { FRAME_HEADER_BYTES } from '../../../../src/delivery/disk-buffer/framing.ts';
import { ROOT, testMapper } from '../../../helpers/samples.ts';

const topics = { events: 't.events', alerts: 't.alerts' };
const FIX = path.join(ROOT, 'test/fixtures/security');
const table = loadRedactTable();

function event(dir: string, file: string) {
  const d = decodeText(fs.readFileSync(path.join(dir, file), 'utf8').trim());
  if (!d.ok) throw new Error(`${file}: ${d.reason}`);
  return d.event;
}

describe('kafka tracee_json', () => {
  const base = testMapper();
  const redacting = withRedaction(base, redactPlan('default', table, 'test'));

  it('the value is the redacted event in Tracee structured JSON; its id is the ECS event.id; it decodes back as the same event', () => {
    const ev = event(FIX, 'net_packet_http-request-credentials.json');
    const raw = fs.readFileSync(path.join(FIX, 'net_packet_http-request-credentials.json'), 'utf8');
    const secrets = raw.match(/[\w.=-]*-REQ-[\w.-]*/g)!.filter((s) => !s.startsWith('apikey-REQ'));
    expect(secrets.length).toBeGreaterThan(3);
    const rec = redacting.toTracee(ev);
    expect(rec.id).toBe(base.toEcs(ev).id);
    expect(rec.name).toBe(ev.name);
    expect(secrets.filter((s) => rec.json.includes(s))).toEqual([]);
    expect(rec.json).toContain('[REDACTED]');
    // redact: none → the event unchanged (re-serialized): the secrets are there
    const plain = base.toTracee(ev);
    expect(plain.json).toBe(
      JSON.stringify(toStructuredJson(ev), (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
    );
    expect(secrets.every((s) => plain.json.includes(s))).toBe(true);
    // a consumer (or our own decoder) reads it as a Tracee event again: unredacted, the very same event
    // (same id: the id hashes the event's data); redacted, the same event with the marker in place
    const back = decodeText(plain.json);
    expect(back.ok && base.toEcs(back.event).id).toBe(rec.id);
    const redacted = decodeText(rec.json);
    expect(redacted.ok && redacted.event.name).toBe(ev.name);
  });

  it('message: topic by kind, key container id else node name, headers name the event, encoding, schema and node', () => {
    const m = traceeMessage(
      { id: 'i', kind: 'alert', name: 'anti_debugging', json: '{"a":1}', containerId: 'c1', hostName: 'n1' },
      topics,
    );
    expect(m).toEqual({
      topic: 't.alerts',
      key: 'c1',
      value: Buffer.from('{"a":1}'),
      headers: {
        'tracee.encoding': 'tracee_json',
        'schema.version': STRUCTURED_SCHEMA_VERSION,
        'tracee.event.name': 'anti_debugging',
        'host.name': 'n1',
      },
    });
    const h = traceeMessage({ id: 'i', kind: 'event', name: 'execve', json: '{}', hostName: 'n1' }, topics);
    expect([h.topic, h.key]).toEqual(['t.events', 'n1']);
    expect(traceeMessage({ id: 'i', kind: 'event', name: 'execve', json: '{}' }, topics).key).toBeNull();
  });

  it('a detection goes to the alerts topic (kind from the mapper, as for ECS)', () => {
    const dir = path.join(ROOT, 'test/fixtures/tracee');
    const file = fs
      .readdirSync(dir, { recursive: true })
      .map(String)
      .find((f) => /anti_debugging|TRC-/.test(f) && f.endsWith('.json'));
    expect(file).toBeDefined();
    const ev = event(dir, file!);
    expect(base.toTracee(ev).kind).toBe(base.toEcs(ev).kind);
  });

  it('the exporter targets the Tracee event; trim/drop_fields are refused for it', () => {
    const x = createKafkaExporter({ brokers: ['127.0.0.1:1'], encoding: 'tracee_json' });
    expect(x.target).toBe('tracee');
    expect(() => trimDrops({ trim: ['stack'], target: 'tracee' }, loadTrimGroups(), base, 'exporters[0]')).toThrow(
      /exporters\[0\]\.trim: .*tracee_json/,
    );
    expect(() => createKafkaExporter({ brokers: ['h:1'], encoding: 'tracee' as never })).toThrow(/encoding/);
  });

  it('a disk buffer keeps a Tracee record without input text losslessly', () => {
    const rec = { id: 'i1', kind: 'alert' as const, name: 'n', json: '{"name":"n"}', containerId: 'c', hostName: 'h' };
    const frame = encodeStoredFrame({ record: rec, origin: { source: 'webhook' } });
    const d = decodeStored(
      frame.subarray(FRAME_HEADER_BYTES),
      () => ({ ok: false, reason: 'x' }),
      createReplayResourceCache(),
    );
    expect(d.ok && d.item.record).toEqual(rec);
  });
});
