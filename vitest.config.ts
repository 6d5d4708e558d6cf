import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` needs nothing but Node; `integration` (files named *.int.test.ts)
 * runs against real Redis, Dovecot and RT started once by test/global-setup.ts, one file
 * at a time because they share those servers.
 */
export default defineConfig({
  test: {
    reporters: ['default', './test/reporters/summary-line.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          setupFiles: ['test/setup/fast-check.ts'],
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts', 'node_modules/**'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          setupFiles: ['test/setup/fast-check.ts'],
          include: ['test/**/*.int.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
