import { describe, it } from 'vitest';
import { passChildVitest } from '../helpers/child-vitest.ts';

/**
 * Runs the Graph mail specs (test/ingest/graph/*.spec.ts): the mail endpoints of the HTTPS
 * fake Graph, the Graph mail listener and replay reader through the real @azure/identity and
 * Graph client, and doctor's mail check, in a child vitest that trusts the fake's CA, with
 * the integration project's Redis (ledger, delta state).
 *
 * Run one spec directly: make the CA with makeTlsMaterial(), then
 * `NODE_EXTRA_CA_CERTS=<dir>/ca.pem FAKE_GRAPH_TLS_DIR=<dir> REDIS_URL=… npx vitest run --config test/ingest/graph/vitest.config.ts <spec>`.
 */
describe('Graph mail source against the fake Graph (child vitest with the fake CA trusted)', () => {
  it('passes every Graph mail spec', async () => {
    await passChildVitest('test/ingest/graph/vitest.config.ts');
  }, 300_000);
});
