import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Each run's temporary files and engine graphs in one folder, removed at the end.
    globalSetup: ['test/setup/temp-root.ts'],
  },
});
