// Per-event rules that no sample exercises, on events derived from a real one: the v0.13
// security_file_open sample (test/fixtures/tracee/legacy/v0.13-v0.17/security_file_open.json)
// with its eventName, syscall, returnValue and args replaced. Argument names and orders follow
// Tracee's event definitions (pkg/events/core.go of github.com/aquasecurity/tracee v0.24.1, from
// the Go module proxy; older releases' names where they differ).

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../../src/normalize/decode.ts';
import { SHARED_FIXTURES, testMapper } from '../../helpers/samples.ts';
import { checkOverride } from '../../../src/mapping/load.ts';

const BASE = JSON.parse(
  fs
    .readFileSync(path.join(SHARED_FIXTURES, 'legacy/v0.13-v0.17/security_file_open.json'), 'utf8')
    .replace(/("timestamp"|"threadStartTime"):(\d+)/g, '$1:"$2"'),
) as Record<string, unknown>;

type Arg = { name: string; type: string; value: unknown };
const mapper = testMapper();

/** The ECS document and OTel attributes of the base event renamed and given these arguments. */
function mapped(eventName: string, args: Arg[], extra: Record<string, unknown> = {}) {
  // big integers travel as "@@<digits>" strings and become JSON numbers in the line (exact)
  const line = JSON.stringify({ ...BASE, eventName, args, argsNum: args.length, ...extra })
    .replace(/("timestamp"|"threadStartTime"):"(\d+)"/g, '$1:$2')
    .replace(/"@@(\d+)"/g, '$1');
  const r = decodeText(line);
  if (!r.ok) throw new Error(r.reason);
  const doc = JSON.parse(mapper.toEcsJson(r.event).json) as Record<string, any>;
  expect(doc).toEqual(JSON.parse(JSON.stringify(mapper.toEcs(r.event).doc))); // both ECS paths agree
  return { doc, otel: mapper.toOtel(r.event).attributes };
}

const sockaddr = (ip: string, port: string) => ({ sa_family: 'AF_INET', sin_addr: ip, sin_port: port });

