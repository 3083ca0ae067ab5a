// Issue #18 point 3: detections keep the file / remote end / program they are about. On the real
// v0.10 fileless_execution finding (trigger arguments as its own) and the real anti_debugging
// finding with `triggeredBy` (test/fixtures/classic/PROVENANCE.md), and on that finding given the
// triggering events and finding data Tracee's signatures produce (signatures/golang/*.go @ v0.24.1:
// dropped_executable sets `path` from magic_write's pathname; k8s_api_connection `ip`;
// stdio_over_socket `IP address`/`Port`/`File descriptor`; trigger argument names from
// pkg/events/core.go @ v0.24.1). Each in the classic shape and again as structured JSON.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../../src/normalize/decode.ts';
import { toStructuredJson } from '../../../src/normalize/print-structured.ts';
import type { TraceeEvent } from '../../../src/model/event.ts';
import { ROOT, SHARED_FIXTURES, testMapper } from '../../helpers/samples.ts';
import { compileMapper } from '../../../src/mapping/compile.ts';
import { loadMappingTables } from '../../../src/mapping/load.ts';

const mapper = testMapper();
const ANTI = fs.readFileSync(path.join(ROOT, 'test/fixtures/classic/anti_debugging-triggeredBy.v0.2x.json'), 'utf8');

