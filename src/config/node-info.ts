// The node the exporter runs beside (sidecar / DaemonSet): from explicit settings, else the
// environment, else the machine. Tracee's per-event hostName is NOT used: it is the task's UTS name.

import os from 'node:os';
import type { NodeInfo } from '../mapping/input.ts';
import { EXPORTER_VERSION } from '../version.ts';

// Node's os.arch() → OTel host.arch values
const ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm32',
  ia32: 'x86',
  ppc64: 'ppc64',
  s390x: 's390x',
};

export function detectNodeInfo(explicit: Partial<NodeInfo> = {}, env: NodeJS.ProcessEnv = process.env): NodeInfo {
  const pick = (...vals: Array<string | undefined>) => vals.find((v) => v !== undefined && v !== '');
  const envName = pick(env.TRACEE_EXPORTER_NODE_NAME, env.NODE_NAME);
  // This machine's kernel and architecture describe the node only when the node is this machine:
  // not when the config names another node (replaying another node's capture, a central exporter).
  const thisMachine =
    explicit.name === undefined ||
    explicit.name === '' ||
    explicit.name === os.hostname() ||
    [envName, env.TRACEE_EXPORTER_NODE__NAME].includes(explicit.name);
  const info: NodeInfo = {
    name: pick(explicit.name, envName, os.hostname()),
    cluster_name: pick(explicit.cluster_name, env.TRACEE_EXPORTER_CLUSTER_NAME, env.CLUSTER_NAME),
    host_id: pick(explicit.host_id, env.TRACEE_EXPORTER_HOST_ID),
    arch: pick(explicit.arch, thisMachine ? ARCH[os.arch()] : undefined),
    kernel: pick(explicit.kernel, thisMachine ? os.release() : undefined),
    tracee_version: pick(explicit.tracee_version, env.TRACEE_VERSION),
    exporter_version: EXPORTER_VERSION,
  };
  for (const k of Object.keys(info)) if (info[k] === undefined) delete info[k];
  return info;
}
