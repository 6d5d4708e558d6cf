import { describe, it } from 'vitest';
import { passChildVitest } from '../helpers/child-vitest.ts';

/**
 * Runs the Graph specs (test/resolve/graph/*.spec.ts) against the HTTPS fake Graph through
 * the real @azure/identity and Graph client, in a child vitest that trusts the fake's CA
 * (see passChildVitest), with the real Redis of the integration project for the lookup cache.
 *
 * Run one spec directly: make the CA with makeTlsMaterial(), then
 * `NODE_EXTRA_CA_CERTS=<dir>/ca.pem FAKE_GRAPH_TLS_DIR=<dir> REDIS_URL=… npx vitest run --config test/resolve/graph/vitest.config.ts <spec>`.
 */
describe('resolve stage against the fake Graph (child vitest with the fake CA trusted)', () => {
  it('passes every Graph spec', async () => {
    await passChildVitest('test/resolve/graph/vitest.config.ts');
  }, 300_000);
});
