// Go's encoding/json matches keys case-insensitively, so Tracee accepts "eventname" for
// "eventName" (its own unit tests feed such events). Rebuild the top level with canonical keys.

import type { Obj } from './read.ts';

const CLASSIC_KEYS = [
  'timestamp',
  'threadStartTime',
  'processorId',
  'processId',
  'cgroupId',
  'threadId',
  'parentProcessId',
  'hostProcessId',
  'hostThreadId',
  'hostParentProcessId',
  'userId',
  'mountNamespace',
  'pidNamespace',
  'processName',
  'executable',
  'hostName',
  'containerId',
  'container',
  'kubernetes',
  'eventId',
  'eventName',
  'matchedPolicies',
  'argsNum',
  'returnValue',
  'syscall',
  'stackAddresses',
  'contextFlags',
  'threadEntityId',
  'processEntityId',
  'parentEntityId',
  'args',
  'metadata',
  'containerImage',
  'containerName',
  'podName',
  'podNamespace',
  'podUID',
  'podSandbox',
  'matchedScopes',
];
const BY_LOWER = new Map(CLASSIC_KEYS.map((k) => [k.toLowerCase(), k]));

export function withCanonicalClassicKeys(o: Obj): Obj {
  if ('eventName' in o) return o;
  const out: Obj = {};
  for (const k of Object.keys(o)) {
    const canonical = BY_LOWER.get(k.toLowerCase());
    if (canonical !== undefined && !(canonical in out)) out[canonical] = o[k];
  }
  return out;
}