describe('event rules', () => {
  it('accept: this host is the destination, the peer the source, ingress', () => {
    const { doc, otel } = mapped('socket_accept', [
      { name: 'sockfd', type: 'int', value: 3 },
      { name: 'local_addr', type: 'struct sockaddr*', value: sockaddr('10.0.0.5', '8080') },
      { name: 'remote_addr', type: 'struct sockaddr*', value: sockaddr('203.0.113.9', '51234') },
    ]);
    expect(doc.destination).toEqual({ ip: '10.0.0.5', address: '10.0.0.5', port: 8080 });
    expect(doc.source).toEqual({ ip: '203.0.113.9', address: '203.0.113.9', port: 51234 });
    expect(doc.network).toMatchObject({ direction: 'ingress', type: 'ipv4' });
    expect(doc.event.type).toEqual(['connection', 'start']);
    expect(otel['source.address']).toBe('203.0.113.9');
    // accept(2)'s addr is the peer's address
    expect(
      mapped('accept', [
        { name: 'sockfd', type: 'int', value: 3 },
        { name: 'addr', type: 'struct sockaddr*', value: sockaddr('203.0.113.9', '51234') },
      ]).doc.source.ip,
    ).toBe('203.0.113.9');
  });

  it('connect: the remote is the destination, egress', () => {
    const { doc } = mapped('security_socket_connect', [
      { name: 'sockfd', type: 'int', value: 3 },
      { name: 'remote_addr', type: 'struct sockaddr*', value: sockaddr('1.2.3.4', '443') },
    ]);
    expect(doc.destination).toEqual({ ip: '1.2.3.4', address: '1.2.3.4', port: 443 });
    expect(doc.network.direction).toBe('egress');
  });

  it('symlink: the link is file.path, its target file.target_path', () => {
    for (const [name, args] of [
      [
        'symlink',
        [
          { name: 'target', type: 'const char*', value: '/etc/shadow' },
          { name: 'linkpath', type: 'const char*', value: '/tmp/evil' },
        ],
      ],
      [
        'security_inode_symlink',
        [
          { name: 'linkpath', type: 'const char*', value: '/tmp/evil' },
          { name: 'target', type: 'const char*', value: '/etc/shadow' },
        ],
      ],
    ] as const) {
      const { doc, otel } = mapped(name, [...args]);
      expect(doc.file, name).toMatchObject({
        path: '/tmp/evil',
        name: 'evil',
        directory: '/tmp',
        target_path: '/etc/shadow',
      });
      expect(otel['file.symbolic_link.target_path']).toBe('/etc/shadow');
    }
  });

  it('the path comes from whichever argument the event names it', () => {
    const cases: Array<[string, Arg[], string, string | undefined]> = [
      [
        'security_inode_rename',
        [
          { name: 'old_path', type: 'const char*', value: '/tmp/x' },
          { name: 'new_path', type: 'const char*', value: '/etc/cron.d/x' },
        ],
        '/etc/cron.d/x',
        '/tmp/x',
      ],
      [
        'renameat2',
        [
          { name: 'olddirfd', type: 'int', value: -100 },
          { name: 'oldpath', type: 'const char*', value: '/tmp/y' },
          { name: 'newdirfd', type: 'int', value: -100 },
          { name: 'newpath', type: 'const char*', value: '/etc/y' },
          { name: 'flags', type: 'unsigned int', value: 0 },
        ],
        '/etc/y',
        '/tmp/y',
      ],
      [
        'link',
        [
          { name: 'oldpath', type: 'const char*', value: '/etc/shadow' },
          { name: 'newpath', type: 'const char*', value: '/tmp/s' },
        ],
        '/tmp/s',
        '/etc/shadow',
      ],
      [
        'file_modification',
        [
          { name: 'file_path', type: 'const char*', value: '/etc/passwd' },
          { name: 'dev', type: 'dev_t', value: 45 },
          { name: 'inode', type: 'unsigned long', value: 1234 },
        ],
        '/etc/passwd',
        undefined,
      ],
      [
        'security_inode_mknod',
        [
          { name: 'file_name', type: 'const char*', value: '/dev/mem2' },
          { name: 'mode', type: 'umode_t', value: 438 },
          { name: 'dev', type: 'dev_t', value: 257 },
        ],
        '/dev/mem2',
        undefined,
      ],
      [
        'truncate',
        [
          { name: 'path', type: 'const char*', value: '/var/log/auth.log' },
          { name: 'length', type: 'long', value: 0 },
        ],
        '/var/log/auth.log',
        undefined,
      ],
      [
        'mount',
        [
          { name: 'source', type: 'const char*', value: '/dev/sda1' },
          { name: 'target', type: 'const char*', value: '/mnt' },
          { name: 'filesystemtype', type: 'const char*', value: 'ext4' },
        ],
        '/mnt',
        undefined,
      ],
    ];
    for (const [name, args, want, old] of cases) {
      const { doc } = mapped(name, args);
      expect(doc.file?.path, name).toBe(want);
      expect(doc.tracee.file?.old_path, name).toBe(old);
    }
    expect(
      mapped('umount2', [
        { name: 'target', type: 'const char*', value: '/mnt' },
        { name: 'flags', type: 'int', value: 0 },
      ]).doc.file.path,
    ).toBe('/mnt');
    expect(
      mapped('security_sb_umount', [
        { name: 'mountpoint', type: 'const char*', value: '/mnt' },
        { name: 'type', type: 'const char*', value: 'ext4' },
      ]).doc.file.path,
    ).toBe('/mnt');
    expect(
      mapped('mount', [
        { name: 'source', type: 'const char*', value: '/dev/sda1' },
        { name: 'target', type: 'const char*', value: '/mnt' },
      ]).doc.tracee.mount.device,
    ).toBe('/dev/sda1');
  });

  it('sched_process_fork is about the child; the forking process is the parent', () => {
    const int = (name: string, value: number): Arg => ({ name, type: 'int', value });
    const { doc, otel } = mapped(
      'sched_process_fork',
      [
        int('parent_tid', 676),
        int('parent_ns_tid', 676),
        int('parent_pid', 676),
        int('parent_ns_pid', 676),
        int('child_tid', 700),
        int('child_ns_tid', 20),
        int('child_pid', 700),
        int('child_ns_pid', 20),
      ],
      { processEntityId: 22, parentEntityId: 33 },
    );
    expect(doc.process).toMatchObject({
      pid: 700,
      vpid: 20,
      thread: { id: 700 },
      parent: { pid: 676, vpid: 676, entity_id: 'node-1:22' },
    });
    expect(doc.process.entity_id).toBeUndefined(); // the child's is not in the event (22 is the parent's)
    expect(doc.process.start).toBeUndefined();
    expect(otel['process.pid']).toBe(700);
    expect(otel['process.parent_pid']).toBe(676);
    expect(otel['process.creation.time']).toBeUndefined();
    // v0.24.1 names the child's parent process (it wins) and the start times, in epoch ns
    const v24 = mapped('sched_process_fork', [
      int('parent_pid', 676),
      int('child_pid', 700),
      int('parent_process_pid', 650),
      int('parent_process_ns_pid', 5),
      { name: 'start_time', type: 'unsigned long', value: '@@1680182976364916505' },
      { name: 'parent_process_start_time', type: 'unsigned long', value: '@@1680179107675006774' },
    ]);
    expect(v24.doc.process).toMatchObject({
      start: '2023-03-30T13:29:36.364916505Z',
      parent: { pid: 650, vpid: 5, start: '2023-03-30T12:25:07.675006774Z' },
    });
    expect(v24.otel['process.creation.time']).toBe('2023-03-30T13:29:36.364916505Z');
    // v0.24's JSON writes them as RFC 3339 (Go time.Time)
    expect(
      mapped('sched_process_fork', [
        int('parent_pid', 676),
        int('child_pid', 700),
        { name: 'start_time', type: 'time.Time', value: '2023-03-30T13:29:36.3649165Z' },
      ]).doc.process.start,
    ).toBe('2023-03-30T13:29:36.364916500Z');
    // a boot-relative time (older releases) is no date
    expect(
      mapped('sched_process_fork', [
        int('parent_pid', 676),
        int('child_pid', 700),
        { name: 'start_time', type: 'unsigned long', value: 81234567890 },
      ]).doc.process.start,
    ).toBeUndefined();
  });

  it("sched_process_fork of a thread: the same process, whose parent is the context's", () => {
    const int = (name: string, value: number): Arg => ({ name, type: 'int', value });
    const { doc } = mapped(
      'sched_process_fork',
      [
        int('parent_tid', 676),
        int('parent_pid', 676),
        int('child_tid', 701),
        int('child_pid', 676),
        int('child_ns_pid', 676),
      ],
      { processEntityId: 22, parentEntityId: 33 },
    );
    expect(doc.process).toMatchObject({
      pid: 676,
      thread: { id: 701 },
      entity_id: 'node-1:22',
      parent: { pid: 1, entity_id: 'node-1:33' },
    });
    expect(doc.process.parent.pid).not.toBe(doc.process.pid);
  });

  it('a group may only drop targets the common or detection rows write', () => {
    expect(() => testMapper([{ events: [{ names: ['x'], drop: [{ ecs: 'process.nosuch' }] }] }])).toThrow(
      /drop \{"ecs":"process\.nosuch"\} names no target of common\.yaml or detections\.yaml/,
    );
  });

  it('process_execute_failed: its path and arguments, outcome failure', () => {
    const { doc } = mapped('process_execute_failed', [
      { name: 'path', type: 'const char*', value: '/bin/foo' },
      { name: 'arguments', type: 'const char**', value: ['/bin/foo', '-x'] },
      { name: 'environment', type: 'const char**', value: ['A=1'] },
    ]);
    expect(doc.process).toMatchObject({
      executable: '/bin/foo',
      args: ['/bin/foo', '-x'],
      args_count: 2,
      command_line: '/bin/foo -x',
      env_vars: ['A=1'],
    });
    expect(doc.event.outcome).toBe('failure');
    // v0.24.1's arguments (pkg/events/core.go): the resolved binary.path wins over pathname
    const v24 = mapped('process_execute_failed', [
      { name: 'dirfd', type: 'int', value: -100 },
      { name: 'flags', type: 'int', value: 0 },
      { name: 'pathname', type: 'const char*', value: './foo' },
      { name: 'binary.path', type: 'const char*', value: '/home/u/foo' },
      { name: 'interpreter_path', type: 'const char*', value: '/lib64/ld-linux-x86-64.so.2' },
      { name: 'argv', type: 'const char**', value: ['./foo'] },
      { name: 'envp', type: 'const char**', value: ['B=2'] },
    ]).doc;
    expect(v24.process).toMatchObject({ executable: '/home/u/foo', args: ['./foo'], env_vars: ['B=2'] });
    expect(v24.tracee.process.interpreter).toBe('/lib64/ld-linux-x86-64.so.2');
  });

  it('exit: a pre-v0.23 wait status is decoded; a signal is no exit code', () => {
    const exit = (args: Arg[]) => mapped('sched_process_exit', args).doc;
    expect(exit([{ name: 'exit_code', type: 'long', value: 19712 }]).process.exit_code).toBe(77); // exit(77)
    const killed = exit([{ name: 'exit_code', type: 'long', value: 9 }]); // SIGKILL
    expect(killed.process.exit_code).toBeUndefined();
    expect(killed.tracee.process.exit_signal).toBe(9);
    // v0.23+: exit_code and signal_code apart
    expect(
      exit([
        { name: 'exit_code', type: 'int', value: 77 },
        { name: 'signal_code', type: 'int', value: 0 },
      ]).process.exit_code,
    ).toBe(77);
    const v23killed = exit([
      { name: 'exit_code', type: 'int', value: 0 },
      { name: 'signal_code', type: 'int', value: 9 },
    ]);
    expect(v23killed.process.exit_code).toBeUndefined();
    expect(v23killed.tracee.process.exit_signal).toBe(9);
    expect(mapped('exit_group', [{ name: 'status', type: 'int', value: 3 }]).doc.process.exit_code).toBe(3);
  });

  it('execve on entry has no outcome; a failed one (sent again on exit) is a failure', () => {
    const args = [
      { name: 'pathname', type: 'const char*', value: '/bin/ls' },
      { name: 'argv', type: 'const char**', value: ['ls'] },
    ];
    expect(mapped('execve', args, { syscall: 'execve', returnValue: 0 }).doc.event.outcome).toBeUndefined();
    expect(mapped('execve', args, { syscall: 'execve', returnValue: -2 }).doc.event.outcome).toBe('failure');
    expect(
      mapped('openat', [{ name: 'pathname', type: 'const char*', value: '/x' }], { syscall: 'openat', returnValue: 3 })
        .doc.event.outcome,
    ).toBe('success');
  });

  it('HTTP: url.domain without the Host port, which goes to url.port', () => {
    const req = (host: string) =>
      mapped('net_packet_http_request', [
        {
          name: 'metadata',
          type: 'trace.PktMeta',
          value: {
            src_ip: '10.0.0.5',
            dst_ip: '93.184.216.34',
            src_port: 40000,
            dst_port: 8080,
            protocol: 6,
            packet_len: 100,
            iface: 'eth0',
          },
        },
        {
          name: 'http_request',
          type: 'trace.ProtoHTTPRequest',
          value: { method: 'GET', protocol: 'HTTP/1.1', host, uri_path: '/', headers: {}, content_length: 0 },
        },
      ]).doc.url;
    expect(req('example.com:8080')).toMatchObject({ domain: 'example.com', port: 8080 });
    expect(req('example.com')).toEqual({
      domain: 'example.com',
      path: '/',
      registered_domain: 'example.com',
      top_level_domain: 'com',
    });
    expect(req('[2001:db8::1]:8443')).toMatchObject({ domain: '2001:db8::1', port: 8443 });
  });

  it('ECS event types: cap_capable is a check, notify a watch, DNS/HTTP packets carry the protocol, flows start and end', () => {
    const type = (name: string) => mapped(name, []).doc.event;
    expect(type('cap_capable')).toMatchObject({ category: ['process'], type: ['info'] });
    expect(type('security_path_notify')).toMatchObject({ category: ['file'], type: ['access'] });
    expect(type('net_packet_dns').type).toEqual(['connection', 'protocol']);
    expect(type('net_flow_tcp_begin').type).toEqual(['connection', 'start']);
    expect(type('net_flow_tcp_end').type).toEqual(['connection', 'end']);
  });

  it("exec: process.name is the program started (not the caller's comm, cut to 15 characters), the caller stays the thread", () => {
    const { doc } = mapped('execve', [
      { name: 'pathname', type: 'const char*', value: '/usr/lib/systemd/systemd-resolved' },
      { name: 'argv', type: 'const char**', value: ['systemd-resolved'] },
    ]);
    expect(doc.process.name).toBe('systemd-resolved');
    expect(doc.process.executable).toBe('/usr/lib/systemd/systemd-resolved');
    expect(doc.process.thread.name).toBe('systemd-oomd');
    expect(
      mapped('process_execute_failed', [{ name: 'binary.path', type: 'const char*', value: '/tmp/x' }]).doc.process
        .name,
    ).toBe('x');
    // other events keep the comm
    expect(mapped('openat', [{ name: 'pathname', type: 'const char*', value: '/etc/hosts' }]).doc.process.name).toBe(
      'systemd-oomd',
    );
  });

  it('clone/fork syscalls describe the caller: info, not a start', () => {
    expect(mapped('clone', [{ name: 'flags', type: 'unsigned long', value: 17 }]).doc.event.type).toEqual(['info']);
    expect(
      mapped('sched_process_fork', [
        { name: 'parent_pid', type: 'int', value: 676 },
        { name: 'child_pid', type: 'int', value: 700 },
      ]).doc.event.type,
    ).toEqual(['start']);
  });

  it("user.id is the event's (real) user, as a string; every matched policy is kept", () => {
    const { doc } = mapped('security_file_open', [{ name: 'pathname', type: 'const char*', value: '/etc/hosts' }], {
      matchedPolicies: ['p1', 'p2'],
    });
    expect(doc.user).toEqual({ id: '131' });
    expect(doc.process.real_user.id).toBe('131');
    expect(doc.tracee.policies).toEqual(['p1', 'p2']);
    expect(mapped('security_file_open', [], { matchedPolicies: ['only'] }).doc.tracee.policies).toEqual(['only']);
  });

  it("DNS response codes: gopacket's words, lower-cased by Tracee, some with a trailing space → the RFC mnemonic", () => {
    const rcode = (responseCode: string) =>
      mapped('net_packet_dns', [
        {
          name: 'proto_dns',
          type: 'trace.ProtoDNS',
          value: {
            ID: 1,
            QR: 1,
            opCode: 'query',
            responseCode,
            questions: [{ name: 'a.example', type: 'A', class: 'IN' }],
          },
        },
      ]).doc.dns.response_code;
    expect(rcode('server failure ')).toBe('SERVFAIL'); // as in streams/dns_events_test-first200.ndjson
    expect(rcode('non-existent domain')).toBe('NXDOMAIN');
    expect(rcode('server not authoritative for zone')).toBe('NOTAUTH');
    expect(rcode('something new')).toBe('SOMETHING NEW');
  });

  it('DNS/HTTP request and response events have the types of net_packet_dns/http', () => {
    expect(mapped('net_packet_dns_request', []).doc.event.type).toEqual(['connection', 'protocol']);
    expect(mapped('net_packet_http_response', []).doc.event.type).toEqual(['connection', 'protocol']);
  });
});

