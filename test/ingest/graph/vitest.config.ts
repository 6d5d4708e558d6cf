import { defineConfig } from 'vitest/config';

/**
 * The Graph mail specs, run by test/ingest/graph-mail.int.test.ts in a child vitest whose
 * environment holds NODE_EXTRA_CA_CERTS (the fake Graph's CA), FAKE_GRAPH_TLS_DIR and REDIS_URL.
 */
export default defineConfig({
  test: {
    include: ['test/ingest/graph/**/*.spec.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
  },
});
