// Where Tracee's gRPC server listens, as the config gives it → the target grpc-js dials.
// Accepted: unix:///abs/path and unix:/abs/path (Tracee's own spelling, `--server grpc-address=unix:…`),
// host:port and [ipv6]:port, and tcp:[host:]port (Tracee's `grpc-address=tcp:4466`; a bare port
// means 127.0.0.1, where Tracee binds it).

export interface GrpcAddress {
  /** What grpc-js dials (unix:///… or host:port). */
  target: string;
  /** The source name in origins, logs and metric labels: `grpc <address as configured>`. */
  source: string;
}

import { OptionError } from '../../util/option-error.ts';

export const TRACEE_DEFAULT_SOCKET = 'unix:///var/run/tracee.sock';

export function parseGrpcAddress(address: string, where = 'address'): GrpcAddress {
  const a = address.trim();
  const source = `grpc ${a}`;
  if (a.startsWith('unix:')) {
    const path = a.startsWith('unix://') ? a.slice('unix://'.length) : a.slice('unix:'.length);
    if (!path.startsWith('/'))
      throw new OptionError(
        [where],
        `"${address}": a unix socket needs an absolute path (unix:///var/run/tracee.sock)`,
      );
    return { target: `unix://${path}`, source };
  }
  const hostPort = a.startsWith('tcp:') ? a.slice('tcp:'.length) : a;
  if (/^\d{1,5}$/.test(hostPort) && Number(hostPort) <= 65535) return { target: `127.0.0.1:${hostPort}`, source };
  const m = /^(\[[^\]]+\]|[^:[\]/]+):(\d{1,5})$/.exec(hostPort);
  if (m === null || Number(m[2]) > 65535) {
    throw new OptionError([where], `"${address}": expected unix:///path/to/tracee.sock, host:port or tcp:port`);
  }
  return { target: `${m[1]}:${m[2]}`, source };
}
