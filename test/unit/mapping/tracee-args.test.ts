// The argument names the tables read (`data.<arg>`) against Tracee's own event definitions: the
// `fields` of every event in github.com/aquasecurity/tracee v0.24.1 pkg/events/core.go, extracted
// into test/fixtures/tracee-v0.24.1-event-args.json (origin in its `source`). A row that names an
// argument no event has never fires, and an event whose group reads none of its arguments gets no
// file.*, source.* or process.* details: both went unnoticed with goldens alone.

import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Row, TableFile } from '../../../src/mapping/table-types.ts';
import { ROOT } from '../../helpers/samples.ts';

const ARGS = (
  JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/tracee-v0.24.1-event-args.json'), 'utf8')) as {
    events: Record<string, string[]>;
  }
).events;
const ALL_ARGS = new Set(Object.values(ARGS).flat());

/** Names from other releases than v0.24.1, kept so that their events map too. */
const OLDER_NAMES: Record<string, string> = {
  'data.cwd': 'exec events before pwd',
  'data.arguments': 'process_execute_failed outside v0.24 (arguments, environment, path)',
  'data.environment': 'process_execute_failed outside v0.24',
};
/** Data a built-in signature's finding sets itself (signatures/golang/*.go @ v0.24.1, Finding.Data). */
const FINDING_DATA: Record<string, string> = {
  'data.ip': 'k8s_api_connection',
  'data.IP address': 'stdio_over_socket',
  'data.Port': 'stdio_over_socket',
  'data.system_arch': 'example_detection (detectors/example_detector.go @ HEAD)',
  'data.kernel_version': 'example_detection (detectors/example_detector.go @ HEAD)',
};
/** Events whose arguments name no file or address (an fd, a status): their group's rows cannot apply. */
const NOTHING_TO_READ: Record<string, string> = {
  read: 'fd',
  pread64: 'fd',
  readv: 'fd',
  write: 'fd',
  pwrite64: 'fd',
  writev: 'fd',
  fchown: 'fd',
  ftruncate: 'fd',
  listen: 'sockfd, backlog',
  do_exit: 'no arguments',
};

function tables(): Array<{ file: string; table: TableFile }> {
  const dir = path.join(ROOT, 'mappings');
  return [
    ...['common.yaml', 'detections.yaml'].map((f) => path.join(dir, f)),
    ...fs.readdirSync(path.join(dir, 'events')).map((f) => path.join(dir, 'events', f)),
  ].map((file) => ({ file: path.relative(ROOT, file), table: parse(fs.readFileSync(file, 'utf8')) as TableFile }));
}

const rowsOf = (fields: TableFile['fields']): Row[] => (fields ?? []).flat(2) as Row[];
// detected_from.data.<arg>: an argument of the triggering event, checked as data.<arg>
const dataSources = (r: Row): string[] =>
  (r.from === undefined ? [] : Array.isArray(r.from) ? r.from : [r.from])
    .map((p) => (p.startsWith('detected_from.data.') ? p.slice('detected_from.'.length) : p))
    .filter((p) => p.startsWith('data.'));
/** Does `source` (data.a.b.c) name an argument of `args`, whole or with sub-fields? */
const names = (source: string, args: Iterable<string>) => {
  const segs = source.split('.').slice(1);
  const set = new Set(args);
  for (let j = segs.length; j > 0; j--) if (set.has(segs.slice(0, j).join('.'))) return true;
  return false;
};

describe('argument names against Tracee v0.24.1', () => {
  it('the extract holds the events the tables are about', () => {
    expect(Object.keys(ARGS).length).toBeGreaterThan(500);
    expect(ARGS.security_socket_connect).toEqual(['sockfd', 'type', 'remote_addr']);
    expect(ARGS.sched_process_exit).toEqual(['exit_code', 'signal_code', 'process_group_exit']);
  });

  it("every data.<arg> a table reads is an argument of some event (or an older release's name)", () => {
    const unknown: string[] = [];
    for (const { file, table } of tables()) {
      const rows = [...rowsOf(table.fields), ...(table.events ?? []).flatMap((g) => rowsOf(g.fields))];
      for (const s of rows.flatMap(dataSources))
        if (!names(s, ALL_ARGS) && !(s in OLDER_NAMES) && !(s in FINDING_DATA)) unknown.push(`${file}: ${s}`);
    }
    expect([...new Set(unknown)]).toEqual([]);
  });

  it('every v0.24.1 event of a group with argument rows has an argument some row reads', () => {
    const unread: string[] = [];
    for (const { file, table } of tables()) {
      for (const g of table.events ?? []) {
        const sources = rowsOf(g.fields).flatMap(dataSources);
        if (sources.length === 0) continue;
        for (const n of g.names) {
          if (ARGS[n] === undefined || n in NOTHING_TO_READ) continue;
          if (!sources.some((s) => names(s, ARGS[n])))
            unread.push(`${file}: ${n} (has ${ARGS[n].join(', ') || 'none'})`);
        }
      }
    }
    expect(unread).toEqual([]);
  });
});
