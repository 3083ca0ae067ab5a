// The node for `run`: this machine's kernel and architecture only when the node is this machine
// (issue #18: never the exporter's own machine for events of another node).

import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { detectNodeInfo } from '../../../src/config/node-info.ts';

describe('detectNodeInfo', () => {
  it("no node named, or the environment's / this hostname: this machine, with its kernel and architecture", () => {
    for (const [explicit, env] of [
      [{}, {}],
      [{}, { NODE_NAME: 'k8s-node-3' }],
      [{ name: 'k8s-node-3' }, { NODE_NAME: 'k8s-node-3' }],
      [{ name: os.hostname() }, {}],
    ] as const) {
      const n = detectNodeInfo(explicit, env);
      expect(n.kernel).toBe(os.release());
      expect(n.arch).toBeDefined();
    }
  });
  it('config naming another node: no kernel or architecture from this machine', () => {
    const n = detectNodeInfo({ name: 'other-node' }, { NODE_NAME: 'k8s-node-3' });
    expect(n.name).toBe('other-node');
    expect(n.kernel).toBeUndefined();
    expect(n.arch).toBeUndefined();
  });
});
