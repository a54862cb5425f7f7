import { defineConfig } from 'vitest/config';

// Two projects: `unit` runs in seconds with no outside parts; `integration` (files named
// *.int.test.ts, and everything under test/e2e) starts the real control plane once per run
// and talks to real git servers and peer binaries.
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts', 'test/e2e/**', 'node_modules/**'],
          testTimeout: 20_000,
          // vitest 4 refuses to run projects with different maxWorkers in one group.
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // The control plane and git servers are shared; keep the 2-core machine from thrashing.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