describe('domain names split by the Public Suffix List', () => {
  const dns = (name: string) =>
    mapped('net_packet_dns', [
      {
        name: 'proto_dns',
        type: 'trace.ProtoDNS',
        value: { ID: 1, QR: 0, opCode: 'query', questions: [{ name, type: 'A', class: 'IN' }] },
      },
    ]).doc.dns.question;
  it('dns.question: registered domain, top level domain (a multi-label suffix too) and subdomain', () => {
    expect(dns('www.uol.com.br')).toMatchObject({
      name: 'www.uol.com.br',
      registered_domain: 'uol.com.br',
      top_level_domain: 'com.br',
      subdomain: 'www',
    });
    expect(dns('a.b.Example.CO.UK.')).toMatchObject({
      registered_domain: 'example.co.uk',
      top_level_domain: 'co.uk',
      subdomain: 'a.b',
    });
    const bare = dns('alvarsoft.com');
    expect(bare).toMatchObject({ registered_domain: 'alvarsoft.com', top_level_domain: 'com' });
    expect(bare.subdomain).toBeUndefined();
    // nothing registrable: no fields
    for (const n of ['localhost', '10.0.0.1', 'com']) {
      const q = dns(n);
      expect(q.name).toBe(n);
      expect(q.registered_domain).toBeUndefined();
      expect(q.subdomain).toBeUndefined();
    }
  });
  it('url.* from the HTTP Host', () => {
    const { doc } = mapped('net_packet_http', [
      {
        name: 'proto_http',
        type: 'trace.ProtoHTTP',
        value: {
          direction: 'request',
          method: 'GET',
          protocol: 'HTTP/1.1',
          host: 'api.github.com:8443',
          uri_path: '/x',
          headers: {},
          content_length: 0,
        },
      },
    ]);
    expect(doc.url).toMatchObject({
      domain: 'api.github.com',
      port: 8443,
      registered_domain: 'github.com',
      top_level_domain: 'com',
      subdomain: 'api',
    });
  });
});

