import { defineConfig } from 'vitest/config';

// Unit tests run anywhere; integration tests need the real servers from `npm run services:start`
// (they fail, never skip, when a server is missing).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
