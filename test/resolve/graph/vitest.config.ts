import { defineConfig } from 'vitest/config';

/**
 * The Graph specs, run by test/resolve/graph.int.test.ts in a child vitest whose
 * environment already holds NODE_EXTRA_CA_CERTS (the fake Graph's CA), FAKE_GRAPH_TLS_DIR
 * and REDIS_URL. Node reads NODE_EXTRA_CA_CERTS only at start, hence the child process.
 */
export default defineConfig({
  test: {
    include: ['test/resolve/graph/**/*.spec.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
  },
});