describe('collect rows: fields read from the document itself, after every other row', () => {
  const tcp = (src: string, srcPort: number, dst: string, dstPort: number) =>
    mapped('net_packet_tcp', [
      { name: 'src', type: 'const char*', value: src },
      { name: 'dst', type: 'const char*', value: dst },
      { name: 'src_port', type: 'u16', value: srcPort },
      { name: 'dst_port', type: 'u16', value: dstPort },
    ]).doc;

  it("network.community_id: the spec's published vector, the same in both directions", () => {
    // corelight/community-id-spec: `community-id tcp 10.0.0.1 10.0.0.2 10 20` → 1:9j2Dzwrw7T9E+IZi4b4IVT66HBI=
    expect(tcp('10.0.0.1', 10, '10.0.0.2', 20).network.community_id).toBe('1:9j2Dzwrw7T9E+IZi4b4IVT66HBI=');
    expect(tcp('10.0.0.2', 20, '10.0.0.1', 10).network.community_id).toBe('1:9j2Dzwrw7T9E+IZi4b4IVT66HBI=');
  });

  it('related.ip / related.user / related.hosts: every value once, lists flattened', () => {
    const d = tcp('10.0.0.1', 10, '10.0.0.1', 20);
    expect(d.related.ip).toEqual(['10.0.0.1']);
    expect(d.related.user).toEqual(['131']);
    expect(d.related.hosts).toBeUndefined();
    const dnsDoc = mapped('net_packet_dns', [
      { name: 'src', type: 'const char*', value: '8.8.8.8' },
      { name: 'dst', type: 'const char*', value: '10.0.0.5' },
      {
        name: 'proto_dns',
        type: 'trace.ProtoDNS',
        value: {
          ID: 1,
          QR: 1,
          opCode: 'query',
          questions: [{ name: 'a.example.com', type: 'A', class: 'IN' }],
          answers: [
            { name: 'a.example.com', type: 'A', class: 'IN', TTL: 5, IP: '10.0.0.9' },
            { name: 'a.example.com', type: 'A', class: 'IN', TTL: 5, IP: '8.8.8.8' },
          ],
        },
      },
    ]).doc;
    expect(dnsDoc.related.ip).toEqual(['8.8.8.8', '10.0.0.5', '10.0.0.9']);
    expect(dnsDoc.related.hosts).toEqual(['a.example.com']);
  });

  it('user tables may collect too; a collect row is checked when the tables are compiled', () => {
    const m = testMapper([
      {
        fields: [
          {
            collect: ['process.name', 'process.thread.name'],
            ecs: 'labels.names',
            type: 'keyword',
            array: true,
            transform: 'distinct',
          },
        ],
      },
    ]);
    const r = decodeText(
      JSON.stringify({ ...BASE, eventName: 'openat', args: [] }).replace(
        /("timestamp"|"threadStartTime"):"(\d+)"/g,
        '$1:$2',
      ),
    );
    if (!r.ok) throw new Error(r.reason);
    expect(JSON.parse(m.toEcsJson(r.event).json).labels.names).toEqual(['systemd-oomd']);
    expect(m.toEcs(r.event).doc.labels).toEqual({ names: ['systemd-oomd'] });
    expect(() => testMapper([{ fields: [{ collect: ['process.nmae'], ecs: 'labels.x', type: 'keyword' }] }])).toThrow(
      /collect: "process.nmae" is not an ECS 9.4.0 field and no row writes it/,
    );
    expect(() => testMapper([{ fields: [{ collect: ['tracee.data'], ecs: 'labels.x', type: 'keyword' }] }])).toThrow(
      /"tracee.data" is of type flattened: collect reads values/,
    );
    // a field a drop removed reads as missing (an exporter's drop_fields must not break the built-in collect rows)
    const dropped = testMapper([{ drop: [{ ecs: 'user.id' }, { ecs: 'process.real_user.id' }] }]);
    const ev2 = decodeText(
      JSON.stringify({ ...BASE, eventName: 'openat', args: [] }).replace(
        /("timestamp"|"threadStartTime"):"(\d+)"/g,
        '$1:$2',
      ),
    );
    if (!ev2.ok) throw new Error(ev2.reason);
    expect(JSON.parse(dropped.toEcsJson(ev2.event).json).related?.user).toBeUndefined();
    expect(() => testMapper([{ fields: [{ collect: ['related.ip'], ecs: 'labels.x', type: 'keyword' }] }])).toThrow(
      /itself written by a collect row/,
    );
    expect(() => testMapper([{ fields: [{ collect: ['process.name'], otel: 'tracee.x', type: 'keyword' }] }])).toThrow(
      /writes an ecs field only/,
    );
    // the schema (config overrides and table files): collect, from and value exclude one another
    expect(() =>
      checkOverride('override', {
        fields: [{ collect: ['process.name'], from: 'name', ecs: 'labels.x', type: 'keyword' }],
      }),
    ).toThrow(/override: \/fields\/0 /);
    expect(
      checkOverride('override', { fields: [{ collect: ['process.name'], ecs: 'labels.x', type: 'keyword' }] }).fields,
    ).toHaveLength(1);
  });
});

