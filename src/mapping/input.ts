// What mapping rows read: the normalized event plus the context it is mapped in.

import type { TraceeEvent } from '../model/event.ts';

/** The node Tracee runs on and the versions involved; from config or the environment. */
export interface NodeInfo {
  name?: string; // node / host name (NODE_NAME in Kubernetes)
  cluster_name?: string;
  host_id?: string;
  arch?: string; // OTel host.arch value (amd64, arm64…)
  kernel?: string;
  tracee_version?: string;
  exporter_version?: string;
  [key: string]: string | undefined;
}

/** A built-in signature (lookups/signatures.yaml). */
export interface SignatureInfo {
  id: string;
  event: string;
  name?: string;
  severity?: number;
  tactic?: string;
  technique_id?: string;
}

/** lookups/signatures.yaml as a map from event name (and its older names) to the signature. */
export function indexSignatures(list: unknown): Map<string, SignatureInfo> {
  const m = new Map<string, SignatureInfo>();
  if (!Array.isArray(list)) return m;
  for (const s of list as Array<SignatureInfo & { names?: string[] }>) {
    m.set(s.event, s);
    for (const n of s.names ?? []) m.set(n, s);
  }
  return m;
}

export interface MapInput {
  event: TraceeEvent;
  node: NodeInfo;
  signature: SignatureInfo | undefined;
  kind: 'event' | 'alert';
  observed: bigint; // ns, when the event was mapped
}
