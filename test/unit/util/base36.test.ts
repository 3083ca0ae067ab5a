import { describe, expect, it } from 'vitest';
import { uint32ToBase36 } from '../../../src/util/base36.ts';
import { seeded } from '../../helpers/random.ts';

describe('uint32ToBase36: what toString(36) writes', () => {
  it('at every digit-count boundary and for 200,000 pseudo-random uint32', () => {
    const edges = [0, 1, 35, 36, 37, 1295, 1296, 46655, 46656, 1679615, 1679616, 60466175, 60466176, 2176782335];
    const more = [2176782336, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1];
    for (const n of [...edges, ...more]) expect(uint32ToBase36(n)).toBe(n.toString(36));
    const rand = seeded(36);
    for (let i = 0; i < 200_000; i++) {
      const n = Math.floor(rand() * 2 ** 32);
      if (uint32ToBase36(n) !== n.toString(36)) expect(uint32ToBase36(n)).toBe(n.toString(36));
    }
  });
});