describe('IP packets: the transport from the IP header', () => {
  it("net_packet_ipv4/ipv6: network.transport and iana_number from gopacket's protocol name (OTel only tcp/udp)", () => {
    const v4 = mapped('net_packet_ipv4', [
      {
        name: 'proto_ipv4',
        type: 'trace.ProtoIPv4',
        value: { version: 4, protocol: 'UDP', srcIP: '10.0.0.1', dstIP: '10.0.0.2' },
      },
    ]);
    expect(v4.doc.network).toMatchObject({ transport: 'udp', iana_number: '17' });
    expect(v4.otel['network.transport']).toBe('udp');
    const v6 = mapped('net_packet_ipv6', [
      {
        name: 'proto_ipv6',
        type: 'trace.ProtoIPv6',
        value: { version: 6, nextHeader: 'ICMPv6', srcIP: '::1', dstIP: '::1' },
      },
    ]);
    expect(v6.doc.network).toMatchObject({ transport: 'ipv6-icmp', iana_number: '58' });
    expect(v6.otel['network.transport']).toBeUndefined(); // not in semconv's enum
    expect(
      mapped('net_packet_ipv4', [{ name: 'proto_ipv4', type: 'trace.ProtoIPv4', value: { protocol: 'Unknown(253)' } }])
        .doc.network?.transport,
    ).toBeUndefined();
  });
});

