import { defineConfig } from 'vitest/config';

// Four projects: unit tests touch no socket, process or server and run anywhere in parallel; component tests
// use local sockets, child processes and FAKE servers (no real server); integration tests use the real servers
// from `npm run services:start` and run one file at a time (some stop and restart a shared server).
// A missing server fails them: they never skip.
export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000 } },
      { test: { name: 'component', include: ['test/component/**/*.test.ts'], testTimeout: 60_000 } },
      // the Helm chart rendered by a real helm (scripts/helm.sh builds it once, cached): no servers
      { test: { name: 'deploy', include: ['test/deploy/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 1_200_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
