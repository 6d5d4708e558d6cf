import type { FakeGraph } from '../fakes/graph/server.ts';

/**
 * The GRAPH_* variables that point a syncdesk child at the fake Graph as one tenant's app,
 * with the scheduled directory poll off (tests run it by hand when they want it). The child
 * must also get the fake's CA in NODE_EXTRA_CA_CERTS.
 */
export function fakeGraphEnv(fake: FakeGraph, tenantId: string, app: { clientId: string; secret: string }): Record<string, string> {
  return {
    GRAPH_TENANT_ID: tenantId,
    GRAPH_CLIENT_ID: app.clientId,
    GRAPH_CLIENT_SECRET: app.secret,
    GRAPH_BASE_URL: fake.url,
    GRAPH_AUTHORITY_HOST: fake.url,
    GRAPH_POLL_MINUTES: '0',
  };
}