describe('HTTP body sizes and packet bytes', () => {
  it('the body size goes to the request or the response side, from content_length or Content-Length', () => {
    const http = (value: Record<string, unknown>) =>
      mapped('net_packet_http', [{ name: 'proto_http', type: 'trace.ProtoHTTP', value }]);
    const res = http({
      direction: 'response',
      status_code: 200,
      protocol: 'HTTP/1.1',
      headers: { 'Content-Length': ['180'] },
    });
    expect(res.doc.http.response.body.bytes).toBe(180);
    expect(res.doc.http.request).toBeUndefined();
    expect(res.otel['http.response.body.size']).toBe(180);
    const req = http({
      direction: 'request',
      method: 'POST',
      protocol: 'HTTP/1.1',
      host: 'a.example',
      uri_path: '/',
      content_length: 42,
      headers: {},
    });
    expect(req.doc.http.request).toEqual({ method: 'POST', body: { bytes: 42 } });
    expect(
      http({ direction: 'request', method: 'GET', protocol: 'HTTP/1.1', headers: { 'Content-Length': ['x'] } }).doc.http
        .request.body,
    ).toBeUndefined();
  });
  it("a packet's length is network.bytes and source.bytes", () => {
    const { doc } = mapped('net_packet_dns_request', [
      {
        name: 'metadata',
        type: 'trace.PktMeta',
        value: {
          src_ip: '10.0.0.5',
          dst_ip: '10.0.0.53',
          src_port: 40000,
          dst_port: 53,
          protocol: 17,
          packet_len: 68,
          iface: 'eth0',
        },
      },
    ]);
    expect(doc.network.bytes).toBe(68);
    expect(doc.source.bytes).toBe(68);
    expect(doc.network.community_id).toMatch(/^1:/);
  });
});