function decode(text: string): TraceeEvent {
  const r = decodeText(text);
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

function bothShapes(ev: TraceeEvent): TraceeEvent[] {
  return [ev, decode(JSON.stringify(toStructuredJson(ev), (_k, v) => (typeof v === 'bigint' ? v.toString() : v)))];
}

function mapped(ev: TraceeEvent, kind = 'alert') {
  const doc = JSON.parse(mapper.toEcsJson(ev).json) as Record<string, any>;
  expect(doc).toEqual(JSON.parse(JSON.stringify(mapper.toEcs(ev).doc)));
  expect(doc.event.kind).toBe(kind);
  return { doc, otel: mapper.toOtel(ev).attributes };
}

type Arg = { name: string; type: string; value: unknown };

/** The real anti_debugging line as another signature: its event name, finding data and trigger. */
function finding(eventName: string, data: Arg[], trigger: { id: number; name: string; args: Arg[] }): TraceeEvent {
  // big integers (timestamps) travel as strings and become JSON numbers again in the line (exact)
  const base = JSON.parse(ANTI.replace(/("timestamp"|"threadStartTime"):(\d+)/g, '$1:"$2"')) as Record<string, unknown>;
  const args = [...data, { name: 'triggeredBy', type: 'unknown', value: { ...trigger, returnValue: 0 } }];
  const line = JSON.stringify({ ...base, eventName, args, argsNum: args.length, metadata: null }).replace(
    /("timestamp"|"threadStartTime"):"(\d+)"/g,
    '$1:$2',
  );
  return decode(line);
}

describe('detections fill the fields their triggering event would', () => {
  it('real anti_debugging with triggeredBy (ptrace): an alert of the process, nothing invented', () => {
    for (const ev of bothShapes(decode(ANTI))) {
      const { doc } = mapped(ev);
      expect(doc.rule).toMatchObject({ id: 'TRC-102', name: 'Anti-Debugging detected' });
      expect(doc.process).toMatchObject({ pid: 44322, name: 'strace' });
      expect(doc.file).toBeUndefined();
      expect(doc.destination).toBeUndefined();
      expect(doc.tracee.detected_from).toMatchObject({ name: 'ptrace', data: { request: 0 } });
    }
  });

  it("real v0.10 fileless_execution (trigger arguments as its own): the program exec'd from memory", () => {
    const ev = decode(
      fs.readFileSync(path.join(SHARED_FIXTURES, 'legacy/v0.8-v0.12/signature-fileless_execution-k8s.json'), 'utf8'),
    );
    for (const e of bothShapes(ev)) {
      const { doc, otel } = mapped(e);
      expect(doc.process).toMatchObject({ executable: 'memfd:', args: [''], args_count: 1 });
      expect(otel['process.executable.path']).toBe('memfd:');
      expect(doc.tracee.process.interpreter).toBe('/lib/x86_64-linux-gnu/ld-2.28.so');
    }
  });

  it("dropped_executable: file.* from the finding's path (magic_write trigger)", () => {
    const ev = finding('dropped_executable', [{ name: 'path', type: 'const char *', value: '/tmp/.x/payload' }], {
      id: 758,
      name: 'magic_write',
      args: [
        { name: 'pathname', type: 'const char*', value: '/tmp/.x/payload' },
        { name: 'bytes', type: 'bytes', value: 'f0VMRgIBAQAAAAAAAAAAAA==' },
        { name: 'dev', type: 'dev_t', value: 2049 },
        { name: 'inode', type: 'unsigned long', value: 1573048 },
      ],
    });
    for (const e of bothShapes(ev)) {
      const { doc, otel } = mapped(e);
      expect(doc.rule.id).toBe('TRC-1022');
      expect(doc.file).toEqual({
        path: '/tmp/.x/payload',
        name: 'payload',
        directory: '/tmp/.x',
        inode: '1573048',
        device: '2049',
      });
      expect(otel).toMatchObject({
        'file.path': '/tmp/.x/payload',
        'file.name': 'payload',
        'file.directory': '/tmp/.x',
        'file.inode': '1573048',
      });
      expect(doc.event.category).toEqual(['intrusion_detection']);
    }
  });

  it('k8s_cert_theft by rename: the certificate renamed away (old_path)', () => {
    const ev = finding('k8s_cert_theft', [], {
      id: 1020,
      name: 'security_inode_rename',
      args: [
        { name: 'old_path', type: 'const char*', value: '/etc/kubernetes/pki/apiserver.key' },
        { name: 'new_path', type: 'const char*', value: '/tmp/k' },
      ],
    });
    for (const e of bothShapes(ev))
      expect(mapped(e).doc.file).toMatchObject({
        path: '/etc/kubernetes/pki/apiserver.key',
        name: 'apiserver.key',
        extension: 'key',
      });
  });

  it('sudoers_modification (security_file_open): the opened file', () => {
    const ev = finding('sudoers_modification', [], {
      id: 1032,
      name: 'security_file_open',
      args: [
        { name: 'pathname', type: 'const char*', value: '/etc/sudoers.d/90-x' },
        { name: 'flags', type: 'int', value: 65 },
        { name: 'dev', type: 'dev_t', value: 2049 },
        { name: 'inode', type: 'unsigned long', value: 42 },
        { name: 'ctime', type: 'unsigned long', value: 1 },
        { name: 'syscall_pathname', type: 'const char*', value: '/etc/sudoers.d/90-x' },
      ],
    });
    for (const e of bothShapes(ev))
      expect(mapped(e).doc.file).toMatchObject({
        path: '/etc/sudoers.d/90-x',
        directory: '/etc/sudoers.d',
        inode: '42',
      });
  });

  it('k8s_api_connection (security_socket_connect): the API server as destination, egress', () => {
    const ev = finding('k8s_api_connection', [{ name: 'ip', type: 'const char *', value: '10.96.0.1' }], {
      id: 1036,
      name: 'security_socket_connect',
      args: [
        { name: 'sockfd', type: 'int', value: 3 },
        { name: 'type', type: 'int', value: 1 },
        {
          name: 'remote_addr',
          type: 'struct sockaddr*',
          value: { sa_family: 'AF_INET', sin_addr: '10.96.0.1', sin_port: '443' },
        },
      ],
    });
    for (const e of bothShapes(ev)) {
      const { doc, otel } = mapped(e);
      expect(doc.destination).toEqual({ ip: '10.96.0.1', address: '10.96.0.1', port: 443 });
      expect(doc.network).toMatchObject({ direction: 'egress', type: 'ipv4' });
      expect(otel).toMatchObject({ 'destination.address': '10.96.0.1', 'destination.port': 443 });
      expect(doc.related.ip).toEqual(['10.96.0.1']);
    }
  });

  it('stdio_over_socket: destination from the finding\'s "IP address" / "Port" (HEAD: strings)', () => {
    const ev = finding(
      'stdio_over_socket',
      [
        { name: 'IP address', type: 'const char *', value: '203.0.113.7' },
        { name: 'Port', type: 'const char *', value: '4444' },
        { name: 'File descriptor', type: 'int', value: 0 },
      ],
      {
        id: 1040,
        name: 'socket_dup',
        args: [
          { name: 'oldfd', type: 'int', value: 3 },
          { name: 'newfd', type: 'int', value: 0 },
        ],
      },
    );
    for (const e of bothShapes(ev)) {
      const { doc } = mapped(e);
      expect(doc.destination).toEqual({ ip: '203.0.113.7', address: '203.0.113.7', port: 4444 });
      expect(doc.network.direction).toBeUndefined(); // no sockaddr: no direction claimed
    }
  });

  it('docker_abuse by connect: the docker socket path as destination.address', () => {
    const ev = finding('docker_abuse', [], {
      id: 1036,
      name: 'security_socket_connect',
      args: [
        { name: 'sockfd', type: 'int', value: 5 },
        { name: 'type', type: 'int', value: 1 },
        {
          name: 'remote_addr',
          type: 'struct sockaddr*',
          value: { sa_family: 'AF_UNIX', sun_path: '/var/run/docker.sock' },
        },
      ],
    });
    for (const e of bothShapes(ev)) {
      const { doc } = mapped(e);
      expect(doc.destination).toEqual({ address: '/var/run/docker.sock' });
      expect(doc.file).toBeUndefined();
    }
  });

  it('host.os.kernel / host.architecture from the event where Tracee writes them (HEAD example_detection), else node config', () => {
    const ev = finding(
      'example_detection',
      [
        { name: 'system_arch', type: 'string', value: 'aarch64' },
        { name: 'kernel_version', type: 'string', value: '6.1.0-18-arm64' },
      ],
      { id: 60, name: 'execve', args: [{ name: 'pathname', type: 'const char*', value: '/bin/true' }] },
    );
    // (without its threat metadata here: not a built-in signature, so an event)
    for (const e of bothShapes(ev))
      expect(mapped(e, 'event').doc.host).toMatchObject({ architecture: 'aarch64', os: { kernel: '6.1.0-18-arm64' } });
    // any other event: the node's (test node: amd64 / 6.8.0-test), none without node config
    expect(mapped(decode(ANTI)).doc.host).toMatchObject({ architecture: 'amd64', os: { kernel: '6.8.0-test' } });
    const bare = compileMapper(loadMappingTables(), { node: {}, now: () => 0n });
    expect(bare.toEcs(decode(ANTI)).doc.host).toEqual({ os: { type: 'linux' } });
  });

  it("process.parent.name (Kibana's alert reason names it) from the parent's executable, when Tracee sends one", () => {
    const [ev] = bothShapes(decode(ANTI)).slice(1);
    const withParent: TraceeEvent = {
      ...ev,
      workload: {
        ...ev.workload,
        process: {
          ...ev.workload.process!,
          ancestors: [{ ...ev.workload.process!.ancestors![0], executable: { path: '/usr/sbin/nginx' } }],
        },
      },
    };
    const { doc } = mapped(withParent);
    expect(doc.process.parent).toMatchObject({ name: 'nginx', executable: '/usr/sbin/nginx', pid: 44320 });
    expect(mapped(ev).doc.process.parent.name).toBeUndefined();
  });
});