describe('domain names: private suffixes and junk', () => {
  const q = (name: string) =>
    mapped('net_packet_dns', [
      {
        name: 'proto_dns',
        type: 'trace.ProtoDNS',
        value: { ID: 1, QR: 0, opCode: 'query', questions: [{ name, type: 'A', class: 'IN' }] },
      },
    ]).doc.dns.question;
  it('the private part of the list counts (each dynamic-DNS or tunnel customer is a registered domain)', () => {
    expect(q('c2.duckdns.org').registered_domain).toBe('c2.duckdns.org');
    expect(q('abc.ngrok.io').registered_domain).toBe('abc.ngrok.io');
    expect(q('_sip._tcp.example.com')).toMatchObject({ registered_domain: 'example.com', subdomain: '_sip._tcp' });
  });
  it('a name that is not a host name is not split', () => {
    for (const n of [
      'example..com',
      'user@example.com',
      'evil.com/x',
      'a b.com',
      '*.example.com',
      `${'a'.repeat(64)}.com`,
    ]) {
      expect(q(n).registered_domain, n).toBeUndefined();
    }
  });
});

describe('process.name', () => {
  it('is the base name of the executable Tracee names (v0.18+), else the comm; the comm stays the thread name', () => {
    const { doc } = mapped('openat', [{ name: 'pathname', type: 'const char*', value: '/etc/hosts' }], {
      executable: { path: '/usr/sbin/named' },
      processName: 'isc-net-0000',
    });
    expect(doc.process.name).toBe('named');
    expect(doc.process.executable).toBe('/usr/sbin/named');
    expect(doc.process.thread.name).toBe('isc-net-0000');
    expect(mapped('openat', [], { executable: { path: '' }, processName: 'isc-net-0000' }).doc.process.name).toBe(
      'isc-net-0000',
    );
  });
});
